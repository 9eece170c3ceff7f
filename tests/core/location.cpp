// SPDX-License-Identifier: BSL-1.0
// location and segment_id: the segment a location is in, where the item ends, the
// total order (directory, sequence, offset, size), the packed little-endian form
// and the readable one.
#include <catch2/catch.hpp>

#include <unordered_set>

#include "cloudlog/location.hpp"

using namespace cloudlog;

TEST_CASE("A location names its segment and where its item ends", "[core][location]") {
  constexpr location l{1, 7, 4096, 512};
  STATIC_REQUIRE(l.segment() == segment_id{1, 7});
  STATIC_REQUIRE(l.end() == 4608);
  // end() does not wrap at 32 bits.
  STATIC_REQUIRE(location{0, 0, 0xffffffffu, 0xffffffffu}.end() == 0x1fffffffeull);
}

TEST_CASE("Locations order by directory, sequence, offset, then size", "[core][location]") {
  CHECK(location{0, 9, 9, 9} < location{1, 0, 0, 0});
  CHECK(location{1, 1, 9, 9} < location{1, 2, 0, 0});
  CHECK(location{1, 2, 3, 9} < location{1, 2, 4, 0});
  CHECK(location{1, 2, 3, 4} < location{1, 2, 3, 5});
  CHECK(location{1, 2, 3, 4} == location{1, 2, 3, 4});
  CHECK(segment_id{0, 5} < segment_id{1, 0});
  CHECK(segment_id{1, 1} < segment_id{1, 2});
}

TEST_CASE("A location packs as four u32 little-endian in member order", "[core][location]") {
  STATIC_REQUIRE(packed_size_v<location> == 16);
  bytes out;
  append_packed(out, location{0x01020304, 5, 0x100, 0xa0b0c0d0});
  const bytes expected = {std::byte{4},    std::byte{3},    std::byte{2},    std::byte{1},
                          std::byte{5},    std::byte{0},    std::byte{0},    std::byte{0},
                          std::byte{0},    std::byte{1},    std::byte{0},    std::byte{0},
                          std::byte{0xd0}, std::byte{0xc0}, std::byte{0xb0}, std::byte{0xa0}};
  CHECK(out == expected);
  CHECK(decode_packed<location>(out.data()) == location{0x01020304, 5, 0x100, 0xa0b0c0d0});
}

TEST_CASE("A location prints as (directory, sequence, offset, size); segment ids hash",
          "[core][location]") {
  CHECK(to_string(location{1, 22, 333, 4444}) == "(1, 22, 333, 4444)");
  std::unordered_set<segment_id> seen{{0, 1}, {1, 0}, {0, 1}};
  CHECK(seen.size() == 2);
}
