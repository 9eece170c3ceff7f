// SPDX-License-Identifier: BSL-1.0
// Crypto test helpers: the fixture key, the fixture .dump.txt listings (tag
// status and decoded payload facts per item), and random BlueSky items.
#ifndef CLOUDLOG_TESTS_CRYPTO_HELPERS_HPP
#define CLOUDLOG_TESTS_CRYPTO_HELPERS_HPP

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "cloudlog/bytes.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/log/item.hpp"
#include "support/dump_txt.hpp"

namespace cloudlog::test {

// The fixture passphrase (fixtures/bluesky-real/README.md, "Key material"): the
// master key is these 26 bytes followed by 6 zero bytes.
inline constexpr std::string_view fixture_passphrase = "bluesky-fixture-passphrase";

// The 32-byte fixture master key, zero-padded as the README gives it.
inline bytes fixture_master32() {
  bytes b = to_bytes(fixture_passphrase);
  b.resize(32, std::byte{0});
  return b;
}

// A random BlueSky item of TYPE (plain magic, zero tag and IV) with a payload of
// PAYLOAD_SIZE random bytes and LINKS links (about a third of them null).
inline bytes random_item(std::mt19937_64& rng, std::uint8_t type, std::size_t payload_size,
                         std::size_t links) {
  auto byte = [&] { return static_cast<std::byte>(rng() & 0xff); };
  item<bluesky::layout> it;
  it.header.magic = bluesky::magic_plain;
  it.header.type = type;
  for (auto& b : it.header.id.value) b = byte();
  it.header.inum = rng();
  it.payload.resize(payload_size);
  for (auto& b : it.payload) b = byte();
  for (std::size_t i = 0; i < links; ++i) {
    item_link l;
    if (rng() % 3 != 0) {
      for (auto& b : l.id.value) b = byte();
      l.where = location{static_cast<std::uint32_t>(rng() % 2), static_cast<std::uint32_t>(rng()),
                         static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng())};
    }
    it.links.push_back(l);
  }
  bytes out;
  if (!append_item(out, it)) throw std::runtime_error("append_item failed");
  return out;
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_CRYPTO_HELPERS_HPP
