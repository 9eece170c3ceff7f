// SPDX-License-Identifier: BSL-1.0
// formats/bluesky/header.hpp: the 89-byte header decodes field by field at the
// offsets docs/format.md section 1 gives, checked against the raw bytes of every
// item of a real fixture segment; type names; the legacy 41-byte layout.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

TEST_CASE("Every header of a real segment decodes to the bytes at the documented offsets",
          "[formats][bluesky][header]") {
  const auto seg =
      test::read_file(test::fixtures_dir() / "main/stage1-write" / "log-00000000-00000000");
  auto items = parse_segment<bs::layout>(seg);
  REQUIRE(items);
  REQUIRE(!items->empty());
  std::set<std::string_view> types;
  for (const auto& it : *items) {
    const auto raw = it.bytes();
    const auto& h = it.header();
    CHECK(std::equal(h.magic.begin(), h.magic.end(), raw.begin()));
    CHECK(std::equal(h.crypt_auth.begin(), h.crypt_auth.end(), raw.begin() + 4));
    CHECK(std::equal(h.crypt_iv.begin(), h.crypt_iv.end(), raw.begin() + 36));
    CHECK(h.type == static_cast<std::uint8_t>(raw[52]));
    CHECK(std::equal(h.id.value.begin(), h.id.value.end(), raw.begin() + 53));
    CHECK(h.inum == load_le<std::uint64_t>(raw.data() + 69));
    CHECK(h.size1 == load_le<std::uint32_t>(raw.data() + 77));
    CHECK(h.size2 == load_le<std::uint32_t>(raw.data() + 81));
    CHECK(h.size3 == load_le<std::uint32_t>(raw.data() + 85));
    CHECK(it.size() == 89 + h.size1 + h.size2 + h.size3);
    CHECK(bs::layout::valid_magic(h));
    types.insert(bs::type_name(h.type));
  }
  CHECK_FALSE(types.count("UNKNOWN"));
  CHECK(types.count("CHECKPOINT"));  // a flush ends with its checkpoint
}

TEST_CASE("Type digits, names, magics and the fixed numbers", "[formats][bluesky][header]") {
  CHECK(bs::type_byte(bs::item_type::data) == '1');
  CHECK(bs::type_name('1') == "DATA");
  CHECK(bs::type_name('2') == "INODE");
  CHECK(bs::type_name('3') == "INODE_MAP");
  CHECK(bs::type_name('4') == "CHECKPOINT");
  CHECK(bs::type_name('5') == "UNKNOWN");
  CHECK(std::string(reinterpret_cast<const char*>(bs::magic_plain.data()), 4) == "AgI-");
  CHECK(std::string(reinterpret_cast<const char*>(bs::magic_encrypted.data()), 4) == "AgI=");
  CHECK(bs::proxy_directory == 0);
  CHECK(bs::cleaner_directory == 1);
  bs::header h{};
  h.magic = {std::byte{'A'}, std::byte{'g'}, std::byte{'I'}, std::byte{'?'}};
  CHECK_FALSE(bs::layout::valid_magic(h));
  h.magic = bs::magic_encrypted;
  CHECK(bs::layout::valid_magic(h));
}

TEST_CASE("The legacy layout is 41 bytes and accepts only the plain magic",
          "[formats][bluesky][header]") {
  STATIC_REQUIRE(header_size_v<bs::legacy_layout> == 41);
  bs::legacy_header h{};
  h.magic = bs::magic_plain;
  CHECK(bs::legacy_layout::valid_magic(h));
  h.magic = bs::magic_encrypted;
  CHECK_FALSE(bs::legacy_layout::valid_magic(h));
}

TEST_CASE("new_item builds a plain item with a fresh id; it serializes and parses back",
          "[bluesky][header]") {
  using namespace cloudlog::bluesky;
  const location at{proxy_directory, 7, 89, 120};
  const auto other = random_object_id();
  REQUIRE(other);
  auto a =
      new_item(item_type::inode, 42, to_bytes(std::string("payload")), {item_link{*other, at}});
  auto b = new_item(item_type::inode, 42, {}, {});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->header.magic == magic_plain);
  CHECK(a->header.type == type_byte(item_type::inode));
  CHECK(a->header.inum == 42u);
  CHECK_FALSE(a->header.id.is_null());
  CHECK(a->header.id != b->header.id);
  bytes out;
  REQUIRE(append_item(out, *a));
  auto v = parse_item<layout>(out, 0);
  REQUIRE(v);
  CHECK(v->size() == out.size());
  CHECK(v->type() == type_byte(item_type::inode));
  CHECK(as_chars(v->payload()) == "payload");
  CHECK(v->link_ids_size() == 16u);
  CHECK(v->link_locations_size() == 16u);
}
