// SPDX-License-Identifier: BSL-1.0
// stats_store: a decorator that counts a store's requests and bytes per kind
// (list, get, put, delete), for cost reports and tests.
#ifndef CLOUDLOG_BACKEND_STATS_STORE_HPP
#define CLOUDLOG_BACKEND_STATS_STORE_HPP

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog {

// The counts of one kind of request.
struct request_counts {
  std::uint64_t requests = 0;  // calls made (failed ones included)
  std::uint64_t failures = 0;  // calls that returned an error
  // Of successful calls: get returned, put sent; list: entries listed; delete:
  // objects deleted.
  std::uint64_t bytes = 0;
  friend bool operator==(const request_counts&, const request_counts&) = default;
};

// A snapshot of a stats_store's counters.
struct store_stats {
  request_counts list, get, put, remove;
  friend bool operator==(const store_stats&, const store_stats&) = default;
};

// Wraps INNER (a store or a reference to one) and counts every request on the
// wire by kind: a batch of reads counts as one get per read (each is one ranged
// GET), a remove_many as the requests it takes (remove_many_requests: one per
// 1000 names on S3, one per call on file_store), whatever the number of names.
// Counting is lock-free and thread-safe; the store is thread-safe if INNER is.
// Failure codes: INNER's, unchanged.
template <class Inner>
requires segment_store<std::remove_reference_t<Inner>>
class stats_store {
 public:
  explicit stats_store(Inner inner) : inner_(std::forward<Inner>(inner)) {}

  result<std::vector<segment_info>> list(std::uint32_t directory) {
    auto r = inner_.list(directory);
    count(list_, r, r ? r->size() : 0);
    return r;
  }
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    auto r = inner_.read(name, offset, length);
    count(get_, r, r ? r->size() : 0);
    return r;
  }
  result<void> write(std::string_view name, byte_view data) {
    auto r = inner_.write(name, data);
    count(put_, r, data.size());
    return r;
  }
  result<void> remove(std::string_view name) {
    auto r = inner_.remove(name);
    count(remove_, r, 1);
    return r;
  }
  std::vector<result<bytes>> read_many(std::span<const read_request> requests) {
    auto out = read_batch(inner_, requests);
    for (const auto& r : out) count(get_, r, r ? r->size() : 0);
    return out;
  }
  // Present when INNER has read_many_into (readable_into): counted as read_many.
  std::vector<result<std::uint64_t>> read_many_into(std::span<const read_request> requests,
                                                    std::span<const mutable_byte_view> out) requires
      readable_into<std::remove_reference_t<Inner>> {
    auto done = inner_.read_many_into(requests, out);
    for (const auto& r : done) count(get_, r, r ? *r : 0);
    return done;
  }
  // INNER's (read_cost_of).
  static constexpr read_cost_model read_cost = read_cost_of<std::remove_reference_t<Inner>>();
  // INNER's (batch_remove_limit).
  static constexpr std::size_t max_batch_remove =
      batch_remove_limit<std::remove_reference_t<Inner>>();

  // Present when INNER has remove_many.
  result<void> remove_many(std::span<const std::string> names) requires
      batch_removable<std::remove_reference_t<Inner>> {
    auto r = inner_.remove_many(names);
    const auto n = remove_many_requests<std::remove_reference_t<Inner>>(names.size());
    remove_.requests += n;
    if (r)
      remove_.bytes += names.size();
    else
      remove_.failures += n;
    return r;
  }

  // The counters now (each read atomically; the set is not one atomic snapshot).
  store_stats stats() const noexcept {
    return {list_.get(), get_.get(), put_.get(), remove_.get()};
  }
  // Sets every counter to zero.
  void reset() noexcept {
    for (auto* c : {&list_, &get_, &put_, &remove_}) c->clear();
  }
  // The wrapped store.
  std::remove_reference_t<Inner>& inner() noexcept { return inner_; }

 private:
  struct atomic_counts {
    std::atomic<std::uint64_t> requests{0}, failures{0}, bytes{0};
    request_counts get() const noexcept { return {requests.load(), failures.load(), bytes.load()}; }
    void clear() noexcept {
      requests = 0;
      failures = 0;
      bytes = 0;
    }
  };
  template <class R>
  static void count(atomic_counts& c, const R& r, std::uint64_t n) {
    ++c.requests;
    if (r)
      c.bytes += n;
    else
      ++c.failures;
  }

  Inner inner_;
  atomic_counts list_, get_, put_, remove_;
};

template <class Inner>
stats_store(Inner&&) -> stats_store<Inner>;

static_assert(segment_store<stats_store<memory_store>>);
static_assert(batch_readable<stats_store<memory_store&>>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_STATS_STORE_HPP
