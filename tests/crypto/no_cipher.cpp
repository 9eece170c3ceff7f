// SPDX-License-Identifier: BSL-1.0
// basic_no_cipher over BlueSky's traits: seal writes the plain magic and zero IV
// and tag, open accepts plain items and refuses encrypted ones (no key), verify
// says zero for an all-zero tag and bad for anything else.
#include <catch2/catch.hpp>

#include <algorithm>

#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/log/item.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {
bytes one_item(const bs::magic_bytes& magic, std::byte fill) {
  item<bs::layout> it;
  it.header.magic = magic;
  it.header.crypt_auth.fill(fill);
  it.header.crypt_iv.fill(fill);
  it.header.type = bs::type_byte(bs::item_type::data);
  it.payload.assign(40, std::byte{0x5a});
  bytes out;
  REQUIRE(append_item(out, it));
  return out;
}
bool all_zero(byte_view b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}
}  // namespace

TEST_CASE("no_cipher seals with the plain magic and a zero IV and tag, payload untouched",
          "[crypto][no_cipher]") {
  const bs::no_cipher none;
  auto item = one_item(bs::magic_plain, std::byte{0x77});
  CHECK(none.verify(item) == tag_status::bad);  // a tag it cannot confirm
  REQUIRE(none.seal(item));
  CHECK(all_zero(byte_view(item).subspan(4, 48)));  // tag (4..35) and IV (36..51)
  CHECK(std::equal(item.begin(), item.begin() + 4, bs::magic_plain.begin()));
  CHECK(
      std::all_of(item.begin() + 89, item.end(), [](std::byte b) { return b == std::byte{0x5a}; }));
  CHECK(none.verify(item) == tag_status::zero);
}

TEST_CASE("no_cipher opens plain items and refuses encrypted ones: there is no key",
          "[crypto][no_cipher]") {
  const bs::no_cipher none;
  auto plain = one_item(bs::magic_plain, std::byte{0x11});
  REQUIRE(none.open(plain));
  CHECK(all_zero(byte_view(plain).subspan(36, 16)));  // the IV is zeroed
  auto encrypted = one_item(bs::magic_encrypted, std::byte{0x11});
  const auto before = encrypted;
  CHECK(none.open(encrypted).error() == errc::bad_key);
  CHECK(encrypted == before);  // unchanged on failure
  CHECK(none.seal(encrypted).error() == errc::invalid_argument);
}

TEST_CASE("no_cipher refuses what is not exactly one item", "[crypto][no_cipher]") {
  const bs::no_cipher none;
  auto item = one_item(bs::magic_plain, std::byte{0});
  auto two = item;
  two.insert(two.end(), item.begin(), item.end());
  CHECK(none.seal(two).error() == errc::invalid_argument);
  CHECK(none.verify(two) == tag_status::bad);
  auto cut = item;
  cut.resize(50);
  CHECK(none.seal(cut).error() == errc::short_header);
  auto junk = item;
  junk[0] = std::byte{'X'};
  CHECK_FALSE(none.seal(junk));
}
