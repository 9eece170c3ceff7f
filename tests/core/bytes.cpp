// SPDX-License-Identifier: BSL-1.0
#include <catch2/catch.hpp>

#include "cloudlog/bytes.hpp"

using namespace cloudlog;

TEST_CASE("Little-endian integers round-trip and lay out low byte first", "[core][bytes]") {
  std::byte buf[8];
  store_le<std::uint32_t>(buf, 0x11223344u);
  CHECK(buf[0] == std::byte{0x44});
  CHECK(buf[3] == std::byte{0x11});
  CHECK(load_le<std::uint32_t>(buf) == 0x11223344u);
  store_le<std::uint64_t>(buf, 0x7ad7dafb42a498b4ull);
  CHECK(to_hex(byte_view(buf, 8)) == "b498a442fbdad77a");
  CHECK(load_le<std::uint64_t>(buf) == 0x7ad7dafb42a498b4ull);
}

TEST_CASE("Hex text round-trips and rejects bad input", "[core][bytes]") {
  bytes b;
  REQUIRE(from_hex("00ff10Ab", b));
  CHECK(to_hex(b) == "00ff10ab");
  CHECK_FALSE(from_hex("abc", b));
  CHECK_FALSE(from_hex("zz", b));
}
