// SPDX-License-Identifier: BSL-1.0
// Every item of every real BlueSky segment parses, and every segment re-serializes to its bytes.
#include <catch2/catch.hpp>

#include <range/v3/algorithm/count_if.hpp>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

TEST_CASE("Every real segment parses and re-serializes to identical bytes",
          "[log][segment][fixtures]") {
  std::size_t segments = 0, items = 0;
  for (const auto& stage : test::fixture_stages()) {
    for (const auto& file : test::stage_segments(stage)) {
      INFO(file);
      const auto data = test::read_file(file);
      std::vector<corruption> reports;
      auto parsed = parse_segment<bs::layout>(file.filename().string(), data,
                                              [&](const corruption& c) { reports.push_back(c); });
      REQUIRE(parsed);
      CHECK(reports.empty());
      std::vector<item<bs::layout>> owned;
      for (const auto& v : *parsed) {
        CHECK(bs::type_name(v.type()) != "UNKNOWN");
        owned.push_back(item<bs::layout>::from_view(v));
      }
      auto again = serialize_segment(owned);
      REQUIRE(again);
      CHECK(*again == data);
      ++segments;
      items += parsed->size();
    }
  }
  CHECK(segments == 46);  // every line of SHA256SUMS
  CHECK(items > 100);
}

TEST_CASE("The lazy item view walks a real segment in order", "[log][segment][fixtures]") {
  const auto data =
      test::read_file(test::fixtures_dir() / "main/stage1-write/log-00000000-00000000");
  segment_items<bs::layout> view(data);
  std::vector<std::uint64_t> offsets;
  for (const auto& it : view) {
    REQUIRE(it);
    offsets.push_back(it->offset());
  }
  // main/stage1-write.dump.txt
  CHECK(offsets == std::vector<std::uint64_t>{0, 105, 310, 33167, 66024, 98881, 100666, 100967,
                                              101077, 101282, 101474, 101649, 101896, 102225});
  CHECK(ranges::count_if(view, [](const auto& it) {
          return it && it->type() == bs::type_byte(bs::item_type::data);
        }) == 6);
  auto first = *view.begin();
  REQUIRE(first);
  CHECK(first->owner() == 2);
  CHECK(first->id().hex().substr(0, 8) == "517d9757");
  CHECK(first->header().magic == bs::magic_encrypted);
}

TEST_CASE("Null links have an id of zeros and no location", "[log][item][fixtures]") {
  // sparse/final: /sparse.bin (inum 7) has links null, null, block 2, null.
  const auto data = test::read_file(test::fixtures_dir() / "sparse/final/log-00000000-00000000");
  auto parsed = parse_segment<bs::layout>(data);
  REQUIRE(parsed);
  bool found = false;
  for (const auto& v : *parsed) {
    if (v.type() != bs::type_byte(bs::item_type::inode) || v.owner() != 7) continue;
    found = true;
    CHECK(v.link_ids_size() == 64);
    CHECK(v.link_locations_size() == 16);
    const auto links = v.links();
    REQUIRE(links.size() == 4);
    CHECK(links[0].is_null());
    CHECK(links[1].is_null());
    CHECK_FALSE(links[2].is_null());
    CHECK(links[3].is_null());
    CHECK(links[2].where.has_value());
    CHECK_FALSE(links[0].where.has_value());
  }
  CHECK(found);
}
