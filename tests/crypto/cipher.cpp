// SPDX-License-Identifier: BSL-1.0
// The cipher concept: archetype and near misses, crypto_traits, the key-less
// model, and the laws for every model (docs/concepts/cipher.md).
#include <catch2/catch.hpp>

#include <random>

#include "cloudlog/crypto/aes_ctr_hmac.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/crypto/no_cipher.hpp"
#include "cloudlog/crypto/segment.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "crypto/cipher_archetypes.hpp"
#include "crypto/cipher_laws.hpp"
#include "crypto/helpers.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

TEST_CASE("the cipher concept accepts its archetype and models, rejects near misses",
          "[crypto][cipher][concept]") {
  STATIC_REQUIRE(cipher<test::cipher_archetype>);
  STATIC_REQUIRE(cipher<no_cipher>);
  STATIC_REQUIRE(cipher<bs::cipher>);
  STATIC_REQUIRE(cipher<basic_no_cipher<test::traits_archetype>>);
  STATIC_REQUIRE(cipher<aes_ctr_hmac_cipher<test::traits_archetype>>);
  STATIC_REQUIRE_FALSE(cipher<test::cipher_without_seal>);
  STATIC_REQUIRE_FALSE(cipher<test::cipher_without_open>);
  STATIC_REQUIRE_FALSE(cipher<test::cipher_without_verify>);
  STATIC_REQUIRE_FALSE(cipher<test::cipher_with_bool_open>);
  STATIC_REQUIRE_FALSE(cipher<test::cipher_with_bool_verify>);
  STATIC_REQUIRE_FALSE(cipher<test::cipher_with_mutable_seal>);
  STATIC_REQUIRE_FALSE(cipher<test::cipher_with_copying_open>);
}

TEST_CASE("crypto_traits accepts BlueSky's and the archetype's, rejects near misses",
          "[crypto][cipher][concept]") {
  STATIC_REQUIRE(crypto_traits<bs::cipher_traits>);
  STATIC_REQUIRE(crypto_traits<test::traits_archetype>);
  STATIC_REQUIRE_FALSE(crypto_traits<test::traits_without_encrypts>);
  STATIC_REQUIRE_FALSE(crypto_traits<test::traits_with_short_tag>);
  STATIC_REQUIRE_FALSE(crypto_traits<test::traits_with_wrong_magic_type>);
  STATIC_REQUIRE_FALSE(crypto_traits<test::traits_without_labels>);
}

// Every generic component, instantiated with the archetype cipher.
namespace {
void ignore(const corruption&) {}
}  // namespace

TEST_CASE("generic segment functions work with the archetype cipher", "[crypto][cipher]") {
  std::mt19937_64 rng(3);
  auto seg = test::random_item(rng, '1', 10, 0);
  const auto more = test::random_item(rng, '3', 10, 2);
  seg.insert(seg.end(), more.begin(), more.end());
  auto tags =
      verify_segment<bs::layout>("log-00000000-00000000", seg, test::cipher_archetype{}, ignore);
  REQUIRE(tags);
  CHECK(tags->size() == 2);
  std::vector<corruption> reports;
  CHECK(open_segment<bs::layout>("log-00000000-00000000", seg, test::cipher_archetype{},
                                 [&](const corruption& c) { reports.push_back(c); })
            .error() == errc::bad_tag);
  CHECK(reports.size() == 2);
}

TEST_CASE("tag_status prints as ok, bad, zero", "[crypto][cipher]") {
  CHECK(to_string(tag_status::ok) == "ok");
  CHECK(to_string(tag_status::bad) == "bad");
  CHECK(to_string(tag_status::zero) == "zero");
}

TEST_CASE("no_cipher seals plain with zero IV and tag, opens only plain items",
          "[crypto][cipher][no_cipher]") {
  const no_cipher none;
  std::mt19937_64 rng(7);
  for (std::uint8_t type : {'1', '2', '3', '4'}) {
    auto x = test::random_item(rng, type, 100, 3);
    std::fill(x.begin() + 4, x.begin() + 52, std::byte{0x5a});  // garbage tag + IV (crypto off)
    CHECK(none.verify(x) == tag_status::bad);
    const auto garbage = x;
    REQUIRE(none.open(x));  // readable without a key
    CHECK(
        std::all_of(x.begin() + 36, x.begin() + 52, [](std::byte b) { return b == std::byte{}; }));
    CHECK(std::equal(x.begin() + 52, x.end(), garbage.begin() + 52));
    REQUIRE(none.seal(x));
    CHECK(std::all_of(x.begin() + 4, x.begin() + 52, [](std::byte b) { return b == std::byte{}; }));
    CHECK(none.verify(x) == tag_status::zero);
    x[3] = bs::magic_encrypted[3];
    const auto enc = x;
    CHECK(none.open(x).error() == errc::bad_key);
    CHECK(none.seal(x).error() == errc::invalid_argument);
    CHECK(x == enc);
    x[3] = std::byte{'?'};
    CHECK(none.open(x).error() == errc::bad_magic);
  }
}

TEST_CASE("the laws hold for no_cipher", "[crypto][cipher][laws]") {
  test::check_cipher_laws(no_cipher{}, false);
}

TEST_CASE("the laws hold for bluesky::cipher", "[crypto][cipher][laws]") {
  auto c = bs::cipher::from_master(as_bytes("a passphrase of at least 32 bytes, as advised"));
  REQUIRE(c);
  test::check_cipher_laws(*c, true);
}
