// SPDX-License-Identifier: BSL-1.0
// lfs_disk's clocks: the lfs_clock concept, the steady clock, and a clock tests drive.
#ifndef LFS_DISK_CLOCK_HPP
#define LFS_DISK_CLOCK_HPP

#include <atomic>
#include <chrono>
#include <concepts>

namespace lfs {

// A clock C tells the time since an arbitrary fixed epoch, never going back.
template <class C>
concept lfs_clock = requires(const C& c) {
  // The current time.
  { c.now() } -> std::same_as<std::chrono::nanoseconds>;
};

// The real (steady) clock. Thread-safe.
struct steady_clock_source {
  std::chrono::nanoseconds now() const {
    return std::chrono::steady_clock::now().time_since_epoch();
  }
};
static_assert(lfs_clock<steady_clock_source>);

// A clock that moves only when a test advances it. Thread-safe.
class manual_clock {
 public:
  std::chrono::nanoseconds now() const { return std::chrono::nanoseconds(now_.load()); }
  // Moves the clock forward by D.
  void advance(std::chrono::nanoseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<std::chrono::nanoseconds::rep> now_{0};
};
static_assert(lfs_clock<manual_clock>);

}  // namespace lfs

#endif  // LFS_DISK_CLOCK_HPP
