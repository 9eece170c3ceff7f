// SPDX-License-Identifier: BSL-1.0
// retrying_store: a decorator that retries a store's transient failures with
// exponential backoff and jitter; retry_policy is shared with the remote stores.
#ifndef CLOUDLOG_BACKEND_RETRYING_STORE_HPP
#define CLOUDLOG_BACKEND_RETRYING_STORE_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog {

// How often and how patiently to retry. Attempt k (from 1) that fails transiently
// is followed by a pause drawn uniformly from [d/2, d], d = min(max_delay,
// initial_delay * 2^(k-1)) ("equal jitter"), unless it was the last attempt.
struct retry_policy {
  // Total attempts per operation, the first included (1 = never retry).
  unsigned max_attempts = 5;
  // The pause after the first failed attempt (before jitter).
  std::chrono::milliseconds initial_delay{100};
  // The cap on any one pause.
  std::chrono::milliseconds max_delay{2000};
};

// True for failures that may pass if the same call is made again: errc::io_error
// (a dropped connection, a 5xx), errc::timeout, errc::throttled, errc::unreachable.
// Everything else (not_found, access_denied, invalid_name, injected_fault, ...) is final.
inline bool is_transient(std::error_code ec) noexcept {
  return ec == errc::io_error || ec == errc::timeout || ec == errc::throttled ||
         ec == errc::unreachable;
}

// The pause before attempt ATTEMPT + 1, after attempt ATTEMPT (from 1) failed.
// Thread-safe (one generator per thread).
inline std::chrono::milliseconds backoff_delay(const retry_policy& p, unsigned attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto d = p.initial_delay.count();
  for (unsigned i = 1; i < attempt && d < p.max_delay.count(); ++i) d *= 2;
  d = std::min<std::int64_t>(d, p.max_delay.count());
  if (d <= 0) return std::chrono::milliseconds{0};
  std::uniform_int_distribution<std::int64_t> pick(d / 2, d);
  return std::chrono::milliseconds{pick(rng)};
}

// Runs F (returning some result<T>) up to POLICY.max_attempts times while it fails
// with an error RETRYABLE accepts, pausing between attempts; returns the last result.
template <class F, class Retryable>
auto with_retries(const retry_policy& policy, Retryable&& retryable, F&& f) -> decltype(f()) {
  const unsigned attempts = std::max(1u, policy.max_attempts);
  for (unsigned k = 1;; ++k) {
    auto r = f();
    if (r || k >= attempts || !retryable(r.error())) return r;
    std::this_thread::sleep_for(backoff_delay(policy, k));
  }
}

// Wraps INNER (a store or a reference to one) and retries each operation that
// fails transiently (is_transient, or the predicate given) as POLICY says. Every
// operation of a segment store is idempotent (write replaces the whole object,
// remove of a missing object succeeds), so a retried call that had in fact
// succeeded does no harm. Thread-safe if INNER is. Failure codes: INNER's; the
// last attempt's error is returned.
template <class Inner>
requires segment_store<std::remove_reference_t<Inner>>
class retrying_store {
 public:
  using predicate = std::function<bool(std::error_code)>;

  explicit retrying_store(Inner inner, retry_policy policy = {}, predicate retryable = is_transient)
      : inner_(std::forward<Inner>(inner)), policy_(policy), retryable_(std::move(retryable)) {}

  result<std::vector<segment_info>> list(std::uint32_t directory) {
    return run([&] { return inner_.list(directory); });
  }
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    return run([&] { return inner_.read(name, offset, length); });
  }
  result<void> write(std::string_view name, byte_view data) {
    return run([&] { return inner_.write(name, data); });
  }
  result<void> remove(std::string_view name) {
    return run([&] { return inner_.remove(name); });
  }
  // The batch goes to INNER in one piece (in parallel if it can); the reads of it
  // that failed transiently are retried, again as a batch.
  std::vector<result<bytes>> read_many(std::span<const read_request> requests) {
    auto out = read_batch(inner_, requests);
    const unsigned attempts = std::max(1u, policy_.max_attempts);
    for (unsigned k = 1; k < attempts; ++k) {
      std::vector<std::size_t> again;
      for (std::size_t i = 0; i < out.size(); ++i)
        if (!out[i] && retryable_(out[i].error())) again.push_back(i);
      if (again.empty()) break;
      retries_ += again.size();
      std::this_thread::sleep_for(backoff_delay(policy_, k));
      std::vector<read_request> sub;
      for (auto i : again) sub.push_back(requests[i]);
      auto r = read_batch(inner_, std::span<const read_request>(sub));
      for (std::size_t j = 0; j < again.size(); ++j) out[again[j]] = std::move(r[j]);
    }
    return out;
  }

  // INNER's (read_cost_of).
  static constexpr read_cost_model read_cost = read_cost_of<std::remove_reference_t<Inner>>();
  // INNER's (batch_remove_limit).
  static constexpr std::size_t max_batch_remove =
      batch_remove_limit<std::remove_reference_t<Inner>>();

  // Present when INNER has remove_many; the whole batch is retried (deletion is idempotent).
  result<void> remove_many(std::span<const std::string> names) requires
      batch_removable<std::remove_reference_t<Inner>> {
    return run([&] { return inner_.remove_many(names); });
  }

  // Number of attempts that were repeats of a failed one, so far.
  std::uint64_t retries() const noexcept { return retries_.load(); }
  const retry_policy& policy() const noexcept { return policy_; }
  // The wrapped store.
  std::remove_reference_t<Inner>& inner() noexcept { return inner_; }

 private:
  template <class F>
  auto run(F&& f) -> decltype(f()) {
    bool first = true;
    return with_retries(policy_, retryable_, [&] {
      if (!first) ++retries_;
      first = false;
      return f();
    });
  }

  Inner inner_;
  retry_policy policy_;
  predicate retryable_;
  std::atomic<std::uint64_t> retries_{0};
};

template <class Inner>
retrying_store(Inner&&) -> retrying_store<Inner>;
template <class Inner>
retrying_store(Inner&&, retry_policy) -> retrying_store<Inner>;
template <class Inner, class P>
retrying_store(Inner&&, retry_policy, P) -> retrying_store<Inner>;

static_assert(segment_store<retrying_store<memory_store>>);
static_assert(batch_readable<retrying_store<memory_store&>>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_RETRYING_STORE_HPP
