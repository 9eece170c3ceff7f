// Opening a store named by URI (file:DIR) for the example tools.
#ifndef CLOUDLOG_EXAMPLES_COMMON_STORE_URI_HPP
#define CLOUDLOG_EXAMPLES_COMMON_STORE_URI_HPP

#include <string>
#include <string_view>
#include <variant>

#include "cloudlog/backend/file_store.hpp"

namespace tools {

// The stores a tool can open. One alternative per backend.
using any_store = std::variant<cloudlog::file_store>;

// Opens the store URI names: file:DIR (the directory must exist unless CREATE).
// Fails: errc::invalid_argument for an unknown scheme, errc::not_found for a missing directory.
inline cloudlog::result<any_store> open_store(std::string_view uri, bool create = false) {
  if (uri.substr(0, 5) == "file:") {
    const std::string dir(uri.substr(5));
    if (dir.empty()) return cloudlog::fail(cloudlog::errc::invalid_argument);
    auto s = create ? cloudlog::file_store::create(dir) : cloudlog::file_store::open(dir);
    if (!s) return cloudlog::fail(s.error());
    return any_store(std::move(*s));
  }
  return cloudlog::fail(cloudlog::errc::invalid_argument);
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_STORE_URI_HPP
