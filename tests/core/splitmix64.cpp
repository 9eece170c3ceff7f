// SPDX-License-Identifier: BSL-1.0
#include <catch2/catch.hpp>

#include "cloudlog/splitmix64.hpp"

using namespace cloudlog;

TEST_CASE("splitmix64 gives the reference sequence for seed 0", "[core][splitmix64]") {
  // The first outputs of Vigna's splitmix64.c with x = 0.
  splitmix64 rng(0);
  CHECK(rng.next() == 0xe220a8397b1dcdafULL);
  CHECK(rng.next() == 0x6e789e6aa1b965f4ULL);
  CHECK(rng.next() == 0x06c45d188009454fULL);
}

TEST_CASE("splitmix64's unit, below and fill derive from next", "[core][splitmix64]") {
  splitmix64 a(42), b(42);
  for (int i = 0; i < 1000; ++i) {
    const double u = a.unit();
    CHECK(u == static_cast<double>(b.next() >> 11) * 0x1.0p-53);
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
    const auto n = static_cast<std::uint64_t>(i + 1);
    const auto v = a.below(n);
    CHECK(v == b.next() % n);
    CHECK(v < n);
  }
  bytes buf(13);  // one whole value and 5 bytes of the next, little-endian
  a.fill(buf);
  const auto first = b.next(), second = b.next();
  for (int k = 0; k < 8; ++k) CHECK(buf[k] == static_cast<std::byte>(first >> (8 * k)));
  for (int k = 0; k < 5; ++k) CHECK(buf[8 + k] == static_cast<std::byte>(second >> (8 * k)));
}
