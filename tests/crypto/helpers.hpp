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

// One item line of a fixture .dump.txt, with the facts its decoded line states.
struct dumped_item {
  std::string segment;
  std::uint64_t offset = 0, size = 0;
  std::string magic;
  char type = 0;
  std::uint64_t inum = 0, size1 = 0, size2 = 0, size3 = 0;
  tag_status tag = tag_status::bad;         // hmac=OK / BAD / ZERO
  std::optional<std::uint64_t> data_bytes;  // "data N bytes"
  std::string data_head;                    // "head=HEX" (first up to 8 bytes)
  std::optional<std::uint64_t> inode_inum;  // "inode ... inum=N"
  std::string inode_fields;                 // "type=1 mode=644 uid=1000 gid=1000 nlink=1"
};

// Parses a fixture .dump.txt (written by the independent reader).
inline std::vector<dumped_item> parse_dump(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  static const std::regex item_re(
      R"(^  @\s*(\d+) size=\s*(\d+) (AgI[-=]) type=(\S) inum=(\d+) id=[0-9a-f]+\.\. )"
      R"(sizes=\((\d+), (\d+), (\d+)\) hmac=(OK|BAD|ZERO))");
  static const std::regex data_re(R"(^      data (\d+) bytes head=([0-9a-f]*))");
  static const std::regex inode_re(
      R"(^      inode sig=a6832100943d71e6 (type=\d+ mode=\d+ uid=\d+ gid=\d+ nlink=\d+) inum=(\d+))");
  std::vector<dumped_item> out;
  std::string segment, line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.rfind("log-", 0) == 0) {
      segment = line.substr(0, 21);
    } else if (std::regex_search(line, m, item_re)) {
      dumped_item e;
      e.segment = segment;
      e.offset = std::stoull(m[1]);
      e.size = std::stoull(m[2]);
      e.magic = m[3];
      e.type = m.str(4)[0];
      e.inum = std::stoull(m[5]);
      e.size1 = std::stoull(m[6]);
      e.size2 = std::stoull(m[7]);
      e.size3 = std::stoull(m[8]);
      e.tag = m[9] == "OK" ? tag_status::ok : m[9] == "ZERO" ? tag_status::zero : tag_status::bad;
      out.push_back(e);
    } else if (std::regex_search(line, m, data_re)) {
      out.back().data_bytes = std::stoull(m[1]);
      out.back().data_head = m[2];
    } else if (std::regex_search(line, m, inode_re)) {
      out.back().inode_fields = m[1];
      out.back().inode_inum = std::stoull(m[2]);
    }
  }
  return out;
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
