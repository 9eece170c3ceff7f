// SPDX-License-Identifier: BSL-1.0
// Byte counts with unit suffixes (4096, 64K, 512m, 1.5G, 2T) for tool flags.
#ifndef CLOUDLOG_EXAMPLES_COMMON_UNITS_HPP
#define CLOUDLOG_EXAMPLES_COMMON_UNITS_HPP

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tools {

// Parses a count of bytes: a decimal number (digits, optionally a point and more
// digits) with an optional 1024-based suffix k, m, g or t in either case, which may
// be followed by B or iB (1.5G, 512m, 64KiB, 10MB). A fraction needs a suffix and is
// rounded down to a whole byte ("1.5" alone is not a byte count). nullopt for
// anything else or above 2^64 - 1.
inline std::optional<std::uint64_t> parse_bytes(std::string_view s) {
  std::size_t i = 0;
  std::uint64_t whole = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (whole > (UINT64_MAX - 9) / 10) return std::nullopt;
    whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
  }
  const std::size_t int_digits = i;
  long double fraction = 0;
  std::size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    long double scale = 0.1L;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++frac_digits, scale /= 10)
      fraction += scale * (s[i] - '0');
    if (frac_digits == 0) return std::nullopt;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  auto rest = s.substr(i);
  int shift = 0;
  if (!rest.empty()) {
    switch (rest[0]) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      case 't':
      case 'T':
        shift = 40;
        break;
      case 'b':
      case 'B':
        shift = 0;
        break;
      default:
        return std::nullopt;
    }
    rest = rest.substr(1);
    if (shift && (rest == "B" || rest == "b" || rest == "iB" || rest == "ib")) rest = {};
    if (!rest.empty()) return std::nullopt;
  }
  if (frac_digits && (shift == 0 && fraction != 0)) return std::nullopt;
  if (shift && whole > (UINT64_MAX >> shift)) return std::nullopt;
  const std::uint64_t base = whole << shift;
  const auto extra = static_cast<std::uint64_t>(
      std::floor(fraction * static_cast<long double>(std::uint64_t{1} << shift)));
  if (extra > UINT64_MAX - base) return std::nullopt;
  return base + extra;
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_UNITS_HPP
