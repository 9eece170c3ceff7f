// Exit codes and one-line error messages shared by the example tools (docs/tools.md).
#ifndef CLOUDLOG_EXAMPLES_COMMON_EXIT_CODES_HPP
#define CLOUDLOG_EXAMPLES_COMMON_EXIT_CODES_HPP

#include <cstdio>
#include <string>
#include <system_error>

#include "cloudlog/error.hpp"
#include "cloudlog/log/segment.hpp"

namespace tools {

inline constexpr int exit_ok = 0;           // success (also: nothing to clean)
inline constexpr int exit_usage = 2;        // bad flags or arguments
inline constexpr int exit_unreachable = 3;  // the store cannot be opened or reached
inline constexpr int exit_corrupt = 4;      // corruption found (a bad item, a bad tag)
inline constexpr int exit_failed = 5;       // any other failure (I/O, missing object)
inline constexpr int exit_waiting = 6;      // the proxy has not merged earlier cleaner output
inline constexpr int exit_lease_held = 7;   // another cleaner holds the store's lease

// The exit code for an error.
inline int exit_code_for(std::error_code ec) {
  using cloudlog::errc;
  if (ec.category() != cloudlog::error_category()) return exit_failed;
  switch (static_cast<errc>(ec.value())) {
    case errc::invalid_argument:
    case errc::bad_key:  // no key, an unreadable key file, an empty key (docs/tools.md)
      return exit_usage;
    case errc::unreachable:
    case errc::timeout:
    case errc::access_denied:
    case errc::bad_credentials:
    case errc::no_such_bucket:
      return exit_unreachable;
    case errc::short_header:
    case errc::bad_magic:
    case errc::section_overrun:
    case errc::bad_link_id_size:
    case errc::bad_link_location_size:
    case errc::size_overflow:
    case errc::bad_tag:
    case errc::corrupt_payload:
    case errc::dangling_link:
    case errc::unexpected_type:
      return exit_corrupt;
    default:
      return exit_failed;
  }
}

// Prints "error: WHAT: MESSAGE" on one line to stderr; returns the exit code for EC.
inline int report(std::error_code ec, const std::string& what) {
  std::fprintf(stderr, "error: %s: %s\n", what.c_str(), ec.message().c_str());
  return exit_code_for(ec);
}

// Prints a corruption report on one line to stderr; returns exit_corrupt.
inline int report_corruption(const cloudlog::corruption& c) {
  std::fprintf(stderr, "error: corrupt segment: %s\n", c.to_string().c_str());
  return exit_corrupt;
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_EXIT_CODES_HPP
