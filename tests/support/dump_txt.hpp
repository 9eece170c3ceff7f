// SPDX-License-Identifier: BSL-1.0
// Test support: the fixture .dump.txt listings (written by an independent reader):
// per item its place, header fields, tag status, decoded payload facts and links.
#ifndef CLOUDLOG_TESTS_SUPPORT_DUMP_TXT_HPP
#define CLOUDLOG_TESTS_SUPPORT_DUMP_TXT_HPP

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cloudlog/crypto/cipher.hpp"

namespace cloudlog::test {

// One item line of a fixture .dump.txt, with the facts its decoded line states.
struct dumped_item {
  std::string segment;
  std::uint64_t offset = 0, size = 0;
  std::string magic;
  char type = 0;
  std::uint64_t inum = 0, size1 = 0, size2 = 0, size3 = 0;
  tag_status tag = tag_status::bad;                 // hmac=OK / BAD / ZERO
  std::optional<std::uint64_t> data_bytes;          // "data N bytes"
  std::string data_head;                            // "head=HEX" (first up to 8 bytes)
  std::optional<std::uint64_t> inode_inum;          // "inode ... inum=N"
  std::string inode_fields;                         // "type=1 mode=644 uid=1000 gid=1000 nlink=1"
  std::vector<std::array<std::uint64_t, 4>> links;  // non-null link locations (links=/locs=)
};

// Parses a fixture .dump.txt (written by the independent reader).
inline std::vector<dumped_item> parse_dump(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  static const std::regex item_re(
      R"(^  @\s*(\d+) size=\s*(\d+) (AgI[-=]) type=(\S) inum=(\d+) id=[0-9a-f]+\.\. )"
      R"(sizes=\((\d+), (\d+), (\d+)\) hmac=(OK|BAD|ZERO))");
  static const std::regex data_re(R"(^      data (\d+) bytes head=([0-9a-f]*))");
  static const std::regex links_re(R"((?:links|locs)=\[([^\]]*)\])");
  static const std::regex loc_re(R"(\((\d+), (\d+), (\d+), (\d+)\))");
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
    if (line.rfind("      ", 0) == 0 && std::regex_search(line, m, links_re)) {
      if (out.empty()) throw std::runtime_error(p.string() + ": links before any item");
      const std::string list = m[1];
      for (std::sregex_iterator it(list.begin(), list.end(), loc_re), end; it != end; ++it)
        out.back().links.push_back({std::stoull((*it)[1]), std::stoull((*it)[2]),
                                    std::stoull((*it)[3]), std::stoull((*it)[4])});
    }
  }
  return out;
}

// The segments a fixture .dump.txt lists, in its order: name and size in bytes.
inline std::vector<std::pair<std::string, std::uint64_t>> dumped_segments(
    const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  static const std::regex segment_re(R"(^(log-\d{8}-\d{8}) (\d+)$)");
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, segment_re)) out.emplace_back(m[1], std::stoull(m[2]));
  }
  return out;
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_SUPPORT_DUMP_TXT_HPP
