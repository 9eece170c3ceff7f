// batch_removable: stores that delete many objects in one call (S3's DeleteObjects),
// and remove_batch, which uses that when a store has it.
#ifndef CLOUDLOG_BACKEND_BATCH_REMOVE_HPP
#define CLOUDLOG_BACKEND_BATCH_REMOVE_HPP

#include <concepts>
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
