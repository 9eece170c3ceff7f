// SPDX-License-Identifier: BSL-1.0
// location: where one item lives (log directory, segment sequence, byte offset, size).
#ifndef CLOUDLOG_LOCATION_HPP
#define CLOUDLOG_LOCATION_HPP

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/packed.hpp"

namespace cloudlog {

// One segment: log directory (e.g. BlueSky 0 = writer, 1 = cleaner) and sequence number.
struct segment_id {
  std::uint32_t directory = 0;
  std::uint32_t sequence = 0;
  friend constexpr auto operator<=>(const segment_id&, const segment_id&) = default;
};

// One item: segment, byte offset of its header in the segment, and its full size
// (header included). Packed on disk as 4 x u32 little-endian in member order
// (docs/format.md, "Link locations").
struct location {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(location,
    (std::uint32_t, directory),
    (std::uint32_t, sequence),
    (std::uint32_t, offset),
    (std::uint32_t, size)
  );
  // clang-format on

  // The segment this location is in.
  constexpr segment_id segment() const noexcept { return {directory, sequence}; }
  // One past the last byte of the item within its segment.
  constexpr std::uint64_t end() const noexcept { return std::uint64_t{offset} + size; }

  friend constexpr bool operator==(const location& a, const location& b) noexcept {
    return a.directory == b.directory && a.sequence == b.sequence && a.offset == b.offset &&
           a.size == b.size;
  }
  friend constexpr auto operator<=>(const location& a, const location& b) noexcept {
    if (auto c = a.directory <=> b.directory; c != 0) return c;
    if (auto c = a.sequence <=> b.sequence; c != 0) return c;
    if (auto c = a.offset <=> b.offset; c != 0) return c;
    return a.size <=> b.size;
  }
};

static_assert(packed_size_v<location> == 16);

// Readable form "(directory, sequence, offset, size)", as the fixture dumps print it.
inline std::string to_string(const location& l) {
  return "(" + std::to_string(l.directory) + ", " + std::to_string(l.sequence) + ", " +
         std::to_string(l.offset) + ", " + std::to_string(l.size) + ")";
}

}  // namespace cloudlog

template <>
struct std::hash<cloudlog::segment_id> {
  std::size_t operator()(const cloudlog::segment_id& s) const noexcept {
    return (static_cast<std::size_t>(s.directory) << 32) ^ s.sequence;
  }
};

#endif  // CLOUDLOG_LOCATION_HPP
