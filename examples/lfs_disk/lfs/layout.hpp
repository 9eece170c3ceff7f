// SPDX-License-Identifier: BSL-1.0
// lfs_disk on-disk structures (docs/lfs_disk.md, "On-disk layout"): every one a packed
// Hana struct encoded by cloudlog's codec; plus geometry, checksums and error codes.
#ifndef LFS_DISK_LAYOUT_HPP
#define LFS_DISK_LAYOUT_HPP

#include <array>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/bytes.hpp"
#include "cloudlog/packed.hpp"
#include "cloudlog/result.hpp"

namespace lfs {

using cloudlog::byte_view;
using cloudlog::bytes;
using cloudlog::fail;
using cloudlog::result;

// Failures of the file system that cloudlog::errc has no word for.
enum class errc {
  disk_full = 1,   // no segment can be freed: the write would not fit
  no_free_inode,   // every inode number is in use
  file_too_large,  // the write runs past the largest file an inode can map
  corrupt_image,   // no valid superblock or checkpoint
};

namespace detail {
class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "lfs"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::disk_full:
        return "disk full: no segment can be freed";
      case errc::no_free_inode:
        return "no free inode";
      case errc::file_too_large:
        return "file too large for one inode";
      case errc::corrupt_image:
        return "not an lfs_disk image (no valid superblock or checkpoint)";
    }
    return "unknown lfs error";
  }
};
}  // namespace detail

// The category of lfs::errc values. Thread-safe; lives for the program.
inline const std::error_category& error_category() noexcept {
  static const detail::error_category_impl category;
  return category;
}
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// Eight ASCII characters read as a little-endian u64 (the magics).
constexpr std::uint64_t magic8(const char (&s)[9]) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// A disk address: the absolute block number in the image. 0 (the superblock's
// block, never a data block) is the null address.
using address = std::uint32_t;
inline constexpr address null_address = 0;

// Summary block numbers that name metadata instead of a file block.
inline constexpr std::uint32_t inode_block_number = 0xffffffffu;
inline constexpr std::uint32_t indirect_block_number = 0xfffffffeu;

// Direct block pointers per inode.
inline constexpr std::size_t direct_pointers = 12;
// The root directory's inode number.
inline constexpr std::uint32_t root_inum = 1;
// The longest file name a directory entry holds.
inline constexpr std::size_t max_name = 27;

// The direct pointers of an inode: a user field type for cloudlog's codec.
struct direct_blocks {
  std::array<address, direct_pointers> at{};
  friend bool operator==(const direct_blocks&, const direct_blocks&) = default;
};

}  // namespace lfs

// direct_blocks packs as 12 little-endian u32, in order.
template <>
struct cloudlog::field_codec<lfs::direct_blocks> {
  static constexpr std::size_t size = 4 * lfs::direct_pointers;
  static constexpr void encode(const lfs::direct_blocks& v, std::byte* out) noexcept {
    for (std::size_t i = 0; i < lfs::direct_pointers; ++i) store_le(out + 4 * i, v.at[i]);
  }
  static constexpr lfs::direct_blocks decode(const std::byte* in) noexcept {
    lfs::direct_blocks v;
    for (std::size_t i = 0; i < lfs::direct_pointers; ++i)
      v.at[i] = load_le<std::uint32_t>(in + 4 * i);
    return v;
  }
};

template <>
struct std::is_error_code_enum<lfs::errc> : std::true_type {};

namespace lfs {

// Block 0: the disk's geometry, written once by mkfs.
struct superblock {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(superblock,
    (std::uint64_t, magic),
    (std::uint32_t, version),
    (std::uint32_t, segment_count),        // segments on disk
    (std::uint32_t, blocks_per_segment),   // blocks in a segment (2 summary copies + data)
    (std::uint32_t, block_size),           // bytes in a block
    (std::uint32_t, first_segment_block),  // start of the first segment on disk
    (std::uint32_t, max_inodes),           // inode numbers 0 .. max_inodes - 1
    (std::uint32_t, slot_blocks),          // blocks of one IFile checkpoint slot
    (std::uint32_t, reserve_segments),     // clean segments writers leave to the cleaner
    (std::uint64_t, checksum)              // FNV-1a 64 of the bytes before it
  );
  // clang-format on
};
static_assert(cloudlog::packed_size_v<superblock> == 48);
inline constexpr std::uint64_t superblock_magic = magic8("LFSDISK1");

// The head of an IFile checkpoint slot; the inode map and the free list follow it.
struct ifile_header {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(ifile_header,
    (std::uint64_t, magic),
    (std::uint64_t, checkpoint),            // checkpoint serial: the newer valid slot wins
    (std::uint64_t, write_time),            // the logical clock when written
    (std::uint32_t, last_segment),          // last written segment (0xffffffff: none open)
    (std::uint32_t, last_block),            // data blocks used in it
    (std::uint32_t, last_cleaned_segment),  // (0xffffffff: none yet)
    (std::uint32_t, imap_entries),          // inode map entries that follow
    (std::uint32_t, free_list_entries),     // free-list entries after the map
    (std::uint32_t, reserved),
    (std::uint64_t, checksum)               // FNV-1a 64 of the slot's used bytes, this field 0
  );
  // clang-format on
};
static_assert(cloudlog::packed_size_v<ifile_header> == 56);
inline constexpr std::uint64_t ifile_magic = magic8("LFSIFILE");
inline constexpr std::uint32_t no_segment = 0xffffffffu;

// One inode map entry: where inode number i was last written.
struct imap_entry {
  BOOST_HANA_DEFINE_STRUCT(imap_entry, (address, where));
};
static_assert(cloudlog::packed_size_v<imap_entry> == 4);

// One free-list entry: segment i's state.
struct free_list_entry {
  BOOST_HANA_DEFINE_STRUCT(free_list_entry, (std::uint8_t, state));
};
static_assert(cloudlog::packed_size_v<free_list_entry> == 1);

// The three lists of the free-segment list.
enum class segment_state : std::uint8_t {
  clean = 0,   // nothing live, durably: ready to be reused
  dirty = 1,   // written to or cleaned since the last sync: needs a sync
  synced = 2,  // holds data stored behind a sync
};

// The head of a segment summary (the note's segment descriptor); entries follow.
struct summary_header {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(summary_header,
    (std::uint64_t, magic),
    (std::uint64_t, sequence),  // the logical clock at the flush: the newer valid copy wins
    (std::uint32_t, segment),   // the segment it describes
    (std::uint32_t, count),     // entries that follow: data blocks used
    (std::uint64_t, checksum)   // FNV-1a 64 of header (this field 0) and entries
  );
  // clang-format on
};
static_assert(cloudlog::packed_size_v<summary_header> == 32);
inline constexpr std::uint64_t summary_magic = magic8("LFSSUMRY");

// One summary entry per data block: the owner, its place, and when it was written.
struct summary_entry {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(summary_entry,
    (std::uint32_t, inum),
    (std::uint32_t, block),       // file block number, or inode/indirect_block_number
    (std::uint64_t, write_time)
  );
  // clang-format on
  friend bool operator==(const summary_entry&, const summary_entry&) = default;
};
static_assert(cloudlog::packed_size_v<summary_entry> == 16);

// An inode, alone at the start of its block.
struct inode_record {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(inode_record,
    (std::uint32_t, magic),
    (std::uint32_t, inum),
    (std::uint64_t, size),       // bytes
    (std::uint64_t, mtime),      // logical clock of the last change
    (direct_blocks, direct),     // file blocks 0 .. 11
    (address, indirect)          // block of pointers to file blocks 12 ..
  );
  // clang-format on
};
static_assert(cloudlog::packed_size_v<inode_record> == 76);
inline constexpr std::uint32_t inode_magic = static_cast<std::uint32_t>(magic8("NODEnode"));

// One pointer of an indirect block.
struct block_pointer {
  BOOST_HANA_DEFINE_STRUCT(block_pointer, (address, where));
};
static_assert(cloudlog::packed_size_v<block_pointer> == 4);

// One entry of the (flat) root directory's content.
struct dir_entry {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(dir_entry,
    (std::uint32_t, inum),
    (std::uint8_t, name_length),
    (std::array<std::byte, max_name>, name)
  );
  // clang-format on
};
static_assert(cloudlog::packed_size_v<dir_entry> == 32);

// FNV-1a 64 of DATA (checksums of the superblock, slots and summaries).
inline std::uint64_t checksum(byte_view data, std::uint64_t h = 0xcbf29ce484222325ull) noexcept {
  for (auto b : data) h = (h ^ static_cast<std::uint64_t>(b)) * 0x100000001b3ull;
  return h;
}

// The geometry mkfs chose, as the superblock records it, and the address arithmetic.
struct geometry {
  std::uint32_t segment_count = 0;
  std::uint32_t blocks_per_segment = 0;
  std::uint32_t block_size = 0;
  std::uint32_t first_segment_block = 0;
  std::uint32_t max_inodes = 0;
  std::uint32_t slot_blocks = 0;
  std::uint32_t reserve_segments = 0;

  // Data blocks per segment: all but the two summary copies.
  std::uint32_t data_blocks() const noexcept { return blocks_per_segment - 2; }
  std::uint32_t pointers_per_block() const noexcept { return block_size / 4; }
  std::uint64_t max_file_blocks() const noexcept { return direct_pointers + pointers_per_block(); }
  std::uint32_t segment_start(std::uint32_t seg) const noexcept {
    return first_segment_block + seg * blocks_per_segment;
  }
  // The address of data block INDEX of segment SEG.
  address at(std::uint32_t seg, std::uint32_t index) const noexcept {
    return segment_start(seg) + 2 + index;
  }
  bool is_data_address(address a) const noexcept {
    if (a < first_segment_block) return false;
    const auto rel = a - first_segment_block;
    return rel / blocks_per_segment < segment_count && rel % blocks_per_segment >= 2;
  }
  // REQUIRES: is_data_address(a).
  std::uint32_t segment_of(address a) const noexcept {
    return (a - first_segment_block) / blocks_per_segment;
  }
  std::uint32_t index_of(address a) const noexcept {
    return (a - first_segment_block) % blocks_per_segment - 2;
  }
  std::uint64_t offset(address a) const noexcept { return std::uint64_t{a} * block_size; }
  std::uint64_t image_size() const noexcept {
    return offset(first_segment_block + segment_count * blocks_per_segment);
  }
};

}  // namespace lfs

#endif  // LFS_DISK_LAYOUT_HPP
