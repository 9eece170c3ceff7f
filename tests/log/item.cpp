// SPDX-License-Identifier: BSL-1.0
// log/item.hpp over the BlueSky layout: an item written by append_item parses back
// with the same header, payload and links; each framing check has its own code;
// rewrite_link_locations changes section 3 only.
#include <catch2/catch.hpp>

#include <vector>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/item.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {
object_id id_of(unsigned char b) {
  object_id id;
  id.value.fill(std::byte{b});
  return id;
}

item<bs::layout> sample() {
  item<bs::layout> it;
  it.header.magic = bs::magic_plain;
  it.header.type = bs::type_byte(bs::item_type::inode);
  it.header.id = id_of(7);
  it.header.inum = 42;
  it.payload = {std::byte{1}, std::byte{2}, std::byte{3}};
  it.links = {{id_of(1), location{0, 3, 100, 50}},
              {object_id{}, std::nullopt},
              {id_of(2), location{1, 4, 200, 60}}};
  return it;
}
}  // namespace

TEST_CASE("An appended item parses back with its header, payload and links", "[log][item]") {
  const auto it = sample();
  bytes seg(5, std::byte{0xee});  // the item starts at offset 5
  REQUIRE(append_item(seg, it));
  const std::uint64_t expected_size =
      header_size_v<bs::layout> + 3 + 3 * link_id_size + 2 * link_location_size;
  CHECK(serialized_size(it) == expected_size);
  CHECK(seg.size() == 5 + expected_size);
  auto v = parse_item<bs::layout>(seg, 5);
  REQUIRE(v);
  CHECK(v->offset() == 5);
  CHECK(v->size() == expected_size);
  CHECK(v->type() == bs::type_byte(bs::item_type::inode));
  CHECK(v->id() == id_of(7));
  CHECK(v->owner() == 42);
  CHECK(std::vector<std::byte>(v->payload().begin(), v->payload().end()) == it.payload);
  CHECK(v->link_count() == 3);
  CHECK(v->link_ids().size() == 3 * link_id_size);
  CHECK(v->link_locations().size() == 2 * link_location_size);
  CHECK(v->links() == it.links);
  CHECK(v->header().size1 == 3);  // the sizes are set from the sections
  const auto copy = item<bs::layout>::from_view(*v);
  CHECK(copy.links == it.links);
  CHECK(copy.payload == it.payload);
}

TEST_CASE("parse_item names each framing failure with its own code", "[log][item]") {
  bytes seg;
  REQUIRE(append_item(seg, sample()));
  CHECK(parse_item<bs::layout>(seg, seg.size() - 10).error() == errc::short_header);
  CHECK(parse_item<bs::layout>(seg, seg.size() + 1).error() == errc::short_header);
  auto bad_magic = seg;
  bad_magic[0] = std::byte{'X'};
  CHECK(parse_item<bs::layout>(bad_magic, 0).error() == errc::bad_magic);
  auto cut = seg;
  cut.pop_back();
  CHECK(parse_item<bs::layout>(cut, 0).error() == errc::section_overrun);
  auto odd_ids = seg;
  odd_ids[81] = std::byte{47};  // size2 = 47: not a multiple of 16
  CHECK(parse_item<bs::layout>(odd_ids, 0).error() == errc::bad_link_id_size);
  auto wrong_locs = seg;
  wrong_locs[85] = std::byte{16};  // size3 = 16 for two non-null links
  CHECK(parse_item<bs::layout>(wrong_locs, 0).error() == errc::bad_link_location_size);
  auto huge = seg;
  for (int i = 77; i < 81; ++i) huge[i] = std::byte{0xff};  // size1 = 4 GiB - 1: total overflows
  CHECK(parse_item<bs::layout>(huge, 0).error() == errc::size_overflow);
}

TEST_CASE("rewrite_link_locations changes the link locations and nothing else", "[log][item]") {
  bytes seg;
  REQUIRE(append_item(seg, sample()));
  const auto before = seg;
  const std::vector<location> moved{{1, 9, 0, 50}, {1, 9, 50, 60}};
  rewrite_link_locations<bs::layout>(seg, moved);
  auto v = parse_item<bs::layout>(seg, 0);
  REQUIRE(v);
  CHECK(v->links()[0].where == moved[0]);
  CHECK_FALSE(v->links()[1].where);
  CHECK(v->links()[2].where == moved[1]);
  const auto section3 = seg.size() - 2 * link_location_size;
  CHECK(
      std::equal(seg.begin(), seg.begin() + static_cast<std::ptrdiff_t>(section3), before.begin()));
}
