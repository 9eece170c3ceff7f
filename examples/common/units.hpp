// Byte counts with unit suffixes (4096, 64K, 10M, 2G, 1T) for tool flags.
#ifndef CLOUDLOG_EXAMPLES_COMMON_UNITS_HPP
#define CLOUDLOG_EXAMPLES_COMMON_UNITS_HPP

#include <cstdint>
#include <optional>
#include <string_view>

namespace tools {

// Parses a decimal count with an optional binary suffix K, M, G or T (also KiB,
// MiB, ...). nullopt for anything else or on overflow.
inline std::optional<std::uint64_t> parse_bytes(std::string_view s) {
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
  }
  if (i == 0) return std::nullopt;
  auto rest = s.substr(i);
  if (rest.size() == 3 && rest.substr(1) == "iB") rest = rest.substr(0, 1);
  if (rest.size() == 2 && rest[1] == 'B') rest = rest.substr(0, 1);
  int shift = 0;
  if (rest.empty() || rest == "B")
    shift = 0;
  else if (rest == "K" || rest == "k")
    shift = 10;
  else if (rest == "M")
    shift = 20;
  else if (rest == "G")
    shift = 30;
  else if (rest == "T")
    shift = 40;
  else
    return std::nullopt;
  if (shift && v > (UINT64_MAX >> shift)) return std::nullopt;
  return v << shift;
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_UNITS_HPP
