// SPDX-License-Identifier: BSL-1.0
// conditional_store: a segment store that can also create an object only if it is
// absent and replace or delete it only if it is unchanged (compare-and-swap on a
// version tag). The cleaner's lease uses it to need no settle wait.
#ifndef CLOUDLOG_BACKEND_CONDITIONAL_STORE_HPP
#define CLOUDLOG_BACKEND_CONDITIONAL_STORE_HPP

#include <concepts>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// An object's bytes and the version tag they had (S3: the ETag; file_store: a digest).
struct versioned_bytes {
  bytes data;
  std::string version;
};

// A store whose conditional operations are atomic against every other conditional
// operation on the same object (by any process). Models: file_store, s3_store
// (where the server honours If-None-Match / If-Match: conditional_writes() says).
template <class S>
concept conditional_store = segment_store<S> &&
    requires(S& s, std::string_view name, byte_view data, std::string_view version) {
  // Whether the operations below are atomic on this store (S3: configured or probed
  // once; a probe failure is returned as the error).
  { s.conditional_writes() } -> std::same_as<result<bool>>;
  // The whole object NAME and its version tag. Fails: errc::not_found, the store's codes.
  { s.read_versioned(name) } -> std::same_as<result<versioned_bytes>>;
  // Creates NAME holding DATA if no object NAME exists: its version, or nullopt if one exists.
  { s.create_if_absent(name, data) } -> std::same_as<result<std::optional<std::string>>>;
  // Replaces NAME by DATA if its version is still VERSION: the new version, or
  // nullopt if it changed or is gone.
  { s.replace_if(name, data, version) } -> std::same_as<result<std::optional<std::string>>>;
  // Deletes NAME if its version is still VERSION: true if deleted, false if it
  // changed or is gone.
  { s.remove_if(name, version) } -> std::same_as<result<bool>>;
};

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_CONDITIONAL_STORE_HPP
