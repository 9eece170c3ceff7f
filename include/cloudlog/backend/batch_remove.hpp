// SPDX-License-Identifier: BSL-1.0
// batch_removable: stores that delete many objects in one call (S3's DeleteObjects),
// and remove_batch, which uses that when a store has it.
#ifndef CLOUDLOG_BACKEND_BATCH_REMOVE_HPP
#define CLOUDLOG_BACKEND_BATCH_REMOVE_HPP

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog {

// A store that can delete many objects in one call.
template <class S>
concept batch_removable = segment_store<S> && requires(S& s, std::span<const std::string> names) {
  // Deletes every object of NAMES; missing ones are not an error. Every name is
  // checked first: one invalid name fails the call with errc::invalid_name
  // before anything is deleted.
  { s.remove_many(names) } -> std::same_as<result<void>>;
};

// The most names one remove_many request of S carries: S::max_batch_remove when S
// declares it (S3's DeleteObjects: 1000), else unbounded (one call is one request,
// as on file_store, where a batch is its unlinks and one directory fsync). Request
// counters (stats_store) count ceil(names / this) requests per remove_many.
template <class S>
constexpr std::size_t batch_remove_limit() noexcept {
  if constexpr (requires { S::max_batch_remove; })
    return S::max_batch_remove;
  else
    return std::numeric_limits<std::size_t>::max();
}

// The requests one remove_many of N names costs on S (0 for no name).
template <class S>
constexpr std::uint64_t remove_many_requests(std::size_t n) noexcept {
  const auto limit = batch_remove_limit<S>();
  return n == 0 ? 0 : 1 + (n - 1) / limit;
}

// Deletes every object of NAMES from STORE: through its remove_many when it has
// one, else one remove after another (names all checked first in both cases).
// On failure, some objects may already be deleted; running it again is harmless.
// Fails: errc::invalid_name, or the store's first error.
template <segment_store Store>
result<void> remove_batch(Store& store, std::span<const std::string> names) {
  if constexpr (batch_removable<Store>) {
    return store.remove_many(names);
  } else {
    for (const auto& n : names)
      if (auto ok = check_object_name(n); !ok) return fail(ok.error());
    for (const auto& n : names) CLOUDLOG_TRY_VOID(store.remove(n));
    return {};
  }
}

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_BATCH_REMOVE_HPP
