// SPDX-License-Identifier: BSL-1.0
// Segment names: log-DDDDDDDD-SSSSSSSS (log directory, sequence; 8 decimal digits each).
#ifndef CLOUDLOG_SEGMENT_NAME_HPP
#define CLOUDLOG_SEGMENT_NAME_HPP

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "cloudlog/location.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// The largest directory or sequence number a name can hold (8 decimal digits).
inline constexpr std::uint32_t max_segment_number = 99'999'999;

// Length of every segment name.
inline constexpr std::size_t segment_name_length = 21;

// The name of segment S: "log-%08u-%08u".
// Fails: errc::bad_segment_name if a number exceeds max_segment_number (the
// name would no longer sort numerically).
inline result<std::string> segment_name(segment_id s) {
  if (s.directory > max_segment_number || s.sequence > max_segment_number)
    return fail(errc::bad_segment_name);
  char buf[segment_name_length + 1];
  std::snprintf(buf, sizeof buf, "log-%08u-%08u", s.directory, s.sequence);
  return std::string(buf, segment_name_length);
}

// The prefix every segment name of log directory DIR starts with: "log-%08u-".
// REQUIRES: dir <= max_segment_number.
inline std::string segment_prefix(std::uint32_t dir) {
  char buf[14];
  std::snprintf(buf, sizeof buf, "log-%08u-", dir);
  return std::string(buf, 13);
}

// Parses exactly "log-" 8 digits "-" 8 digits.
// Fails: errc::bad_segment_name for anything else (other lengths, signs, spaces, suffixes).
inline result<segment_id> parse_segment_name(std::string_view name) {
  if (name.size() != segment_name_length || name.substr(0, 4) != "log-" || name[12] != '-')
    return fail(errc::bad_segment_name);
  auto number = [&](std::size_t at, std::uint32_t& out) {
    std::uint32_t v = 0;
    for (std::size_t i = at; i < at + 8; ++i) {
      if (name[i] < '0' || name[i] > '9') return false;
      v = v * 10 + static_cast<std::uint32_t>(name[i] - '0');
    }
    out = v;
    return true;
  };
  segment_id s;
  if (!number(4, s.directory) || !number(13, s.sequence)) return fail(errc::bad_segment_name);
  return s;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_SEGMENT_NAME_HPP
