// SPDX-License-Identifier: BSL-1.0
// secret_bytes and cleanse: key material leaves no copy behind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <type_traits>

#include "cloudlog/crypto/secret.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

TEST_CASE("secret_bytes leaves no copy behind when moved, and wipes", "[crypto][secret]") {
  const bytes key = to_bytes("0123456789abcdef");
  secret_bytes<16> a(key);
  CHECK(std::equal(a.view().begin(), a.view().end(), key.begin()));
  secret_bytes<16> b(std::move(a));
  CHECK(std::equal(b.view().begin(), b.view().end(), key.begin()));
  CHECK(
      std::all_of(a.view().begin(), a.view().end(), [](std::byte x) { return x == std::byte{}; }));
  secret_bytes<16> c;
  c = std::move(b);
  CHECK(
      std::all_of(b.view().begin(), b.view().end(), [](std::byte x) { return x == std::byte{}; }));
  c.wipe();
  CHECK(
      std::all_of(c.view().begin(), c.view().end(), [](std::byte x) { return x == std::byte{}; }));
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<secret_bytes<16>>);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<bs::cipher>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<bs::cipher>);
  bytes buf = key;
  cleanse(buf);
  CHECK(buf == bytes(16));
}
