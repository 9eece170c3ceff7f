// SPDX-License-Identifier: BSL-1.0
// BlueSky's item protection (docs/crypto.md, spec section 6): its crypto traits,
// bluesky::cipher (AES-128-CTR + HMAC-SHA256), the key-less no_cipher, and
// loading the master key from --key-file or BLUESKY_KEY.
#ifndef CLOUDLOG_FORMATS_BLUESKY_CRYPTO_HPP
#define CLOUDLOG_FORMATS_BLUESKY_CRYPTO_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/aes_ctr_hmac.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/crypto/no_cipher.hpp"
#include "cloudlog/crypto/secret.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::bluesky {

// Where BlueSky keeps its protection (spec section 6):
//   magic "AgI-" (clear) / "AgI=" (encrypted); tag = crypt_auth (bytes 4..35);
//   IV = crypt_iv (bytes 36..51); the tag covers bytes 36 up to the end of the
//   link ids (IV, type, id, inum, the three sizes, payload, link ids);
//   INODE_MAP and CHECKPOINT are only tagged; DATA, INODE and every unknown type
//   digit are encrypted ("must encrypt", as the original does);
//   master key = 32 bytes; enc key = HMAC(master, "ENCRYPT")[0:16];
//   auth key = HMAC(master, "AUTH").
struct cipher_traits {
  using layout = bluesky::layout;
  static constexpr std::size_t tag_member = layout::auth_member;
  static constexpr std::size_t iv_member = layout::iv_member;
  static constexpr std::size_t covered_from_member = layout::iv_member;
  static constexpr magic_bytes plain_magic = magic_plain;
  static constexpr magic_bytes encrypted_magic = magic_encrypted;
  static constexpr std::size_t master_key_size = 32;
  static constexpr std::string_view encryption_key_label = "ENCRYPT";
  static constexpr std::string_view authentication_key_label = "AUTH";
  // False only for INODE_MAP and CHECKPOINT.
  static constexpr bool encrypts(std::uint8_t type) noexcept {
    return type != type_byte(item_type::inode_map) && type != type_byte(item_type::checkpoint);
  }
};
static_assert(cloudlog::crypto_traits<cipher_traits>);
static_assert(header_offset_v<layout, cipher_traits::covered_from_member> == 36);

// BlueSky's cipher: aes_ctr_hmac_cipher with BlueSky's traits. Build one with
// cipher::from_master(master key bytes) (see load_master_key). Move-only; calls
// on one object are serialized (use clone() per thread).
// NOTE: inside namespace cloudlog::bluesky this name hides the concept
// cloudlog::cipher; spell the concept with its namespace there.
using cipher = aes_ctr_hmac_cipher<cipher_traits>;
static_assert(cloudlog::cipher<cipher>);

// The key-less cipher for BlueSky items (see basic_no_cipher).
using no_cipher = basic_no_cipher<cipher_traits>;
static_assert(cloudlog::cipher<no_cipher>);

// The master key bytes: the whole content of KEY_FILE when given (--key-file;
// taken byte for byte, a trailing newline included), else the value of the
// environment variable BLUESKY_KEY. The bytes are returned as given: the cipher
// uses the first 32 and zero-pads shorter keys (docs/crypto.md).
// The caller owns key material: cleanse() the buffer once the cipher is made.
// Never prints or logs the key.
// Fails: errc::bad_key when no key is given, the file cannot be read, or the key
// is empty.
inline result<bytes> load_master_key(const std::optional<std::string>& key_file) {
  bytes key;
  if (key_file) {
    std::FILE* f = std::fopen(key_file->c_str(), "rb");
    if (!f) return fail(errc::bad_key);
    std::array<std::byte, 4096> buf;
    bool failed = false;
    for (;;) {
      const std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
      if (n > 0) {
        bytes grown(key.size() + n);
        std::copy(key.begin(), key.end(), grown.begin());
        std::copy(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n),
                  grown.begin() + static_cast<std::ptrdiff_t>(key.size()));
        cleanse(key);
        key.swap(grown);
      }
      if (n < buf.size()) {
        failed = std::ferror(f) != 0;
        break;
      }
    }
    std::fclose(f);
    cleanse(buf);
    if (failed) {
      cleanse(key);
      return fail(errc::bad_key);
    }
  } else if (const char* env = std::getenv("BLUESKY_KEY")) {
    const auto v = as_bytes(std::string_view(env));
    key.assign(v.begin(), v.end());
  }
  if (key.empty()) return fail(errc::bad_key);
  return key;
}

}  // namespace cloudlog::bluesky

namespace cloudlog {
// The key-less cipher of the reference format (BlueSky); see basic_no_cipher.
using no_cipher = bluesky::no_cipher;
}  // namespace cloudlog

#endif  // CLOUDLOG_FORMATS_BLUESKY_CRYPTO_HPP
