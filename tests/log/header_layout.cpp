// SPDX-License-Identifier: BSL-1.0
// Golden bytes for both header layouts (docs/format.md, section 1 and "The pre-crypto header").
#include <catch2/catch.hpp>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/item.hpp"
#include "support/archetypes.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {
object_id counting_id(unsigned start) {
  object_id id;
  for (unsigned i = 0; i < 16; ++i) id.value[i] = std::byte(start + i);
  return id;
}
}  // namespace

TEST_CASE("The BlueSky header is 89 packed little-endian bytes in spec order",
          "[log][header_layout]") {
  bs::header h{};
  h.magic = bs::magic_encrypted;
  for (unsigned i = 0; i < 32; ++i) h.crypt_auth[i] = std::byte(0xa0 + (i % 16));
  for (unsigned i = 0; i < 16; ++i) h.crypt_iv[i] = std::byte(0xc0 + i);
  h.type = bs::type_byte(bs::item_type::inode);
  h.id = counting_id(1);
  h.inum = 0x0102030405060708ull;
  h.size1 = 84;
  h.size2 = 16;
  h.size3 = 0x10;
  bytes out;
  append_packed(out, h);
  REQUIRE(out.size() == 89);
  CHECK(to_hex(out) ==
        "4167493d"                                                          // magic AgI=
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafa0a1a2a3a4a5a6a7a8a9aaabacadaeaf"  // crypt_auth
        "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"                                  // crypt_iv
        "32"                                                                // type '2'
        "0102030405060708090a0b0c0d0e0f10"                                  // id
        "0807060504030201"                                                  // inum
        "54000000"
        "10000000"
        "10000000");  // size1..3
  const auto back = decode_packed<bs::header>(out.data());
  CHECK(back.inum == h.inum);
  CHECK(back.id == h.id);
  CHECK(back.crypt_iv == h.crypt_iv);
}

TEST_CASE("The pre-crypto header is 41 bytes: magic, type, id, inum, size1..3",
          "[log][header_layout]") {
  bs::legacy_header h{};
  h.magic = bs::magic_plain;
  h.type = bs::type_byte(bs::item_type::data);
  h.id = counting_id(0x20);
  h.inum = 3;
  h.size1 = 32768;
  bytes out;
  append_packed(out, h);
  REQUIRE(out.size() == 41);
  CHECK(to_hex(out) ==
        "4167492d"
        "31"
        "202122232425262728292a2b2c2d2e2f"
        "0300000000000000"
        "00800000"
        "00000000"
        "00000000");
}

TEST_CASE("An item serializes as header, payload, link ids, then non-null locations",
          "[log][item]") {
  item<bs::legacy_layout> it;
  it.header.magic = bs::magic_plain;
  it.header.type = bs::type_byte(bs::item_type::inode);
  it.header.id = counting_id(0x40);
  it.header.inum = 7;
  it.payload = to_bytes("xy");
  it.links = {item_link{counting_id(0x60), location{0, 2, 300, 89}}, item_link{}};
  bytes out;
  REQUIRE(append_item(out, it));
  REQUIRE(out.size() == 41 + 2 + 32 + 16);
  auto v = parse_item<bs::legacy_layout>(out, 0);
  REQUIRE(v);
  CHECK(v->payload_size() == 2);
  CHECK(v->link_ids_size() == 32);
  CHECK(v->link_locations_size() == 16);
  CHECK(v->links() == it.links);
  CHECK(as_chars(v->payload()) == "xy");
}

TEST_CASE("Layouts satisfy header_layout and near misses do not", "[log][header_layout]") {
  STATIC_REQUIRE(header_layout<bs::layout>);
  STATIC_REQUIRE(header_layout<bs::legacy_layout>);
  STATIC_REQUIRE(header_layout<test::layout_archetype>);
  STATIC_REQUIRE_FALSE(header_layout<test::layout_without_magic>);
  STATIC_REQUIRE_FALSE(header_layout<test::layout_with_u64_sizes>);
  STATIC_REQUIRE_FALSE(header_layout<test::layout_with_short_id>);
  STATIC_REQUIRE_FALSE(header_layout<test::layout_without_valid_magic>);
}
