// SPDX-License-Identifier: BSL-1.0
// open_segment and verify_segment on real fixture segments: every item's tag
// status, and failures reported as corruption naming segment and offset.
#include <catch2/catch.hpp>

#include <vector>

#include "cloudlog/crypto/segment.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/log/segment.hpp"
#include "crypto/helpers.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {

bs::cipher fixture_cipher() {
  auto c = bs::cipher::from_master(test::fixture_master32());
  REQUIRE(c);
  return std::move(*c);
}

const std::filesystem::path stage1() {
  return test::fixtures_dir() / "main/stage1-write";
}

}  // namespace

TEST_CASE("open_segment names the segment and offset of every item that fails",
          "[crypto][bluesky][segment]") {
  const auto c = fixture_cipher();
  auto seg = test::read_file(stage1() / "log-00000000-00000000");
  SECTION("an intact segment opens entirely and decrypts in place") {
    std::vector<corruption> reports;
    REQUIRE(open_segment<bs::layout>("log-00000000-00000000", seg, c,
                                     [&](const corruption& r) { reports.push_back(r); }));
    CHECK(reports.empty());
    auto items = parse_segment<bs::layout>(seg);
    REQUIRE(items);
    for (const auto& it : *items) CHECK(it.header().magic == bs::magic_plain);
    CHECK(as_chars((*items)[0].payload()) == "Hello, BlueSky!\n");
  }
  SECTION("a tampered item is reported and left encrypted; the others open") {
    seg[33167 + 89 + 7] ^= std::byte{0x80};
    const auto tampered = bytes(seg.begin() + 33167, seg.begin() + 33167 + 32857);
    std::vector<corruption> reports;
    auto r = open_segment<bs::layout>("log-00000000-00000000", seg, c,
                                      [&](const corruption& x) { reports.push_back(x); });
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::bad_tag);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].segment == "log-00000000-00000000");
    CHECK(reports[0].offset == 33167);
    CHECK(reports[0].length == 32857);
    CHECK(reports[0].to_string() ==
          "log-00000000-00000000 @ 33167: authentication tag does not verify (wrong key or "
          "tampered item)");
    CHECK(std::equal(tampered.begin(), tampered.end(), seg.begin() + 33167));
    CHECK(as_chars(byte_view(seg).subspan(89, 16)) == "Hello, BlueSky!\n");
  }
  SECTION("a truncated segment stops at the cut item with its framing error") {
    seg.resize(100666 + 200);
    std::vector<corruption> reports;
    auto r = open_segment<bs::layout>("log-00000000-00000000", seg, c,
                                      [&](const corruption& x) { reports.push_back(x); });
    REQUIRE_FALSE(r);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].offset == 100666);
    CHECK(reports[0].length == 200);
    CHECK(reports[0].code == errc::section_overrun);
  }
  SECTION("without a key, encrypted items are reported as needing one") {
    std::vector<corruption> reports;
    auto r = open_segment<bs::layout>("log-00000000-00000000", seg, bs::no_cipher{},
                                      [&](const corruption& x) { reports.push_back(x); });
    CHECK(r.error() == errc::bad_key);
    CHECK(reports.size() == 12);  // 12 DATA/INODE items; the imap and checkpoint are plain
  }
}

TEST_CASE("verify_segment gives every item's tag status", "[crypto][bluesky][segment]") {
  const auto c = fixture_cipher();
  const auto stage = test::fixtures_dir() / "main/stage3-clean1";
  const auto expected = test::parse_dump(stage.string() + ".dump.txt");
  std::size_t at = 0;
  for (const auto& path : test::stage_segments(stage)) {
    const auto seg = test::read_file(path);
    auto tags = verify_segment<bs::layout>(path.filename().string(), seg, c,
                                           [](const corruption&) { FAIL("corruption"); });
    REQUIRE(tags);
    for (const auto& t : *tags) {
      REQUIRE(at < expected.size());
      CHECK(expected[at].segment == path.filename().string());
      CHECK(t.offset == expected[at].offset);
      CHECK(t.size == expected[at].size);
      CHECK(t.status == expected[at].tag);
      ++at;
    }
  }
  CHECK(at == expected.size());
}
