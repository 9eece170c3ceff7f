// SPDX-License-Identifier: BSL-1.0
// BlueSky payload codecs: inodes (76-byte fixed part + tails), directory entries,
// data blocks, inode-map blocks and checkpoints (docs/format.md, sections 4-7).
#ifndef CLOUDLOG_FORMATS_BLUESKY_PAYLOAD_HPP
#define CLOUDLOG_FORMATS_BLUESKY_PAYLOAD_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/bytes.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/packed.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::bluesky {

// Bytes per data block; block i of a file covers [block_size*i, block_size*(i+1)).
inline constexpr std::uint64_t block_size = 32768;
// The largest file size the format allows (2^24 blocks).
inline constexpr std::uint64_t max_file_size = block_size << 24;
// Inode numbers per inode-map range: range m is [range_size*m, range_size*m + range_size-1].
inline constexpr std::uint64_t range_size = 4096;
// The first u64 of every inode payload.
inline constexpr std::uint64_t inode_signature = 0xa6832100943d71e6;
// The first u64 of every checkpoint payload.
inline constexpr std::uint64_t checkpoint_magic = 0x7ad7dafb42a498b4;
// The inode number of the root directory.
inline constexpr std::uint64_t root_inum = 1;

// The number of blocks, hence links, of a regular file of SIZE bytes: ceil(SIZE / block_size).
constexpr std::uint64_t block_count(std::uint64_t size) noexcept {
  return (size + block_size - 1) / block_size;
}

// The stored length of block I of a file of SIZE bytes: block_size for every block
// but the last, which holds the remainder. REQUIRES: I < block_count(SIZE).
constexpr std::uint64_t block_length(std::uint64_t size, std::uint64_t i) noexcept {
  return i + 1 < block_count(size) ? block_size : size - block_size * i;
}

// The inode-map range holding inode INUM (range m covers [4096m, 4096m+4095]).
constexpr std::uint64_t range_of(std::uint64_t inum) noexcept {
  return inum / range_size;
}

// ---------------------------------------------------------------------------
// Inodes (docs/format.md, section 6); data blocks: section 7

// The file types of the inode's type field.
enum class file_type : std::uint32_t {
  regular = 1,
  directory = 2,
  block_device = 3,
  char_device = 4,
  symlink = 5,
  socket = 6,
  fifo = 7,
};

// The 76-byte fixed part of every inode payload, as stored (all little-endian; the
// four times are i64 microseconds since the epoch, stored as their u64 bit pattern).
struct inode_fixed {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(inode_fixed,
    (std::uint64_t, signature),     // 0: inode_signature
    (std::uint32_t, type),          // 8: file_type
    (std::uint32_t, mode),          // 12: permission bits only
    (std::uint32_t, uid),           // 16
    (std::uint32_t, gid),           // 20
    (std::uint32_t, nlink),         // 24
    (std::uint64_t, inum),          // 28: equals the item header's inum
    (std::uint64_t, change_count),  // 36: bumped on every change
    (std::uint64_t, atime),         // 44
    (std::uint64_t, ctime),         // 52
    (std::uint64_t, mtime),         // 60
    (std::uint64_t, ntime)          // 68: creation time
  );
  // clang-format on
};
static_assert(packed_size_v<inode_fixed> == 76);
static_assert(packed_offset_v<inode_fixed, 6> == 28);
static_assert(packed_offset_v<inode_fixed, 11> == 68);

// One directory entry: a cookie (random, >= 4, unique in its directory), the
// child's inode number and its name (non-empty, no '/' and no NUL).
struct dir_entry {
  std::uint32_t cookie = 0;
  std::uint64_t inum = 0;
  std::string name;
  friend bool operator==(const dir_entry&, const dir_entry&) = default;
};

// A decoded inode: the fixed part plus the tail of its type. Links (the data
// blocks of a regular file) live in the item, not here.
struct inode {
  file_type type = file_type::regular;
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t nlink = 1;
  std::uint64_t inum = 0;
  std::uint64_t change_count = 0;
  std::int64_t atime = 0;  // microseconds since the Unix epoch
  std::int64_t ctime = 0;
  std::int64_t mtime = 0;
  std::int64_t ntime = 0;
  std::uint64_t size = 0;          // regular files: the file size in bytes
  std::vector<dir_entry> entries;  // directories: ascending by cookie
  std::string target;              // symlinks: the target path
  friend bool operator==(const inode&, const inode&) = default;
};

namespace detail {
inline bool valid_entry_name(std::string_view name) noexcept {
  return !name.empty() && name.find('/') == name.npos && name.find('\0') == name.npos;
}
}  // namespace detail

// The payload of NODE: the fixed part, then the tail of its type (regular: u64
// size; directory: entries {u32 cookie, u64 inum, name, NUL} then u32 0; symlink:
// target, NUL; others: nothing).
// REQUIRES: directory entries ascending by cookie, cookies non-zero, names valid;
// a symlink target holds no NUL.
inline bytes encode_inode(const inode& node) {
  bytes out;
  append_packed(
      out,
      inode_fixed{inode_signature, static_cast<std::uint32_t>(node.type), node.mode, node.uid,
                  node.gid, node.nlink, node.inum, node.change_count,
                  static_cast<std::uint64_t>(node.atime), static_cast<std::uint64_t>(node.ctime),
                  static_cast<std::uint64_t>(node.mtime), static_cast<std::uint64_t>(node.ntime)});
  switch (node.type) {
    case file_type::regular:
      append_le<std::uint64_t>(out, node.size);
      break;
    case file_type::directory:
      for (const auto& e : node.entries) {
        append_le<std::uint32_t>(out, e.cookie);
        append_le<std::uint64_t>(out, e.inum);
        append(out, as_bytes(e.name));
        out.push_back(std::byte{0});
      }
      append_le<std::uint32_t>(out, 0);
      break;
    case file_type::symlink:
      append(out, as_bytes(node.target));
      out.push_back(std::byte{0});
      break;
    default:
      break;
  }
  return out;
}

// Parses an inode payload (clear text). Strict: the signature, a known type, and a
// tail that is exactly what its type allows (regular: 8 bytes, size <= max_file_size;
// directory: well-formed entries with valid names, non-zero inums, strictly
// ascending cookies, the u32 0 terminator as the last 4 bytes; symlink: a target
// and one NUL as the last byte; others: nothing).
// Fails: errc::corrupt_payload for anything else. Never reads outside PAYLOAD.
inline result<inode> decode_inode(byte_view payload) {
  constexpr std::size_t fixed = packed_size_v<inode_fixed>;
  if (payload.size() < fixed) return fail(errc::corrupt_payload);
  const auto f = decode_packed<inode_fixed>(payload.data());
  if (f.signature != inode_signature || f.type < 1 || f.type > 7)
    return fail(errc::corrupt_payload);
  inode node;
  node.type = static_cast<file_type>(f.type);
  node.mode = f.mode;
  node.uid = f.uid;
  node.gid = f.gid;
  node.nlink = f.nlink;
  node.inum = f.inum;
  node.change_count = f.change_count;
  node.atime = static_cast<std::int64_t>(f.atime);
  node.ctime = static_cast<std::int64_t>(f.ctime);
  node.mtime = static_cast<std::int64_t>(f.mtime);
  node.ntime = static_cast<std::int64_t>(f.ntime);
  auto tail = payload.subspan(fixed);
  switch (node.type) {
    case file_type::regular:
      if (tail.size() != 8) return fail(errc::corrupt_payload);
      node.size = load_le<std::uint64_t>(tail.data());
      if (node.size > max_file_size) return fail(errc::corrupt_payload);
      break;
    case file_type::directory: {
      std::size_t at = 0;
      for (;;) {
        if (tail.size() - at < 4) return fail(errc::corrupt_payload);
        const auto cookie = load_le<std::uint32_t>(tail.data() + at);
        at += 4;
        if (cookie == 0) break;
        if (!node.entries.empty() && cookie <= node.entries.back().cookie)
          return fail(errc::corrupt_payload);
        if (tail.size() - at < 8) return fail(errc::corrupt_payload);
        const auto inum = load_le<std::uint64_t>(tail.data() + at);
        at += 8;
        const auto rest = as_chars(tail.subspan(at));
        const auto nul = rest.find('\0');
        if (nul == rest.npos || inum == 0) return fail(errc::corrupt_payload);
        const auto name = rest.substr(0, nul);
        if (!detail::valid_entry_name(name)) return fail(errc::corrupt_payload);
        node.entries.push_back({cookie, inum, std::string(name)});
        at += nul + 1;
      }
      if (at != tail.size()) return fail(errc::corrupt_payload);
      break;
    }
    case file_type::symlink: {
      const auto text = as_chars(tail);
      if (text.empty() || text.find('\0') != text.size() - 1) return fail(errc::corrupt_payload);
      node.target = std::string(text.substr(0, text.size() - 1));
      break;
    }
    default:
      if (!tail.empty()) return fail(errc::corrupt_payload);
      break;
  }
  return node;
}

// ---------------------------------------------------------------------------
// Inode-map blocks (docs/format.md, section 5)

// The payload of an inode-map block: INUMS as u64 LE, in the given order.
// REQUIRES: INUMS strictly ascending (link j of the item points at inode INUMS[j]).
inline bytes encode_imap_block(const std::vector<std::uint64_t>& inums) {
  bytes out;
  out.reserve(inums.size() * 8);
  for (auto n : inums) append_le<std::uint64_t>(out, n);
  return out;
}

// Parses an inode-map block payload: a multiple of 8 bytes, inode numbers
// strictly ascending and non-zero.
// Fails: errc::corrupt_payload otherwise.
inline result<std::vector<std::uint64_t>> decode_imap_block(byte_view payload) {
  if (payload.size() % 8 != 0) return fail(errc::corrupt_payload);
  std::vector<std::uint64_t> out;
  out.reserve(payload.size() / 8);
  for (std::size_t at = 0; at < payload.size(); at += 8) {
    const auto n = load_le<std::uint64_t>(payload.data() + at);
    if (n == 0 || (!out.empty() && n <= out.back())) return fail(errc::corrupt_payload);
    out.push_back(n);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Checkpoints (docs/format.md, section 4)

// One version-vector entry as stored: {u32 directory, u32 sequence}.
struct version_entry {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(version_entry,
    (std::uint32_t, directory),
    (std::uint32_t, sequence)
  );
  // clang-format on
  friend bool operator==(const version_entry& a, const version_entry& b) noexcept {
    return a.directory == b.directory && a.sequence == b.sequence;
  }
};
static_assert(packed_size_v<version_entry> == 8);

// One inode-map range as stored: {u64 start, u64 end}, both inclusive.
struct inode_range {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(inode_range,
    (std::uint64_t, start),
    (std::uint64_t, end)
  );
  // clang-format on
  friend bool operator==(const inode_range& a, const inode_range& b) noexcept {
    return a.start == b.start && a.end == b.end;
  }
};
static_assert(packed_size_v<inode_range> == 16);

// A decoded checkpoint payload. Link i of the item points at the inode-map block
// of ranges[i].
struct checkpoint {
  std::vector<version_entry> version_vector;  // ascending by directory
  std::vector<inode_range> ranges;            // ascending, disjoint
  friend bool operator==(const checkpoint&, const checkpoint&) = default;

  // The sequence recorded for DIRECTORY, if the version vector has one.
  std::optional<std::uint32_t> version_of(std::uint32_t directory) const {
    for (const auto& e : version_vector)
      if (e.directory == directory) return e.sequence;
    return std::nullopt;
  }
};

// The payload of CP: magic, n, n version entries, then the ranges.
inline bytes encode_checkpoint(const checkpoint& cp) {
  bytes out;
  append_le<std::uint64_t>(out, checkpoint_magic);
  append_le<std::uint32_t>(out, static_cast<std::uint32_t>(cp.version_vector.size()));
  for (const auto& e : cp.version_vector) append_packed(out, e);
  for (const auto& r : cp.ranges) append_packed(out, r);
  return out;
}

// Parses a checkpoint payload. Strict: the magic; n entries that fit, with
// strictly ascending directories; the rest a whole number of 16-byte ranges with
// start <= end, strictly ascending and disjoint.
// Fails: errc::corrupt_payload otherwise.
inline result<checkpoint> decode_checkpoint(byte_view payload) {
  if (payload.size() < 12 || load_le<std::uint64_t>(payload.data()) != checkpoint_magic)
    return fail(errc::corrupt_payload);
  const std::uint64_t n = load_le<std::uint32_t>(payload.data() + 8);
  if (n * 8 > payload.size() - 12) return fail(errc::corrupt_payload);
  checkpoint cp;
  std::size_t at = 12;
  for (std::uint64_t i = 0; i < n; ++i, at += 8) {
    auto e = decode_packed<version_entry>(payload.data() + at);
    if (!cp.version_vector.empty() && e.directory <= cp.version_vector.back().directory)
      return fail(errc::corrupt_payload);
    cp.version_vector.push_back(e);
  }
  if ((payload.size() - at) % 16 != 0) return fail(errc::corrupt_payload);
  for (; at < payload.size(); at += 16) {
    auto r = decode_packed<inode_range>(payload.data() + at);
    if (r.start > r.end || (!cp.ranges.empty() && r.start <= cp.ranges.back().end))
      return fail(errc::corrupt_payload);
    cp.ranges.push_back(r);
  }
  return cp;
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_PAYLOAD_HPP
