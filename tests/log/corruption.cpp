// SPDX-License-Identifier: BSL-1.0
// One test per corruption mode, each on bytes cut from the real fixtures. A corrupt
// item never crashes and never silently ends a segment: the report names the
// segment, the offset and the reason.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"
#include "support/dump_txt.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {
const char* const name = "log-00000000-00000000";

bytes stage1() {
  return test::read_file(test::fixtures_dir() / "main/stage1-write" / name);
}

// Parses SEGMENT, requires exactly one report, and returns it.
corruption only_report(const bytes& segment) {
  std::vector<corruption> reports;
  auto r =
      parse_segment<bs::layout>(name, segment, [&](const corruption& c) { reports.push_back(c); });
  REQUIRE_FALSE(r);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].code == r.error());
  CHECK(reports[0].segment == name);
  CHECK(reports[0].length == segment.size() - reports[0].offset);
  return reports[0];
}

void put_u32(bytes& b, std::size_t at, std::uint32_t v) {
  store_le(b.data() + at, v);
}

// The listing of stage1-write (written by an independent reader): where the items
// the cases below damage are, derived rather than pasted.
const std::vector<test::dumped_item>& listing() {
  static const auto items = test::parse_dump(test::fixtures_dir() / "main/stage1-write.dump.txt");
  return items;
}
// The first item of TYPE (the listing's type letter) in segment 0, of inode INUM if given.
const test::dumped_item& first(char type, std::optional<std::uint64_t> inum = {}) {
  for (const auto& e : listing())
    if (e.segment == name && e.type == type && (!inum || e.inum == *inum)) return e;
  throw std::runtime_error(std::string("no item of type ") + type +
                           " in main/stage1-write.dump.txt");
}
// hello.txt's inode (inum 2, one link), big.bin's first data block (inum 3), the
// inode-map block and the checkpoint.
const auto& hello = first('2', 2);
const auto& big_block = first('1', 3);
const auto& imap_block = first('3');
const auto& checkpoint = first('4');
const std::size_t hello_inode = hello.offset;
constexpr std::size_t header = header_size_v<bs::layout>;
constexpr std::size_t size1_at = header_offset_v<bs::layout, bs::layout::payload_size_member>;
constexpr std::size_t size2_at = header_offset_v<bs::layout, bs::layout::link_ids_size_member>;
constexpr std::size_t size3_at =
    header_offset_v<bs::layout, bs::layout::link_locations_size_member>;
}  // namespace

TEST_CASE("A header cut short is reported as short_header", "[log][corruption]") {
  auto seg = stage1();
  REQUIRE(header > 50);
  seg.resize(checkpoint.offset + 50);  // the checkpoint keeps only 50 of its header bytes
  auto c = only_report(seg);
  CHECK(c.offset == checkpoint.offset);
  CHECK(c.code == errc::short_header);
  CHECK(c.to_string() ==
        "log-00000000-00000000 @ " + std::to_string(checkpoint.offset) + ": item header truncated");
}

TEST_CASE("A bad magic is reported as bad_magic", "[log][corruption]") {
  auto seg = stage1();
  seg[big_block.offset + 3] = std::byte{'X'};
  auto c = only_report(seg);
  CHECK(c.offset == big_block.offset);
  CHECK(c.code == errc::bad_magic);
}

TEST_CASE("A section running past the end is reported as section_overrun", "[log][corruption]") {
  auto seg = stage1();
  REQUIRE(big_block.size1 > 1000);
  seg.resize(big_block.offset + header + 1000);  // big.bin's first block loses most of its payload
  auto c = only_report(seg);
  CHECK(c.offset == big_block.offset);
  CHECK(c.code == errc::section_overrun);
}

TEST_CASE("A size2 that is not a multiple of 16 is reported as bad_link_id_size",
          "[log][corruption]") {
  auto seg = stage1();
  put_u32(seg, hello_inode + size2_at, 17);
  auto c = only_report(seg);
  CHECK(c.offset == hello_inode);
  CHECK(c.code == errc::bad_link_id_size);
}

TEST_CASE("A size3 that is not 16 x the non-null links is reported as bad_link_location_size",
          "[log][corruption]") {
  SECTION("size3 changed") {
    auto seg = stage1();
    put_u32(seg, hello_inode + size3_at, 32);
    auto c = only_report(seg);
    CHECK(c.offset == hello_inode);
    CHECK(c.code == errc::bad_link_location_size);
  }
  SECTION("the only link id zeroed, so the location it keeps is one too many") {
    auto seg = stage1();
    REQUIRE(hello.links.size() == 1);
    for (std::size_t i = 0; i < 16; ++i) seg[hello_inode + header + hello.size1 + i] = std::byte{0};
    auto c = only_report(seg);
    CHECK(c.offset == hello_inode);
    CHECK(c.code == errc::bad_link_location_size);
  }
}

TEST_CASE("Section sizes whose sum overflows are reported as size_overflow", "[log][corruption]") {
  auto seg = stage1();
  put_u32(seg, hello_inode + size1_at, 0xffffffffu);
  auto c = only_report(seg);
  CHECK(c.offset == hello_inode);
  CHECK(c.code == errc::size_overflow);
}

TEST_CASE("Corruption in the lazy view is an element, not a silent end", "[log][corruption]") {
  auto seg = stage1();
  seg[imap_block.offset] = std::byte{0};  // the imap block's magic
  std::size_t good = 0;
  bool saw_error = false;
  for (const auto& it : segment_items<bs::layout>(seg)) {
    if (it) {
      ++good;
      continue;
    }
    saw_error = true;
    CHECK(it.error().offset == imap_block.offset);
    CHECK(it.error().code == errc::bad_magic);
  }
  // Every item before the imap block, and none after: the error ends the view.
  const auto before = std::count_if(listing().begin(), listing().end(), [](const auto& e) {
    return e.segment == name && e.offset < imap_block.offset;
  });
  CHECK(good == static_cast<std::size_t>(before));
  CHECK(saw_error);
}

TEST_CASE("Random corruption of real bytes never crashes the parser", "[log][corruption]") {
  const auto original = stage1();
  std::uint64_t state = 12345;
  auto next = [&] { return state = state * 6364136223846793005ull + 1442695040888963407ull; };
  for (int round = 0; round < 2000; ++round) {
    auto seg = original;
    for (int k = 0; k < 4; ++k) seg[next() % seg.size()] = std::byte(next() >> 56);
    if (round % 3 == 0) seg.resize(next() % seg.size());
    std::uint64_t covered = 0;
    for (const auto& it : segment_items<bs::layout>(seg)) {
      if (!it) {
        CHECK(it.error().offset == covered);
        break;
      }
      covered += it->size();
      CHECK(covered <= seg.size());
    }
  }
}
