// SPDX-License-Identifier: BSL-1.0
// Test helpers for the BlueSky file-system model: the fixture key, the expected
// contents of every fixture stage (fixtures README), and a tree walker.
#ifndef CLOUDLOG_TESTS_FORMATS_BLUESKY_HELPERS_HPP
#define CLOUDLOG_TESTS_FORMATS_BLUESKY_HELPERS_HPP

#include <filesystem>
#include <map>
#include <string>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"
#include "support/fixtures.hpp"

namespace cloudlog::test {

// The fixtures' passphrase (README, "Key material").
inline constexpr std::string_view fixture_passphrase = "bluesky-fixture-passphrase";

// The fixtures' cipher.
inline bluesky::cipher fixture_cipher() {
  auto c = bluesky::cipher::from_master(as_bytes(fixture_passphrase));
  if (!c) throw std::runtime_error("cannot build the fixture cipher");
  return std::move(*c);
}

// big.bin before the overwrite: byte i = i mod 251.
inline bytes big_original() {
  bytes b(100000);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(i % 251);
  return b;
}

// big.bin after the overwrite: the first 98304 bytes are 0xA5 ^ (i mod 253).
inline bytes big_overwritten() {
  bytes b = big_original();
  for (std::size_t i = 0; i < 98304; ++i) b[i] = static_cast<std::byte>(0xA5 ^ (i % 253));
  return b;
}

// sparse.bin: zeros but "SPARSEDATA" at 70000.
inline bytes sparse_contents() {
  bytes b(100000);
  const auto s = as_bytes("SPARSEDATA");
  std::copy(s.begin(), s.end(), b.begin() + 70000);
  return b;
}

// What a fixture stage holds: regular files (path -> contents), symlinks (path ->
// target) and directories.
struct expected_tree {
  std::map<std::string, bytes> files;
  std::map<std::string, std::string> symlinks;
  std::vector<std::string> directories;
};

// The expected tree of STAGE (a fixture stage folder).
inline expected_tree expected_for(const std::filesystem::path& stage) {
  const auto group = stage.parent_path().filename().string();
  const auto name = stage.filename().string();
  const bool original = name == "stage1-write";
  expected_tree t;
  t.files["/hello.txt"] = to_bytes("Hello, BlueSky!\n");
  t.files["/big.bin"] = original ? big_original() : big_overwritten();
  t.files["/subdir/nested.txt"] = to_bytes("nested file contents\n");
  if (group == "sparse") t.files["/sparse.bin"] = sparse_contents();
  t.symlinks["/link"] = "hello.txt";
  t.directories = {"/", "/subdir"};
  return t;
}

// True for stages written without crypto (read with no key).
inline bool is_nocrypto(const std::filesystem::path& stage) {
  return stage.parent_path().filename() == "nocrypto";
}

// A memory store holding every segment of STAGE.
inline void load_stage(memory_store& store, const std::filesystem::path& stage) {
  for (const auto& f : stage_segments(stage))
    if (!store.write(f.filename().string(), read_file(f))) throw std::runtime_error("write failed");
}

// The offsets of every item of SEGMENT (a whole BlueSky segment that parses).
inline std::vector<std::uint64_t> item_offsets(byte_view segment) {
  auto items = parse_segment<bluesky::layout>(segment);
  if (!items) throw std::runtime_error("the segment does not parse");
  std::vector<std::uint64_t> out;
  for (const auto& v : *items) out.push_back(v.offset());
  return out;
}

// The offset of SEGMENT's last item.
inline std::uint64_t last_item_offset(byte_view segment) {
  return item_offsets(segment).back();
}

// A store wrapper that records every read (name, offset, length) it passes on.
template <class Inner>
class recording_store {
 public:
  explicit recording_store(Inner& inner) : inner_(&inner) {}
  result<std::vector<segment_info>> list(std::uint32_t d) { return inner_->list(d); }
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    reads.push_back({std::string(name), offset, length});
    return inner_->read(name, offset, length);
  }
  result<void> write(std::string_view name, byte_view data) {
    writes.push_back(std::string(name));
    return inner_->write(name, data);
  }
  result<void> remove(std::string_view name) { return inner_->remove(name); }

  // Bytes requested by the reads recorded (whole-object reads count as their object's size).
  std::uint64_t bytes_requested() {
    std::uint64_t n = 0;
    for (const auto& r : reads) {
      if (r.length != whole_object) {
        n += r.length;
      } else if (auto b = inner_->read(r.name, r.offset, r.length)) {
        n += b->size();
      }
    }
    return n;
  }

  std::vector<read_request> reads;
  std::vector<std::string> writes;

 private:
  Inner* inner_;
};

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_FORMATS_BLUESKY_HELPERS_HPP
