// SPDX-License-Identifier: BSL-1.0
// crypto_traits: where a format keeps an item's protection (tag, IV, magics, the
// covered region, key labels), by member index of its header layout, so a cipher
// hard-codes nothing format-specific; and the framing helpers ciphers share.
#ifndef CLOUDLOG_CRYPTO_CRYPTO_TRAITS_HPP
#define CLOUDLOG_CRYPTO_CRYPTO_TRAITS_HPP

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cloudlog/bytes.hpp"
#include "cloudlog/log/header_layout.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// CryptoTraits T describe where a format keeps its protection, by member index of
// the header layout T::layout, so a cipher hard-codes nothing format-specific:
// which member is the tag and which the IV, the plain and encrypted magic values,
// which item types have their payload encrypted (the others are only tagged), and
// where the tag's covered region starts (it ends with the link-id section, so the
// link locations stay outside it: a key-less cleaner can rewrite them).
// Key derivation labels and the master key size are the format's too.
template <class T>
concept crypto_traits = requires(std::uint8_t type) {
  // The header layout the items use.
  requires header_layout<typename T::layout>;
  // Index of the member holding the 32-byte tag.
  { T::tag_member } -> std::same_as<const std::size_t&>;
  // Index of the member holding the 16-byte IV (initial counter block).
  { T::iv_member } -> std::same_as<const std::size_t&>;
  // Index of the first header member covered by the tag.
  { T::covered_from_member } -> std::same_as<const std::size_t&>;
  // The magic of an item whose payload is in clear.
  {
    T::plain_magic
    }
    -> std::same_as<const member_type_t<typename T::layout::header_type, T::layout::magic_member>&>;
  // The magic of an item whose payload is encrypted.
  {
    T::encrypted_magic
    }
    -> std::same_as<const member_type_t<typename T::layout::header_type, T::layout::magic_member>&>;
  // True when items of TYPE have their payload encrypted (false: only tagged).
  { T::encrypts(type) } -> std::same_as<bool>;
  // How many master key bytes the derivation uses (shorter keys are zero-padded).
  { T::master_key_size } -> std::same_as<const std::size_t&>;
  // The HMAC message deriving the encryption key from the master key.
  { T::encryption_key_label } -> std::same_as<const std::string_view&>;
  // The HMAC message deriving the authentication key from the master key.
  { T::authentication_key_label } -> std::same_as<const std::string_view&>;
  // The tag is 32 bytes, the IV 16.
  requires std::same_as<member_type_t<typename T::layout::header_type, T::tag_member>,
                        std::array<std::byte, 32>>;
  requires std::same_as<member_type_t<typename T::layout::header_type, T::iv_member>,
                        std::array<std::byte, 16>>;
};

namespace detail {

// Where the pieces of one whole item are, found from its header alone.
struct item_frame {
  std::size_t payload_at = 0;    // first payload byte
  std::size_t payload_size = 0;  // section 1 length
  std::size_t covered_at = 0;    // first byte covered by the tag
  std::size_t covered_end = 0;   // one past the last covered byte (end of link ids)
};

// Reads member I of the header at the start of ITEM.
// REQUIRES: ITEM holds a whole header.
template <crypto_traits Traits, std::size_t I>
auto read_member(byte_view item) noexcept {
  using header = typename Traits::layout::header_type;
  return field_codec<cloudlog::member_type_t<header, I>>::decode(item.data() +
                                                                 packed_offset_v<header, I>);
}

// Writes member I of the header at the start of ITEM.
// REQUIRES: ITEM holds a whole header.
template <crypto_traits Traits, std::size_t I>
void write_member(
    mutable_byte_view item,
    const cloudlog::member_type_t<typename Traits::layout::header_type, I>& v) noexcept {
  using header = typename Traits::layout::header_type;
  field_codec<cloudlog::member_type_t<header, I>>::encode(v,
                                                          item.data() + packed_offset_v<header, I>);
}

// Frames ITEM (one whole item): errc::short_header if it is shorter than a header,
// errc::section_overrun if its sections run past its end, errc::invalid_argument if
// bytes follow its last section.
template <crypto_traits Traits>
result<item_frame> frame_item(byte_view item) noexcept {
  using layout = typename Traits::layout;
  constexpr std::size_t hs = header_size_v<layout>;
  if (item.size() < hs) return fail(errc::short_header);
  const std::uint64_t s1 = read_member<Traits, layout::payload_size_member>(item);
  const std::uint64_t s2 = read_member<Traits, layout::link_ids_size_member>(item);
  const std::uint64_t s3 = read_member<Traits, layout::link_locations_size_member>(item);
  const std::uint64_t total = hs + s1 + s2 + s3;
  if (total > item.size()) return fail(errc::section_overrun);
  if (total < item.size()) return fail(errc::invalid_argument);
  return item_frame{hs, static_cast<std::size_t>(s1),
                    header_offset_v<layout, Traits::covered_from_member>,
                    static_cast<std::size_t>(hs + s1 + s2)};
}

// True when every tag byte of ITEM is zero.
// REQUIRES: ITEM holds a whole header.
template <crypto_traits Traits>
bool tag_is_zero(byte_view item) noexcept {
  const auto tag = read_member<Traits, Traits::tag_member>(item);
  return std::all_of(tag.begin(), tag.end(), [](std::byte b) { return b == std::byte{0}; });
}

}  // namespace detail

}  // namespace cloudlog

#endif  // CLOUDLOG_CRYPTO_CRYPTO_TRAITS_HPP
