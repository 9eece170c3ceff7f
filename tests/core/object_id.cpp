// SPDX-License-Identifier: BSL-1.0
// object_id: 16 bytes, all zero is the null link; hex form, byte form, packed
// form (the bytes as they are), order and hash.
#include <catch2/catch.hpp>

#include <unordered_set>

#include "cloudlog/object_id.hpp"

using namespace cloudlog;

namespace {
object_id counting(unsigned first) {
  std::byte raw[16];
  for (unsigned i = 0; i < 16; ++i) raw[i] = static_cast<std::byte>(first + i);
  return object_id::from_bytes(raw);
}
}  // namespace

TEST_CASE("An object id round-trips through its bytes, hex and packed forms", "[core][object_id]") {
  const auto id = counting(1);
  CHECK_FALSE(id.is_null());
  CHECK(id.hex() == "0102030405060708090a0b0c0d0e0f10");
  CHECK(object_id::from_hex(id.hex()) == id);
  CHECK(object_id::from_hex("0102030405060708090A0B0C0D0E0F10") == id);  // either case
  CHECK_FALSE(object_id::from_hex(id.hex() + "00"));
  STATIC_REQUIRE(field_codec<object_id>::size == 16);
  bytes out;
  field_codec<object_id>::encode(id, (out.resize(16), out.data()));
  CHECK(std::equal(out.begin(), out.end(), id.value.begin()));  // stored as is
  CHECK(field_codec<object_id>::decode(out.data()) == id);
}

TEST_CASE("Object ids order bytewise and hash by their first eight bytes", "[core][object_id]") {
  CHECK(object_id{} < counting(0));  // counting(0) ends with 15, not all zero
  CHECK(counting(1) < counting(2));
  CHECK(object_id{}.is_null());
  CHECK(std::hash<object_id>{}(counting(1)) == load_le<std::uint64_t>(counting(1).value.data()));
  std::unordered_set<object_id> seen{counting(1), counting(2), counting(1)};
  CHECK(seen.size() == 2);
}
