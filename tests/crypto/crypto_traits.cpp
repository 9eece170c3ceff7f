// SPDX-License-Identifier: BSL-1.0
// crypto_traits: BlueSky's traits model it; near misses (one requirement each
// missing or of the wrong type) do not.
#include <catch2/catch.hpp>

#include <array>
#include <string_view>

#include "cloudlog/crypto/crypto_traits.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {
struct traits_exemplar {
  using layout = bs::layout;
  static constexpr std::size_t tag_member = layout::auth_member;
  static constexpr std::size_t iv_member = layout::iv_member;
  static constexpr std::size_t covered_from_member = layout::iv_member;
  static constexpr bs::magic_bytes plain_magic = bs::magic_plain;
  static constexpr bs::magic_bytes encrypted_magic = bs::magic_encrypted;
  static constexpr std::size_t master_key_size = 32;
  static constexpr std::string_view encryption_key_label = "E";
  static constexpr std::string_view authentication_key_label = "A";
  static constexpr bool encrypts(std::uint8_t) noexcept { return true; }
};
struct traits_tag_is_the_iv : traits_exemplar {  // the "tag" member is 16 bytes
  static constexpr std::size_t tag_member = layout::iv_member;
};
struct traits_iv_is_the_tag : traits_exemplar {  // the "IV" member is 32 bytes
  static constexpr std::size_t iv_member = layout::auth_member;
};
struct traits_without_encrypts {
  using layout = bs::layout;
  static constexpr std::size_t tag_member = layout::auth_member;
  static constexpr std::size_t iv_member = layout::iv_member;
  static constexpr std::size_t covered_from_member = layout::iv_member;
  static constexpr bs::magic_bytes plain_magic = bs::magic_plain;
  static constexpr bs::magic_bytes encrypted_magic = bs::magic_encrypted;
  static constexpr std::size_t master_key_size = 32;
  static constexpr std::string_view encryption_key_label = "E";
  static constexpr std::string_view authentication_key_label = "A";
};
struct traits_with_text_magic : traits_exemplar {  // magic of the wrong type
  static constexpr std::string_view plain_magic = "AgI-";
};
}  // namespace

TEST_CASE("BlueSky's traits model crypto_traits; near misses do not", "[crypto][concepts]") {
  STATIC_REQUIRE(crypto_traits<bs::cipher_traits>);
  STATIC_REQUIRE(crypto_traits<traits_exemplar>);
  STATIC_REQUIRE_FALSE(crypto_traits<traits_tag_is_the_iv>);
  STATIC_REQUIRE_FALSE(crypto_traits<traits_iv_is_the_tag>);
  STATIC_REQUIRE_FALSE(crypto_traits<traits_without_encrypts>);
  STATIC_REQUIRE_FALSE(crypto_traits<traits_with_text_magic>);
  STATIC_REQUIRE_FALSE(crypto_traits<int>);
}

TEST_CASE("BlueSky encrypts every type but INODE_MAP and CHECKPOINT", "[crypto][bluesky]") {
  CHECK(bs::cipher_traits::encrypts(bs::type_byte(bs::item_type::data)));
  CHECK(bs::cipher_traits::encrypts(bs::type_byte(bs::item_type::inode)));
  CHECK_FALSE(bs::cipher_traits::encrypts(bs::type_byte(bs::item_type::inode_map)));
  CHECK_FALSE(bs::cipher_traits::encrypts(bs::type_byte(bs::item_type::checkpoint)));
  CHECK(bs::cipher_traits::encrypts('9'));  // unknown digits: must encrypt
}
