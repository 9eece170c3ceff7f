// SPDX-License-Identifier: BSL-1.0
// Key material: fixed-size secret bytes that are cleansed (OPENSSL_cleanse) when
// freed and leave no copy behind when moved; cleanse() for other buffers.
#ifndef CLOUDLOG_CRYPTO_SECRET_HPP
#define CLOUDLOG_CRYPTO_SECRET_HPP

#include <array>
#include <cstddef>

#include <openssl/crypto.h>

#include "cloudlog/bytes.hpp"

namespace cloudlog {

// Overwrites DATA with zeros in a way the compiler may not optimize away.
// Use it on every buffer that held key material before the buffer is freed.
inline void cleanse(mutable_byte_view data) noexcept {
  if (!data.empty()) OPENSSL_cleanse(data.data(), data.size());
}

// N bytes of key material. Never copied implicitly: copying is deleted, and a
// move transfers the bytes and cleanses the source, so exactly one object holds
// them at any time. The bytes are cleansed when the object is destroyed.
// Never printed: the type has no formatting or hex conversion on purpose.
template <std::size_t N>
class secret_bytes {
 public:
  static constexpr std::size_t size = N;

  // All zero.
  secret_bytes() noexcept = default;
  // Copies exactly N bytes from KEY.
  // REQUIRES: KEY.size() == N.
  explicit secret_bytes(byte_view key) noexcept {
    for (std::size_t i = 0; i < N && i < key.size(); ++i) value_[i] = key[i];
  }
  secret_bytes(const secret_bytes&) = delete;
  secret_bytes& operator=(const secret_bytes&) = delete;
  // Takes OTHER's bytes; OTHER is left all zero.
  secret_bytes(secret_bytes&& other) noexcept : value_(other.value_) { other.wipe(); }
  // Cleanses this object's bytes, takes OTHER's; OTHER is left all zero.
  secret_bytes& operator=(secret_bytes&& other) noexcept {
    if (this != &other) {
      value_ = other.value_;
      other.wipe();
    }
    return *this;
  }
  ~secret_bytes() { wipe(); }

  // The bytes; valid as long as this object (and zero after it is moved from).
  byte_view view() const noexcept { return value_; }
  // The bytes, writable (to derive a key into).
  mutable_byte_view span() noexcept { return value_; }
  // The bytes as OpenSSL takes them.
  const unsigned char* data() const noexcept {
    return reinterpret_cast<const unsigned char*>(value_.data());
  }

  // Sets every byte to zero (cleansed).
  void wipe() noexcept { cleanse(value_); }

 private:
  std::array<std::byte, N> value_{};
};

}  // namespace cloudlog

#endif  // CLOUDLOG_CRYPTO_SECRET_HPP
