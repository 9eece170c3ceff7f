// SPDX-License-Identifier: BSL-1.0
// Hostile input: garbage, truncated and oversized items never crash a cipher,
// are never read past their end, and never come back as data.
#include <catch2/catch.hpp>

#include <limits>
#include <random>

#include "cloudlog/crypto/segment.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "crypto/helpers.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

TEST_CASE("random bytes and random headers never crash a cipher and never open",
          "[crypto][robustness]") {
  auto c = bs::cipher::from_master(test::fixture_master32());
  REQUIRE(c);
  const bs::no_cipher none;
  std::mt19937_64 rng(2026);
  int opened = 0;
  for (int i = 0; i < 20000; ++i) {
    bytes x(rng() % 300);
    for (auto& b : x) b = static_cast<std::byte>(rng() & 0xff);
    if (x.size() >= 89 && rng() % 2) {
      // Plausible framing: magic valid, sizes that fit exactly, or that overflow.
      x[0] = std::byte{'A'}, x[1] = std::byte{'g'}, x[2] = std::byte{'I'};
      x[3] = rng() % 2 ? std::byte{'-'} : std::byte{'='};
      const std::uint32_t rest = static_cast<std::uint32_t>(x.size() - 89);
      const std::uint32_t s1 = rng() % 4 ? rest / 2 : std::numeric_limits<std::uint32_t>::max();
      const std::uint32_t s2 = rest - std::min(rest, s1);
      store_le(&x[77], s1);
      store_le(&x[81], s2);
      store_le(&x[85], std::uint32_t{0});
    }
    const auto before = x;
    CHECK(c->verify(x) != tag_status::ok);
    if (c->open(x)) ++opened;
    CHECK(x == before);
    if (x.size() >= 4 && x[3] == std::byte{'='} && x[0] == std::byte{'A'}) {
      CHECK_FALSE(none.open(x));
      CHECK(x == before);
    }
  }
  CHECK(opened == 0);
}

TEST_CASE("a segment of garbage after real items is reported, not decrypted",
          "[crypto][robustness][segment]") {
  auto c = bs::cipher::from_master(test::fixture_master32());
  REQUIRE(c);
  auto seg = test::read_file(test::fixtures_dir() / "main/stage1-write/log-00000000-00000000");
  const auto real = seg.size();
  for (int i = 0; i < 200; ++i) seg.push_back(static_cast<std::byte>(i * 31));
  std::vector<corruption> reports;
  auto r = open_segment<bs::layout>("log-00000000-00000000", seg, *c,
                                    [&](const corruption& x) { reports.push_back(x); });
  REQUIRE_FALSE(r);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].offset == real);
  CHECK(reports[0].length == 200);
  CHECK(reports[0].code == errc::bad_magic);
}
