// SPDX-License-Identifier: BSL-1.0
// SHA-256, HMAC-SHA256, MD5 and base64 over OpenSSL, for request signing and cache checks.
#ifndef CLOUDLOG_BACKEND_DETAIL_DIGEST_HPP
#define CLOUDLOG_BACKEND_DETAIL_DIGEST_HPP

#include <array>
#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cloudlog/bytes.hpp"

namespace cloudlog::detail {

using sha256_digest = std::array<std::byte, 32>;

// OpenSSL's one-shot digests only fail on allocation failure; a zero digest then
// fails every comparison and signature, which is the safe outcome.
inline sha256_digest sha256(byte_view data) {
  sha256_digest out{};
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &n,
             EVP_sha256(), nullptr);
  return out;
}

inline std::string sha256_hex(byte_view data) {
  return to_hex(sha256(data));
}

inline std::array<std::byte, 16> md5(byte_view data) {
  std::array<std::byte, 16> out{};
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &n, EVP_md5(),
             nullptr);
  return out;
}

inline sha256_digest hmac_sha256(byte_view key, byte_view data) {
  sha256_digest out{};
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       reinterpret_cast<unsigned char*>(out.data()), &n);
  return out;
}

inline std::string base64(byte_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Incremental SHA-256 for data that arrives in pieces (files of the read cache).
class sha256_stream {
 public:
  sha256_stream() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  sha256_stream(const sha256_stream&) = delete;
  sha256_stream& operator=(const sha256_stream&) = delete;
  ~sha256_stream() { EVP_MD_CTX_free(ctx_); }
  void update(byte_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  sha256_digest finish() {
    sha256_digest out{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), &n);
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_BACKEND_DETAIL_DIGEST_HPP
