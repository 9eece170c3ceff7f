// SPDX-License-Identifier: BSL-1.0
// Byte buffers, little-endian integer codec and hex text.
#ifndef CLOUDLOG_BYTES_HPP
#define CLOUDLOG_BYTES_HPP

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cloudlog {

// An owned byte buffer (segments, items, payloads).
using bytes = std::vector<std::byte>;
// A read-only view of bytes; valid as long as the buffer it views.
using byte_view = std::span<const std::byte>;
// A writable view of bytes; valid as long as the buffer it views.
using mutable_byte_view = std::span<std::byte>;

// Reads an unsigned integer stored little-endian at IN.
// REQUIRES: IN points at sizeof(T) readable bytes.
template <std::unsigned_integral T>
constexpr T load_le(const std::byte* in) noexcept {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(in[i]) << (8 * i));
  return v;
}

// Writes V little-endian at OUT.
// REQUIRES: OUT points at sizeof(T) writable bytes.
template <std::unsigned_integral T>
constexpr void store_le(std::byte* out, T v) noexcept {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

// Appends V little-endian to OUT.
template <std::unsigned_integral T>
void append_le(bytes& out, T v) {
  const auto at = out.size();
  out.resize(at + sizeof(T));
  store_le(out.data() + at, v);
}

// Appends the bytes of DATA to OUT.
inline void append(bytes& out, byte_view data) {
  out.insert(out.end(), data.begin(), data.end());
}

// Views the characters of S as bytes; valid as long as S.
inline byte_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Copies the characters of S into a byte buffer.
inline bytes to_bytes(std::string_view s) {
  const auto v = as_bytes(s);
  return {v.begin(), v.end()};
}

// Views bytes as characters; valid as long as the viewed buffer.
inline std::string_view as_chars(byte_view b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lowercase hex text of DATA, two characters per byte.
inline std::string to_hex(byte_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(data.size() * 2);
  for (auto b : data) {
    s.push_back(digits[static_cast<unsigned>(b) >> 4]);
    s.push_back(digits[static_cast<unsigned>(b) & 0xf]);
  }
  return s;
}

// Parses hex text (either case) into bytes; false if TEXT is not even-length hex.
inline bool from_hex(std::string_view text, bytes& out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() % 2 != 0) return false;
  bytes r;
  r.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    r.push_back(static_cast<std::byte>(hi * 16 + lo));
  }
  out = std::move(r);
  return true;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_BYTES_HPP
