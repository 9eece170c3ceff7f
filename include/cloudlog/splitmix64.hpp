// SPDX-License-Identifier: BSL-1.0
// splitmix64: the small seedable generator behind workloads and the policy lab.
#ifndef CLOUDLOG_SPLITMIX64_HPP
#define CLOUDLOG_SPLITMIX64_HPP

#include <cstddef>
#include <cstdint>

#include "cloudlog/bytes.hpp"

namespace cloudlog {

// Steele, Lea and Flood's splitmix64: fast, and the same sequence for a seed on
// every platform (workloads and simulations are reproducible from their seed).
// Not for anything secret.
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), from the top 53 bits.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n) (up to modulo bias, below 2^-40 for n < 2^24). REQUIRES: n > 0.
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
  // Fills OUT with the next values' bytes, little-endian.
  void fill(bytes& out) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= out.size(); i += 8) store_le<std::uint64_t>(out.data() + i, next());
    if (i < out.size()) {
      const auto v = next();
      for (std::size_t k = 0; i < out.size(); ++i, ++k)
        out[i] = static_cast<std::byte>(v >> (8 * k));
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace cloudlog

#endif  // CLOUDLOG_SPLITMIX64_HPP
