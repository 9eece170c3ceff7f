// SPDX-License-Identifier: BSL-1.0
// Fuzz-target support: property checks that abort with a message (so libFuzzer
// records the input), the error-code check every failure must pass, and byte helpers.
#ifndef CLOUDLOG_FUZZ_SUPPORT_HPP
#define CLOUDLOG_FUZZ_SUPPORT_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string_view>
#include <system_error>

#include "cloudlog/bytes.hpp"
#include "cloudlog/error.hpp"

// Aborts (a libFuzzer crash) when COND is false: a broken property, not a survival.
#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

// On a helper of the harness's own checks that calls no library code: it is
// not traced for coverage (it would guide the fuzzer nowhere and costs a callback
// per byte compared). The sanitizers still check it.
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))

namespace cloudlog::fuzz {

// The fuzz input as the library's byte view.
inline byte_view input(const std::uint8_t* data, std::size_t size) {
  return byte_view(reinterpret_cast<const std::byte*>(data), size);
}

// True if INNER lies inside OUTER (same buffer, in bounds).
inline bool within(byte_view inner, byte_view outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

// True if INNER lies inside OUTER.
inline bool within(std::string_view inner, std::string_view outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

// True if CODE is one of cloudlog's codes and among ALLOWED.
inline bool is_one_of(const std::error_code& code, std::initializer_list<errc> allowed) {
  if (code.category() != error_category()) return false;
  for (auto e : allowed)
    if (code == make_error_code(e)) return true;
  return false;
}

// True if S is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
FUZZ_NO_COVERAGE inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace cloudlog::fuzz

#endif  // CLOUDLOG_FUZZ_SUPPORT_HPP
