// fault_injecting_store: a decorator that fails chosen calls of another store, to
// test that failures and crashes lose nothing.
#ifndef CLOUDLOG_BACKEND_FAULT_INJECTING_STORE_HPP
#define CLOUDLOG_BACKEND_FAULT_INJECTING_STORE_HPP

#include <atomic>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog {

// Wraps INNER (a store or a reference to one). Every call is numbered from 1;
// calls chosen by the settings fail with errc::injected_fault without reaching
// INNER. crash_after(k) models a process that dies after its k-th operation:
// calls 1..k go through, every later one fails. Thread-safe if INNER is.
template <class Inner>
requires segment_store<std::remove_reference_t<Inner>>
class fault_injecting_store {
 public:
  explicit fault_injecting_store(Inner inner) : inner_(std::forward<Inner>(inner)) {}

  // Every call after the K-th fails (K = 0: all calls fail).
  void crash_after(std::uint64_t k) noexcept { crash_after_ = k; }
  // Only call number N fails.
  void fail_call(std::uint64_t n) noexcept { fail_call_ = n; }
  // Clears every setting (the call counter keeps counting).
  void heal() noexcept {
    crash_after_ = never;
    fail_call_ = never;
  }
  // Number of calls made so far, failed ones included.
  std::uint64_t calls() const noexcept { return calls_.load(); }
  // True once a call has been failed on purpose.
  bool injected() const noexcept { return injected_.load(); }

  result<std::vector<segment_info>> list(std::uint32_t directory) {
    if (should_fail()) return fail(errc::injected_fault);
    return inner_.list(directory);
  }
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    if (should_fail()) return fail(errc::injected_fault);
    return inner_.read(name, offset, length);
  }
  result<void> write(std::string_view name, byte_view data) {
    if (should_fail()) return fail(errc::injected_fault);
    return inner_.write(name, data);
  }
  result<void> remove(std::string_view name) {
    if (should_fail()) return fail(errc::injected_fault);
    return inner_.remove(name);
  }

 private:
  static constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();
  bool should_fail() noexcept {
    const auto n = ++calls_;
    const bool f = n > crash_after_ || n == fail_call_;
    if (f) injected_ = true;
    return f;
  }

  Inner inner_;
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<bool> injected_{false};
  std::uint64_t crash_after_ = never;
  std::uint64_t fail_call_ = never;
};

template <class Inner>
fault_injecting_store(Inner&&) -> fault_injecting_store<Inner>;

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_FAULT_INJECTING_STORE_HPP
