// SPDX-License-Identifier: BSL-1.0
// Archetypes for the cipher concept and crypto_traits: the least a type must
// provide, and near misses that each lack exactly one requirement.
#ifndef CLOUDLOG_TESTS_CRYPTO_CIPHER_ARCHETYPES_HPP
#define CLOUDLOG_TESTS_CRYPTO_CIPHER_ARCHETYPES_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/crypto/crypto_traits.hpp"
#include "cloudlog/log/header_layout.hpp"
#include "cloudlog/object_id.hpp"

namespace cloudlog::test {

// --- cipher ---
struct cipher_archetype {
  result<void> seal(mutable_byte_view) const { return fail(errc::crypto_failure); }
  result<void> open(mutable_byte_view) const { return fail(errc::bad_tag); }
  tag_status verify(byte_view) const { return tag_status::bad; }
};

struct cipher_without_seal {
  result<void> open(mutable_byte_view) const { return fail(errc::bad_tag); }
  tag_status verify(byte_view) const { return tag_status::bad; }
};
struct cipher_without_open {
  result<void> seal(mutable_byte_view) const { return fail(errc::crypto_failure); }
  tag_status verify(byte_view) const { return tag_status::bad; }
};
struct cipher_without_verify {
  result<void> seal(mutable_byte_view) const { return fail(errc::crypto_failure); }
  result<void> open(mutable_byte_view) const { return fail(errc::bad_tag); }
};
// open reports failure as a bool, not result<void>.
struct cipher_with_bool_open {
  result<void> seal(mutable_byte_view) const { return fail(errc::crypto_failure); }
  bool open(mutable_byte_view) const { return false; }
  tag_status verify(byte_view) const { return tag_status::bad; }
};
// verify answers bool, not tag_status (cannot say "zero").
struct cipher_with_bool_verify {
  result<void> seal(mutable_byte_view) const { return fail(errc::crypto_failure); }
  result<void> open(mutable_byte_view) const { return fail(errc::bad_tag); }
  bool verify(byte_view) const { return false; }
};
// seal is not const: a shared cipher could not be used through a const reference.
struct cipher_with_mutable_seal {
  result<void> seal(mutable_byte_view) { return fail(errc::crypto_failure); }
  result<void> open(mutable_byte_view) const { return fail(errc::bad_tag); }
  tag_status verify(byte_view) const { return tag_status::bad; }
};
// open returns a copy instead of working in place.
struct cipher_with_copying_open {
  result<void> seal(mutable_byte_view) const { return fail(errc::crypto_failure); }
  result<bytes> open(byte_view) const { return fail(errc::bad_tag); }
  tag_status verify(byte_view) const { return tag_status::bad; }
};

// --- crypto_traits ---
// A made-up format unlike BlueSky: one-byte magic, the IV before the tag, the
// tag covering from the type on, a u16 owner.
struct toy_header {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(toy_header,
    (std::uint8_t, magic),
    (std::array<std::byte, 16>, iv),
    (std::array<std::byte, 32>, tag),
    (std::uint8_t, type),
    (object_id, id),
    (std::uint32_t, s1),
    (std::uint32_t, s2),
    (std::uint32_t, s3),
    (std::uint16_t, owner)
  );
  // clang-format on
};

struct toy_layout {
  using header_type = toy_header;
  static constexpr std::size_t magic_member = 0;
  static constexpr std::size_t type_member = 3;
  static constexpr std::size_t id_member = 4;
  static constexpr std::size_t owner_member = 8;
  static constexpr std::size_t payload_size_member = 5;
  static constexpr std::size_t link_ids_size_member = 6;
  static constexpr std::size_t link_locations_size_member = 7;
  static bool valid_magic(const toy_header& h) noexcept { return h.magic == 'p' || h.magic == 'e'; }
};

struct traits_archetype {
  using layout = toy_layout;
  static constexpr std::size_t tag_member = 2;
  static constexpr std::size_t iv_member = 1;
  static constexpr std::size_t covered_from_member = 3;
  static constexpr std::uint8_t plain_magic = 'p';
  static constexpr std::uint8_t encrypted_magic = 'e';
  static constexpr std::size_t master_key_size = 16;
  static constexpr std::string_view encryption_key_label = "toy-enc";
  static constexpr std::string_view authentication_key_label = "toy-auth";
  static constexpr bool encrypts(std::uint8_t type) noexcept { return type == 'x'; }
};

// Lacks encrypts().
struct traits_without_encrypts {
  using layout = toy_layout;
  static constexpr std::size_t tag_member = 2;
  static constexpr std::size_t iv_member = 1;
  static constexpr std::size_t covered_from_member = 3;
  static constexpr std::uint8_t plain_magic = 'p';
  static constexpr std::uint8_t encrypted_magic = 'e';
  static constexpr std::size_t master_key_size = 16;
  static constexpr std::string_view encryption_key_label = "toy-enc";
  static constexpr std::string_view authentication_key_label = "toy-auth";
};

// The tag member is the 16-byte IV: not a 32-byte HMAC-SHA256 tag.
struct traits_with_short_tag {
  using layout = toy_layout;
  static constexpr std::size_t tag_member = 1;
  static constexpr std::size_t iv_member = 1;
  static constexpr std::size_t covered_from_member = 3;
  static constexpr std::uint8_t plain_magic = 'p';
  static constexpr std::uint8_t encrypted_magic = 'e';
  static constexpr std::size_t master_key_size = 16;
  static constexpr std::string_view encryption_key_label = "toy-enc";
  static constexpr std::string_view authentication_key_label = "toy-auth";
  static constexpr bool encrypts(std::uint8_t type) noexcept { return type == 'x'; }
};

// The magics are not of the magic member's type (a string for a one-byte magic).
struct traits_with_wrong_magic_type {
  using layout = toy_layout;
  static constexpr std::size_t tag_member = 2;
  static constexpr std::size_t iv_member = 1;
  static constexpr std::size_t covered_from_member = 3;
  static constexpr std::string_view plain_magic = "p";
  static constexpr std::string_view encrypted_magic = "e";
  static constexpr std::size_t master_key_size = 16;
  static constexpr std::string_view encryption_key_label = "toy-enc";
  static constexpr std::string_view authentication_key_label = "toy-auth";
  static constexpr bool encrypts(std::uint8_t type) noexcept { return type == 'x'; }
};

// Lacks the key-derivation labels.
struct traits_without_labels {
  using layout = toy_layout;
  static constexpr std::size_t tag_member = 2;
  static constexpr std::size_t iv_member = 1;
  static constexpr std::size_t covered_from_member = 3;
  static constexpr std::uint8_t plain_magic = 'p';
  static constexpr std::uint8_t encrypted_magic = 'e';
  static constexpr std::size_t master_key_size = 16;
  static constexpr bool encrypts(std::uint8_t type) noexcept { return type == 'x'; }
};

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_CRYPTO_CIPHER_ARCHETYPES_HPP
