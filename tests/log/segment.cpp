// SPDX-License-Identifier: BSL-1.0
// log/segment.hpp over the BlueSky layout: a serialized segment lists its items in
// order; a corrupt item ends the range with one error element and one report.
#include <catch2/catch.hpp>

#include <vector>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {
std::vector<item<bs::layout>> three_items() {
  std::vector<item<bs::layout>> items(3);
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i].header.magic = bs::magic_plain;
    items[i].header.type = bs::type_byte(bs::item_type::data);
    items[i].header.inum = i + 10;
    items[i].payload.assign(100 * (i + 1), std::byte{static_cast<unsigned char>(i)});
  }
  return items;
}
}  // namespace

TEST_CASE("A serialized segment parses to its items, in order, back to back", "[log][segment]") {
  const auto items = three_items();
  auto seg = serialize_segment(items);
  REQUIRE(seg);
  auto parsed = parse_segment<bs::layout>(*seg);
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 3);
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK((*parsed)[i].offset() == at);
    CHECK((*parsed)[i].owner() == i + 10);
    CHECK((*parsed)[i].payload().size() == 100 * (i + 1));
    at += (*parsed)[i].size();
  }
  CHECK(at == seg->size());
  std::size_t n = 0;
  for (const auto& e : segment_items<bs::layout>(*seg)) {
    CHECK(e);
    ++n;
  }
  CHECK(n == 3);
  CHECK(parse_segment<bs::layout>(byte_view{}).value().empty());
}

TEST_CASE("A corrupt item ends the range with an error and one corruption report",
          "[log][segment]") {
  auto seg = serialize_segment(three_items()).value();
  const auto second = header_size_v<bs::layout> + 100;
  seg[second] = std::byte{'Z'};  // the second item's magic
  std::vector<item_or_error<bs::layout>> elements;
  for (const auto& e : segment_items<bs::layout>(seg)) elements.push_back(e);
  REQUIRE(elements.size() == 2);
  CHECK(elements[0]);
  REQUIRE_FALSE(elements[1]);
  CHECK(elements[1].error().offset == second);
  CHECK(elements[1].error().code == errc::bad_magic);

  std::vector<corruption> reports;
  auto r = parse_segment<bs::layout>("log-00000000-00000003", seg,
                                     [&](const corruption& c) { reports.push_back(c); });
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::bad_magic);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].segment == "log-00000000-00000003");
  CHECK(reports[0].offset == second);
  CHECK(reports[0].length == seg.size() - second);
  CHECK(reports[0].to_string().rfind("log-00000000-00000003 @ " + std::to_string(second), 0) == 0);
}
