// SPDX-License-Identifier: BSL-1.0
// cipher: the concept of protecting one serialized item in place (seal, open,
// verify) and the tag status verify reports (docs/concepts/cipher.md). Where a
// format keeps its protection is crypto/crypto_traits.hpp; the key-less model is
// crypto/no_cipher.hpp.
#ifndef CLOUDLOG_CRYPTO_CIPHER_HPP
#define CLOUDLOG_CRYPTO_CIPHER_HPP

#include <concepts>
#include <string_view>

#include "cloudlog/bytes.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// What an item's authentication tag says.
enum class tag_status {
  ok,    // the tag verifies under the cipher's key
  bad,   // it does not (wrong key, tampered or truncated item, crypto off when written)
  zero,  // all tag bytes are zero: written unauthenticated on purpose (e.g. by a key-less cleaner)
};

// "ok", "bad" or "zero" (the spelling tools print and JSON carries).
constexpr std::string_view to_string(tag_status s) noexcept {
  switch (s) {
    case tag_status::ok:
      return "ok";
    case tag_status::bad:
      return "bad";
    case tag_status::zero:
      return "zero";
  }
  return "bad";
}

// A cipher C protects one serialized item (header and its three sections, as
// written by append_item) in place. The item's format is the cipher's business:
// callers hand it whole items and never touch tags, IVs or magics themselves.
// Laws (checked for every model by tests/crypto/cipher_laws.hpp):
//   round trip: after c.seal(x) succeeds, c.open(x) succeeds and x is the
//     original item again (magic plain, IV zero), except for its tag bytes;
//   open verifies first: when c.open(x) fails, x is unchanged;
//   verify is pure: it never changes x, and c.verify(x) after c.seal(x) is ok
//     for a keyed cipher (zero for a key-less one);
//   locations are not covered: rewriting x's link-location section (what a
//     key-less cleaner does) never changes c.verify(x).
// Thread safety: each model states its own.
template <class C>
concept cipher = requires(const C& c, mutable_byte_view item, byte_view view) {
  // Protects ITEM in place: encrypts what the format says, sets the magic, a fresh
  // IV and the tag. Fails with an errc (framing, errc::invalid_argument for an item
  // already sealed, errc::crypto_failure).
  { c.seal(item) } -> std::same_as<result<void>>;
  // Verifies ITEM's tag, then decrypts it in place and resets magic and IV to the
  // plain form. Fails errc::bad_tag (or errc::bad_key without a key; errc::bad_magic
  // for a magic that is not the format's or contradicts the type), leaving ITEM
  // unchanged.
  { c.open(item) } -> std::same_as<result<void>>;
  // Says whether VIEW's tag verifies; never fails and never changes VIEW.
  { c.verify(view) } -> std::same_as<tag_status>;
};

}  // namespace cloudlog

#endif  // CLOUDLOG_CRYPTO_CIPHER_HPP
