// SPDX-License-Identifier: BSL-1.0
// fault_injecting_store: a decorator that fails chosen calls of another store, to
// test that failures and crashes lose nothing.
#ifndef CLOUDLOG_BACKEND_FAULT_INJECTING_STORE_HPP
#define CLOUDLOG_BACKEND_FAULT_INJECTING_STORE_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string_view>
#include <thread>
#include <vector>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog {

// Wraps INNER (a store or a reference to one). Every call is numbered from 1;
// calls chosen by the settings fail with errc::injected_fault without reaching
// INNER. crash_after(k) models a process that dies after its k-th operation:
// calls 1..k go through, every later one fails. Network-style faults fail with
// errc::io_error, which retrying_store treats as transient: drop_before(n)
// loses call n's request (INNER never sees it), drop_after(n) loses its answer
// (INNER did the work). delay(d) makes every call wait d first (for timeouts
// and parallelism tests). Thread-safe if INNER is.
template <class Inner>
requires segment_store<std::remove_reference_t<Inner>>
class fault_injecting_store {
 public:
  explicit fault_injecting_store(Inner inner) : inner_(std::forward<Inner>(inner)) {}

  // Every call after the K-th fails (K = 0: all calls fail).
  void crash_after(std::uint64_t k) noexcept { crash_after_ = k; }
  // Only call number N fails.
  void fail_call(std::uint64_t n) noexcept { fail_call_ = n; }
  // Call number N fails with errc::io_error without reaching INNER (a request lost
  // with its connection).
  void drop_before(std::uint64_t n) noexcept { drop_before_ = n; }
  // Call number N reaches INNER, then fails with errc::io_error (the answer lost
  // with its connection; a write or remove did happen).
  void drop_after(std::uint64_t n) noexcept { drop_after_ = n; }
  // Every call waits D before anything else.
  void delay(std::chrono::milliseconds d) noexcept { delay_ms_ = d.count(); }
  // Clears every setting (the call counter keeps counting).
  void heal() noexcept {
    crash_after_ = never;
    fail_call_ = never;
    drop_before_ = never;
    drop_after_ = never;
    delay_ms_ = 0;
  }
  // Number of calls made so far, failed ones included.
  std::uint64_t calls() const noexcept { return calls_.load(); }
  // True once a call has been failed on purpose.
  bool injected() const noexcept { return injected_.load(); }

  result<std::vector<segment_info>> list(std::uint32_t directory) {
    return call([&] { return inner_.list(directory); });
  }
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    return call([&] { return inner_.read(name, offset, length); });
  }
  result<void> write(std::string_view name, byte_view data) {
    return call([&] { return inner_.write(name, data); });
  }
  result<void> remove(std::string_view name) {
    return call([&] { return inner_.remove(name); });
  }

 private:
  static constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();
  template <class F>
  auto call(F&& f) -> decltype(f()) {
    if (const auto ms = delay_ms_.load(); ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    const auto n = ++calls_;
    if (n > crash_after_ || n == fail_call_) {
      injected_ = true;
      return fail(errc::injected_fault);
    }
    if (n == drop_before_) {
      injected_ = true;
      return fail(errc::io_error);
    }
    auto r = f();
    if (n == drop_after_) {
      injected_ = true;
      return fail(errc::io_error);
    }
    return r;
  }

  Inner inner_;
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<bool> injected_{false};
  std::uint64_t crash_after_ = never;
  std::uint64_t fail_call_ = never;
  std::atomic<std::uint64_t> drop_before_{never};
  std::atomic<std::uint64_t> drop_after_{never};
  std::atomic<std::int64_t> delay_ms_{0};
};

template <class Inner>
fault_injecting_store(Inner&&) -> fault_injecting_store<Inner>;

static_assert(segment_store<fault_injecting_store<memory_store>>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_FAULT_INJECTING_STORE_HPP
