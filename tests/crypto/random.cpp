// SPDX-License-Identifier: BSL-1.0
// crypto/random.hpp: random bytes fill the whole buffer and differ between calls;
// random object ids are never null.
#include <catch2/catch.hpp>

#include <array>
#include <set>

#include "cloudlog/crypto/random.hpp"

using namespace cloudlog;

TEST_CASE("random_bytes fills every byte, differently each call", "[crypto][random]") {
  std::array<std::byte, 64> a{}, b{};
  REQUIRE(random_bytes(a));
  REQUIRE(random_bytes(b));
  CHECK(a != b);  // 2^-512 to fail
  // Over many draws every byte position takes many values (nothing left unfilled).
  std::array<std::set<std::byte>, 64> seen;
  for (int i = 0; i < 200; ++i) {
    REQUIRE(random_bytes(a));
    for (std::size_t k = 0; k < a.size(); ++k) seen[k].insert(a[k]);
  }
  for (const auto& s : seen) CHECK(s.size() > 100);
  CHECK(random_bytes(mutable_byte_view{}));  // nothing to fill is fine
}

TEST_CASE("random_object_id is never the null id", "[crypto][random]") {
  for (int i = 0; i < 100; ++i) CHECK_FALSE(random_object_id().value().is_null());
}
