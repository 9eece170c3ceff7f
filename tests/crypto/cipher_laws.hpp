// SPDX-License-Identifier: BSL-1.0
// The cipher law suite (docs/concepts/cipher.md, "Laws"), run against every
// model on random BlueSky items of every type.
#ifndef CLOUDLOG_TESTS_CRYPTO_CIPHER_LAWS_HPP
#define CLOUDLOG_TESTS_CRYPTO_CIPHER_LAWS_HPP

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/log/item.hpp"
#include "crypto/helpers.hpp"

namespace cloudlog::test {

// Checks the laws of cipher C on random items. KEYED: C holds a key (sealed
// items verify ok) rather than being key-less (sealed items read zero).
template <cipher C>
void check_cipher_laws(const C& c, bool keyed, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  const std::uint8_t types[] = {'1', '2', '3', '4', '9'};
  for (std::uint8_t type : types) {
    for (std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{17}, std::size_t{4096}, std::size_t{32768}}) {
      INFO("type " << type << " payload " << size);
      const auto original = random_item(rng, type, size, 5);
      auto x = original;
      REQUIRE(c.seal(x));
      // verify after seal: ok with a key, zero without; and verify is pure.
      const auto sealed = x;
      CHECK(c.verify(x) == (keyed ? tag_status::ok : tag_status::zero));
      CHECK(x == sealed);
      // Locations are not covered: rewriting them keeps the status.
      auto v = parse_item<bluesky::layout>(x, 0);
      REQUIRE(v);
      std::vector<location> moved;
      for (const auto& l : v->links())
        if (l.where) moved.push_back({1, 99, l.where->offset + 1, l.where->size});
      auto relocated = x;
      rewrite_link_locations<bluesky::layout>(relocated, moved);
      CHECK(c.verify(relocated) == c.verify(x));
      // Open fails => unchanged. (Keyed: a tampered covered byte. Key-less: an
      // item some keyed writer encrypted.)
      auto tampered = x;
      tampered[60] ^= std::byte{0x40};
      if (!keyed) tampered[3] = bluesky::magic_encrypted[3];
      const auto before = tampered;
      CHECK_FALSE(c.open(tampered));
      CHECK(tampered == before);
      // A keyed cipher trusts the uncovered magic only as far as the type agrees.
      if (keyed) {
        auto flipped = x;
        flipped[3] ^= std::byte{0x10};  // "AgI-" <-> "AgI="
        const auto flipped_before = flipped;
        CHECK(c.verify(flipped) == tag_status::ok);
        CHECK(c.open(flipped).error() == errc::bad_magic);
        CHECK(flipped == flipped_before);
      }
      // Round trip: open restores the original, tag bytes aside.
      REQUIRE(c.open(x));
      auto expect = original;
      std::copy(x.begin() + 4, x.begin() + 36, expect.begin() + 4);
      CHECK(x == expect);
    }
  }
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_CRYPTO_CIPHER_LAWS_HPP
