// SPDX-License-Identifier: BSL-1.0
#include <catch2/catch.hpp>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/location.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/packed.hpp"

using namespace cloudlog;

namespace {
using three_bytes = std::array<std::byte, 3>;
struct sample {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(sample,
    (std::uint8_t, a),
    (std::uint16_t, b),
    (three_bytes, c),
    (std::uint64_t, d)
  );
  // clang-format on
};
struct not_packed {
  BOOST_HANA_DEFINE_STRUCT(not_packed, (double, x));
};
struct plain {
  int x;
};
}  // namespace

TEST_CASE("The packed codec derives size and offsets from the Hana member list", "[core][packed]") {
  STATIC_REQUIRE(packed_struct<sample>);
  STATIC_REQUIRE(packed_size_v<sample> == 1 + 2 + 3 + 8);
  STATIC_REQUIRE(packed_offset_v<sample, 2> == 3);
  STATIC_REQUIRE(member_name<sample, 3>() == "d");
  STATIC_REQUIRE_FALSE(packed_struct<not_packed>);  // a member with no field_codec
  STATIC_REQUIRE_FALSE(packed_struct<plain>);       // not a Hana struct
}

TEST_CASE("The packed codec writes members in order, little-endian, without padding",
          "[core][packed]") {
  sample s{};
  s.a = 0x01;
  s.b = 0x0302;
  s.c = {std::byte{4}, std::byte{5}, std::byte{6}};
  s.d = 0x0e0d0c0b0a090807ull;
  bytes out;
  append_packed(out, s);
  CHECK(to_hex(out) == "0102030405060708090a0b0c0d0e");
  const auto back = decode_packed<sample>(out.data());
  CHECK(back.a == s.a);
  CHECK(back.b == s.b);
  CHECK(back.c == s.c);
  CHECK(back.d == s.d);
  // One member alone reads what the whole decode reads for it.
  CHECK(decode_packed_member<sample, 1>(out.data()) == s.b);
  CHECK(decode_packed_member<sample, 3>(out.data()) == s.d);
  STATIC_REQUIRE(
      std::is_same_v<decltype(decode_packed_member<sample, 2>(out.data())), three_bytes>);
}

TEST_CASE("A location packs as four u32 little-endian", "[core][packed]") {
  // docs/format.md, "Link locations": directory, sequence, offset, size.
  bytes out;
  append_packed(out, location{1, 4, 105, 32857});
  CHECK(to_hex(out) ==
        "01000000"
        "04000000"
        "69000000"
        "59800000");
  CHECK(decode_packed<location>(out.data()) == location{1, 4, 105, 32857});
}
