// SPDX-License-Identifier: BSL-1.0
// basic_no_cipher: the key-less cipher of a format (docs/concepts/cipher.md).
#ifndef CLOUDLOG_CRYPTO_NO_CIPHER_HPP
#define CLOUDLOG_CRYPTO_NO_CIPHER_HPP

#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/crypto/crypto_traits.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// The key-less cipher of a format: what a reader or writer without a key can do.
// seal: sets the plain magic and zeroes IV and tag (nothing is encrypted, nothing
//   authenticated; the tag then reads as tag_status::zero).
// open: accepts plain-magic items as they are (tags are not checked: without a key
//   they cannot be) and zeroes their IV; refuses encrypted items with errc::bad_key.
// verify: tag_status::zero for an all-zero tag, otherwise tag_status::bad (a tag
//   cannot be confirmed without the key).
// Stateless and thread-safe.
template <crypto_traits Traits>
struct basic_no_cipher {
  using traits = Traits;

  // Fails: errc::short_header, errc::section_overrun, errc::invalid_argument (not
  // exactly one item, or an item whose magic is already the encrypted one),
  // errc::bad_magic (neither magic).
  result<void> seal(mutable_byte_view item) const {
    auto f = detail::frame_item<Traits>(item);
    if (!f) return fail(f.error());
    const auto magic = detail::read_member<Traits, Traits::layout::magic_member>(item);
    if (magic == Traits::encrypted_magic) return fail(errc::invalid_argument);
    if (magic != Traits::plain_magic) return fail(errc::bad_magic);
    detail::write_member<Traits, Traits::iv_member>(item, {});
    detail::write_member<Traits, Traits::tag_member>(item, {});
    return {};
  }

  // Fails, leaving ITEM unchanged: errc::short_header, errc::section_overrun,
  // errc::invalid_argument, errc::bad_magic, errc::bad_key (an encrypted item).
  result<void> open(mutable_byte_view item) const {
    auto f = detail::frame_item<Traits>(item);
    if (!f) return fail(f.error());
    const auto magic = detail::read_member<Traits, Traits::layout::magic_member>(item);
    if (magic == Traits::encrypted_magic) return fail(errc::bad_key);
    if (magic != Traits::plain_magic) return fail(errc::bad_magic);
    detail::write_member<Traits, Traits::iv_member>(item, {});
    return {};
  }

  // zero for a whole item with an all-zero tag; bad otherwise.
  tag_status verify(byte_view item) const noexcept {
    if (!detail::frame_item<Traits>(item)) return tag_status::bad;
    return detail::tag_is_zero<Traits>(item) ? tag_status::zero : tag_status::bad;
  }
};

}  // namespace cloudlog

#endif  // CLOUDLOG_CRYPTO_NO_CIPHER_HPP
