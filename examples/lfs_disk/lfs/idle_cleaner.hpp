// SPDX-License-Identifier: BSL-1.0
// lfs_disk's cleaner scheduling (the 1996 note): a timer reset by every read and
// write; after IDLE of quiet the cleaner takes the lock and cleans segment by
// segment, yielding as soon as a user waits.
#ifndef LFS_DISK_IDLE_CLEANER_HPP
#define LFS_DISK_IDLE_CLEANER_HPP

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include "lfs/clock.hpp"

namespace lfs {

// How the idle cleaner behaves.
struct idle_options {
  std::chrono::nanoseconds idle = std::chrono::seconds(2);  // quiet time before a session
  std::uint32_t max_segments = std::numeric_limits<std::uint32_t>::max();  // per session
  std::chrono::nanoseconds poll = std::chrono::milliseconds(10);  // the thread's tick (real time)
};

// What one step decided.
enum class idle_step {
  quiet,    // nothing happened since the last session: nothing to do
  waiting,  // the timer has not elapsed
  cleaned,  // a session ran to its end
  yielded,  // a session stopped early for a waiting user
  failed,   // a session failed (see last_error())
};

// Drives FS's idle sessions on CLOCK. step() is one decision (tests call it
// directly on a manual clock); start() runs steps on a thread every poll tick.
// FS and CLOCK must outlive it.
template <class FileSystem, lfs_clock Clock>
class idle_cleaner {
 public:
  idle_cleaner(FileSystem& fs, const Clock& clock, idle_options options = {})
      : fs_(fs), clock_(clock), options_(options) {}
  idle_cleaner(const idle_cleaner&) = delete;
  idle_cleaner& operator=(const idle_cleaner&) = delete;
  ~idle_cleaner() { stop(); }

  // One decision: a session runs only if an access happened since the last
  // session and the last one is at least `idle` old. Not thread-safe with itself.
  idle_step step() {
    const auto epoch = fs_.access_epoch();
    if (epoch == done_epoch_) return idle_step::quiet;
    if (clock_.now() - fs_.last_access() < options_.idle) return idle_step::waiting;
    auto r = fs_.clean_while_idle(options_.max_segments, epoch);
    if (fs_.access_epoch() != epoch && r && r->segments == 0) return idle_step::waiting;
    done_epoch_ = epoch;
    if (!r) {
      last_error_ = r.error();
      return idle_step::failed;
    }
    return r->yielded ? idle_step::yielded : idle_step::cleaned;
  }

  // Starts the background thread. REQUIRES: not running.
  void start() {
    {
      std::lock_guard lock(mutex_);
      stop_ = false;
    }
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stop_) {
        lock.unlock();
        step();
        lock.lock();
        cv_.wait_for(lock, options_.poll, [this] { return stop_; });
      }
    });
  }

  // Stops and joins the background thread (no-op if not running).
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // The error of the last failed session.
  std::error_code last_error() const { return last_error_; }

 private:
  FileSystem& fs_;
  const Clock& clock_;
  idle_options options_;
  std::uint64_t done_epoch_ = 0;
  std::error_code last_error_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace lfs

#endif  // LFS_DISK_IDLE_CLEANER_HPP
