// SPDX-License-Identifier: BSL-1.0
// Progress of a cleaning pass on stderr (docs/tools.md, "Progress"): on a terminal
// one line redrawn in place (phase, percent, bytes and items, rate, elapsed, ETA),
// erased before anything else is printed; elsewhere one status line every
// --stats-interval seconds (a JSON object with --json).
#ifndef CLOUDLOG_EXAMPLES_COMMON_PROGRESS_HPP
#define CLOUDLOG_EXAMPLES_COMMON_PROGRESS_HPP

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "cloudlog/cleaner/options.hpp"
#include "common/exit_codes.hpp"
#include "common/report_json.hpp"

namespace tools {

// "1:05" or "1:02:05".
inline std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds < 0 ? 0 : seconds);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{}:{:02}", s / 60, s % 60);
}

class progress_reporter {
 public:
  using clock = std::chrono::steady_clock;

  // TERMINAL: redraw one line in place, four times a second. Otherwise one line
  // every INTERVAL seconds (0: never), a JSON object when JSON. STOPPING says
  // whether a stop was asked for (a signal), which the line then says.
  progress_reporter(bool terminal, double interval, bool json, std::function<bool()> stopping)
      : terminal_(terminal), json_(json), stopping_(std::move(stopping)) {
    period_ = terminal ? std::chrono::milliseconds(250)
                       : std::chrono::milliseconds(static_cast<long long>(interval * 1000));
    if (period_.count() > 0) thread_ = std::thread([this] { run(); });
  }
  progress_reporter(const progress_reporter&) = delete;
  progress_reporter& operator=(const progress_reporter&) = delete;
  ~progress_reporter() { stop(); }

  // The engine's hooks: a phase begins; a relocation batch is done.
  void phase(const cloudlog::clean_progress& p) {
    std::lock_guard lock(mutex_);
    if (std::string_view(p.phase) == "load") pass_start_ = clock::now();
    if (!active_) pass_start_ = clock::now();
    active_ = true;
    state_ = p;
    phase_start_ = clock::now();
  }
  void update(const cloudlog::clean_progress& p) {
    std::lock_guard lock(mutex_);
    state_ = p;
  }

  // The pass is over (its report or an error comes next): erase the line, draw
  // nothing until the next pass.
  void idle() {
    std::lock_guard lock(mutex_);
    active_ = false;
    erase_locked();
  }

  // Ends the drawing thread; the line is erased.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (done_) return;
      done_ = true;
      active_ = false;
      erase_locked();
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!done_) {
      wake_.wait_for(lock, period_);
      if (done_ || !active_) continue;
      draw_locked();
    }
  }

  void erase_locked() {
    if (!drawn_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }

  void draw_locked() {
    const auto now = clock::now();
    const double elapsed = std::chrono::duration<double>(now - pass_start_).count();
    const double in_phase = std::chrono::duration<double>(now - phase_start_).count();
    const auto& p = state_;
    const bool moving = p.bytes_total > 0;
    const double fraction =
        moving ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 0;
    const double rate = in_phase > 0 ? static_cast<double>(p.bytes_done) / in_phase : 0;
    const double eta =
        rate > 0 ? static_cast<double>(p.bytes_total - p.bytes_done) / rate : -1;  // unknown
    const bool stopping = stopping_ && stopping_();
    std::string text;
    if (json_ && !terminal_) {
      auto j = json_object("progress");
      j["phase"] = p.phase;
      j["elapsed_seconds"] = elapsed;
      if (moving) {
        j["percent"] = 100 * fraction;
        j["bytes_done"] = p.bytes_done;
        j["bytes_total"] = p.bytes_total;
        j["items_done"] = p.items_done;
        j["items_total"] = p.items_total;
        j["eta_seconds"] = eta >= 0 ? nlohmann::json(eta) : nlohmann::json(nullptr);
      }
      j["stopping"] = stopping;
      text = j.dump();
    } else {
      text = fmt::format("{}{}", terminal_ ? "" : "progress: ", p.phase);
      if (moving)
        text += fmt::format(" {:.0f}%, {} of {}, {} of {} items, {}/s", 100 * fraction,
                            human_bytes(static_cast<double>(p.bytes_done)),
                            human_bytes(static_cast<double>(p.bytes_total)), p.items_done,
                            p.items_total, human_bytes(rate));
      text += ", elapsed " + clock_text(elapsed);
      if (moving) text += ", ETA " + (eta >= 0 ? clock_text(eta) : std::string("?"));
      if (stopping) text += "; stopping at the end of this batch (what moved is committed)";
    }
    if (terminal_)
      std::fprintf(stderr, "\r\033[K%s", text.c_str());
    else
      std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
    drawn_ = terminal_;
  }

  bool terminal_, json_;
  std::function<bool()> stopping_;
  std::chrono::milliseconds period_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  bool done_ = false, active_ = false, drawn_ = false;
  cloudlog::clean_progress state_;
  clock::time_point pass_start_ = clock::now(), phase_start_ = clock::now();
};

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_PROGRESS_HPP
