// SPDX-License-Identifier: BSL-1.0
// Store bytes made safe to print on a terminal or in JSON (docs/tools.md, "dump").
#ifndef CLOUDLOG_EXAMPLES_COMMON_PRINTABLE_HPP
#define CLOUDLOG_EXAMPLES_COMMON_PRINTABLE_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace tools {

// BYTES as printable ASCII: bytes 0x20..0x7e stand for themselves, except the
// backslash, written "\\"; every other byte is "\xNN" (two lowercase hex digits).
// The result is valid UTF-8 and valid inside a JSON string for any input, and
// the input can be read back from it unambiguously.
inline std::string printable(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto b = static_cast<std::uint8_t>(ch);
    if (b == '\\') {
      out += "\\\\";
    } else if (b >= 0x20 && b < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += hex[b >> 4];
      out += hex[b & 0xf];
    }
  }
  return out;
}

// One byte B as printable ASCII (see printable above).
inline std::string printable(std::uint8_t b) {
  const char c = static_cast<char>(b);
  return printable(std::string_view(&c, 1));
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_PRINTABLE_HPP
