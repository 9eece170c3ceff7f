// One test per corruption mode, each on bytes cut from the real fixtures. A corrupt
// item never crashes and never silently ends a segment: the report names the
// segment, the offset and the reason.
#include <catch2/catch.hpp>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"
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

// main/stage1-write.dump.txt: hello.txt's inode is at 105 (84 + 16 + 16), big.bin's data at 310.
constexpr std::size_t hello_inode = 105;
constexpr std::size_t size1_at = 77, size2_at = 81, size3_at = 85;
}  // namespace

TEST_CASE("A header cut short is reported as short_header", "[log][corruption]") {
  auto seg = stage1();
  seg.resize(102225 + 50);  // the checkpoint at 102225 keeps only 50 of its 89 header bytes
  auto c = only_report(seg);
  CHECK(c.offset == 102225);
  CHECK(c.code == errc::short_header);
  CHECK(c.to_string() == "log-00000000-00000000 @ 102225: item header truncated");
}

TEST_CASE("A bad magic is reported as bad_magic", "[log][corruption]") {
  auto seg = stage1();
  seg[310 + 3] = std::byte{'X'};
  auto c = only_report(seg);
  CHECK(c.offset == 310);
  CHECK(c.code == errc::bad_magic);
}

TEST_CASE("A section running past the end is reported as section_overrun", "[log][corruption]") {
  auto seg = stage1();
  seg.resize(310 + 89 + 1000);  // big.bin's first block loses most of its payload
  auto c = only_report(seg);
  CHECK(c.offset == 310);
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
    for (std::size_t i = 0; i < 16; ++i) seg[hello_inode + 89 + 84 + i] = std::byte{0};
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
  seg[101896] = std::byte{0};  // the imap block's magic
  std::size_t good = 0;
  bool saw_error = false;
  for (const auto& it : segment_items<bs::layout>(seg)) {
    if (it) {
      ++good;
      continue;
    }
    saw_error = true;
    CHECK(it.error().offset == 101896);
    CHECK(it.error().code == errc::bad_magic);
  }
  CHECK(good == 12);
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
