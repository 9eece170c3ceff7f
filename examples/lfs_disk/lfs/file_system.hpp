// SPDX-License-Identifier: BSL-1.0
// lfs_disk's file system: mkfs, mount (crash recovery), files in a flat root
// directory, the write buffer, sync (checkpoint), and the 1996 note's cleaner
// driven by any cloudlog::cleaning_policy (docs/lfs_disk.md).
#ifndef LFS_DISK_FILE_SYSTEM_HPP
#define LFS_DISK_FILE_SYSTEM_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlog/location.hpp"
#include "cloudlog/packed.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"
#include "cloudlog/policy/policies.hpp"
#include "cloudlog/result.hpp"
#include "lfs/clock.hpp"
#include "lfs/disk.hpp"
#include "lfs/layout.hpp"

namespace lfs {

// The geometry mkfs lays out.
struct mkfs_options {
  std::uint32_t segment_count = 64;
  std::uint32_t blocks_per_segment = 32;
  std::uint32_t block_size = 4096;
  std::uint32_t max_inodes = 1024;
  std::uint32_t reserve_segments = 2;
};

// Counters since mount.
struct fs_stats {
  std::uint64_t checkpoints = 0;         // syncs that wrote a checkpoint
  std::uint64_t segments_cleaned = 0;    // victims whose live blocks were copied out
  std::uint64_t segments_reclaimed = 0;  // segments freed with nothing live to copy
  std::uint64_t blocks_relocated = 0;    // live data blocks copied by the cleaner
  std::uint64_t forced_cleanings = 0;    // writes that had to clean before going on
  std::uint64_t idle_sessions = 0;       // cleaning sessions run by the idle cleaner
  std::uint64_t idle_yields = 0;         // sessions cut short by a waiting user
};

// What stat reports.
struct fs_status {
  geometry geo;
  std::uint32_t clean = 0, dirty = 0, synced = 0;  // the free list's three lists
  std::optional<std::uint32_t> open_segment;       // the write buffer's segment
  std::vector<cloudlog::segment_usage> usage;      // the table policies see
  std::size_t files = 0;
  std::uint64_t write_time = 0;
  std::uint64_t checkpoint = 0;
  fs_stats stats;
};

// One idle cleaning session's outcome.
struct session_result {
  std::uint32_t segments = 0;  // segments cleaned (each followed by a sync)
  bool yielded = false;        // stopped because a user was waiting for the lock
};

namespace detail {

inline std::uint32_t slot_blocks_for(std::uint32_t block_size, std::uint32_t max_inodes,
                                     std::uint32_t segments) {
  const std::uint64_t used = cloudlog::packed_size_v<ifile_header> +
                             std::uint64_t{max_inodes} * cloudlog::packed_size_v<imap_entry> +
                             std::uint64_t{segments} * cloudlog::packed_size_v<free_list_entry>;
  return static_cast<std::uint32_t>((used + block_size - 1) / block_size);
}

// Decodes and checks the superblock at the start of DATA.
inline result<geometry> decode_superblock(byte_view data) {
  constexpr auto n = cloudlog::packed_size_v<superblock>;
  if (data.size() < n) return fail(errc::corrupt_image);
  const auto sb = cloudlog::decode_packed<superblock>(data.data());
  if (sb.magic != superblock_magic || sb.version != 1 || sb.checksum != checksum(data.first(n - 8)))
    return fail(errc::corrupt_image);
  geometry g{sb.segment_count, sb.blocks_per_segment, sb.block_size,      sb.first_segment_block,
             sb.max_inodes,    sb.slot_blocks,        sb.reserve_segments};
  if (g.block_size < 256 || g.blocks_per_segment < 4 || g.segment_count < 3 ||
      g.slot_blocks != slot_blocks_for(g.block_size, g.max_inodes, g.segment_count) ||
      g.first_segment_block != 1 + 2 * g.slot_blocks)
    return fail(errc::corrupt_image);
  return g;
}

}  // namespace detail

// Writes an empty file system over DISK: superblock, checkpoint slot 0 (every
// segment clean, no inode), an invalid slot 1, zeroed segments.
// Fails: cloudlog::errc::invalid_argument for a geometry outside the documented
// domain (docs/lfs_disk.md); the disk's errors.
template <block_disk Disk>
result<geometry> mkfs(Disk& disk, const mkfs_options& o) {
  const bool pow2 = o.block_size != 0 && (o.block_size & (o.block_size - 1)) == 0;
  if (!pow2 || o.block_size < 256 || o.block_size > 65536 || o.blocks_per_segment < 4 ||
      cloudlog::packed_size_v<summary_header> +
              std::uint64_t{o.blocks_per_segment - 2} * cloudlog::packed_size_v <
          summary_entry >> o.block_size ||
      o.max_inodes < 2 || o.reserve_segments < 1 || o.segment_count < o.reserve_segments + 3 ||
      o.segment_count > 1'000'000)
    return fail(cloudlog::errc::invalid_argument);
  geometry g;
  g.segment_count = o.segment_count;
  g.blocks_per_segment = o.blocks_per_segment;
  g.block_size = o.block_size;
  g.max_inodes = o.max_inodes;
  g.reserve_segments = o.reserve_segments;
  g.slot_blocks = detail::slot_blocks_for(o.block_size, o.max_inodes, o.segment_count);
  g.first_segment_block = 1 + 2 * g.slot_blocks;

  const bytes zeros(std::size_t{1} << 20, std::byte{0});
  for (std::uint64_t at = 0; at < g.image_size(); at += zeros.size()) {
    const auto n = std::min<std::uint64_t>(zeros.size(), g.image_size() - at);
    CLOUDLOG_TRY_VOID(disk.write(at, byte_view(zeros).first(n)));
  }
  superblock sb{superblock_magic,   1,
                g.segment_count,    g.blocks_per_segment,
                g.block_size,       g.first_segment_block,
                g.max_inodes,       g.slot_blocks,
                g.reserve_segments, 0};
  bytes block(g.block_size, std::byte{0});
  cloudlog::encode_packed(sb, block.data());
  sb.checksum = checksum(byte_view(block).first(cloudlog::packed_size_v<superblock> - 8));
  cloudlog::encode_packed(sb, block.data());
  CLOUDLOG_TRY_VOID(disk.write(0, block));

  bytes slot(std::size_t{g.slot_blocks} * g.block_size, std::byte{0});
  ifile_header h{ifile_magic, 1, 1, no_segment, 0, no_segment, g.max_inodes, g.segment_count, 0, 0};
  cloudlog::encode_packed(h, slot.data());
  const std::size_t used =
      cloudlog::packed_size_v<ifile_header> + 4 * std::size_t{g.max_inodes} + g.segment_count;
  h.checksum = checksum(byte_view(slot).first(used));
  cloudlog::encode_packed(h, slot.data());
  CLOUDLOG_TRY_VOID(disk.write(g.offset(1), slot));
  CLOUDLOG_TRY_VOID(disk.sync());
  return g;
}

// A log-structured file system in one disk image: a flat root directory of
// files, all writes through a one-segment write buffer, checkpoints in two
// alternating IFile slots, and the cleaner of the 1996 note asking POLICY for
// victims. Every public member takes the file-system lock; read, write, remove,
// list and sync also reset the idle timer. Thread-safe. DISK and CLOCK must outlive it.
template <block_disk Disk, cloudlog::cleaning_policy Policy = cloudlog::greedy_policy,
          lfs_clock Clock = steady_clock_source>
class file_system {
 public:
  // Mounts the file system on DISK: the newest valid checkpoint slot, every
  // segment's newest valid summary, every inode, the root directory. A crash at
  // any byte of any write leaves an image this mounts as of the last checkpoint
  // that completed.
  // Fails: errc::corrupt_image; the disk's errors.
  static result<std::unique_ptr<file_system>> mount(Disk& disk, Policy policy, const Clock& clock) {
    std::unique_ptr<file_system> fs(new file_system(disk, std::move(policy), clock));
    CLOUDLOG_TRY_VOID(fs->load());
    fs->touch();
    return fs;
  }
  // Same, with a default-constructed policy and a process-wide default clock.
  static result<std::unique_ptr<file_system>> mount(Disk& disk, Policy policy = {}) {
    static const Clock default_clock{};
    return mount(disk, std::move(policy), default_clock);
  }

  file_system(const file_system&) = delete;
  file_system& operator=(const file_system&) = delete;

  // Writes DATA at OFFSET of file NAME, creating it (holes read as zeros). The
  // write lands in the write buffer; it is durable after the next sync. When the
  // writers' free list is empty, cleans first ("forced cleaning"). Either the
  // whole write happens or nothing does.
  // Fails: cloudlog::errc::invalid_argument (empty name, or longer than 27 bytes);
  // errc::disk_full; errc::no_free_inode; errc::file_too_large; the disk's errors
  // (after which every call fails with cloudlog::errc::io_error).
  result<void> write(std::string_view name, std::uint64_t offset, byte_view data) {
    access guard(*this);
    CLOUDLOG_TRY_VOID(usable());
    if (name.empty() || name.size() > max_name) return fail(cloudlog::errc::invalid_argument);
    const auto bs = geo_.block_size;
    if (offset + data.size() > geo_.max_file_blocks() * bs) return fail(errc::file_too_large);
    auto it = dir_.find(name);
    const bool create = it == dir_.end();
    std::uint32_t inum = 0;
    if (create) {
      for (std::uint32_t i = root_inum + 1; i < geo_.max_inodes && inum == 0; ++i)
        if (!nodes_.count(i)) inum = i;
      if (inum == 0) return fail(errc::no_free_inode);
    } else {
      inum = it->second;
    }
    const std::uint64_t blocks =
        data.empty() ? 0 : (offset + data.size() - 1) / bs - offset / bs + 1;
    CLOUDLOG_TRY_VOID(ensure_space(blocks + 3 + (create ? dir_cost(dir_.size() + 1) : 0), false));
    if (create) {
      node n;
      n.rec.magic = inode_magic;
      n.rec.inum = inum;
      n.dirty = true;
      nodes_.emplace(inum, std::move(n));
      dir_.emplace(std::string(name), inum);
      dir_dirty_ = true;
    }
    return guard_io(write_data(inum, offset, data));
  }

  // The whole content of file NAME.
  // Fails: std::errc::no_such_file_or_directory; the disk's errors.
  result<bytes> read(std::string_view name) {
    access guard(*this);
    CLOUDLOG_TRY_VOID(usable());
    auto it = dir_.find(name);
    if (it == dir_.end()) return fail(std::errc::no_such_file_or_directory);
    return read_data(it->second);
  }

  // Removes file NAME; its blocks die (freed by cleaning after the next sync).
  // Fails: std::errc::no_such_file_or_directory; errc::disk_full (the directory cannot be
  // rewritten even with the cleaner's reserve); the disk's errors.
  result<void> remove(std::string_view name) {
    access guard(*this);
    CLOUDLOG_TRY_VOID(usable());
    auto it = dir_.find(name);
    if (it == dir_.end()) return fail(std::errc::no_such_file_or_directory);
    CLOUDLOG_TRY_VOID(ensure_space(dir_cost(dir_.size()), true));
    const auto inum = it->second;
    dir_.erase(it);
    dir_dirty_ = true;
    nodes_.erase(inum);
    imap_[inum] = null_address;
    return {};
  }

  // The file names, sorted.
  std::vector<std::string> list() {
    access guard(*this);
    std::vector<std::string> out;
    for (const auto& [name, inum] : dir_) out.push_back(name);
    return out;
  }

  // Makes every earlier change durable: writes dirty indirect blocks and inodes,
  // flushes the write buffer, then writes the checkpoint; cleaned segments then
  // move to the clean list.
  // Fails: errc::disk_full never (writes reserve the room); the disk's errors.
  result<void> sync() {
    access guard(*this);
    CLOUDLOG_TRY_VOID(usable());
    return guard_io(do_sync());
  }

  // Cleans up to MAX_SEGMENTS victims the policy chooses (and frees every segment
  // with nothing live), syncing after each, until a victim no longer frees space.
  // Returns the number of victims cleaned.
  // Fails: the disk's errors.
  result<std::uint32_t> clean(std::uint32_t max_segments) {
    access guard(*this, false);
    CLOUDLOG_TRY_VOID(usable());
    std::uint32_t n = 0;
    while (n < max_segments) {
      const auto before = net_room();
      auto did = guard_io(clean_one());
      if (!did) return fail(did.error());
      if (!*did) break;
      ++n;
      if (net_room() <= before) break;  // cleaning no longer frees space
    }
    return n;
  }

  // The idle cleaner's session (the note's loop): takes the lock, cleans one
  // segment at a time (each followed by a sync), and after each checks for
  // users waiting for the lock, yielding at once if there are; stops when a
  // victim no longer frees space or after MAX_SEGMENTS. Does nothing if
  // an access happened since EXPECTED_EPOCH (when given). Does not reset the timer.
  // Fails: the disk's errors.
  result<session_result> clean_while_idle(std::uint32_t max_segments,
                                          std::optional<std::uint64_t> expected_epoch = {}) {
    std::unique_lock lock(mutex_);
    session_result r;
    if (expected_epoch && *expected_epoch != epoch_.load()) return r;
    CLOUDLOG_TRY_VOID(usable());
    ++stats_.idle_sessions;
    while (r.segments < max_segments) {
      const auto before = net_room();
      auto did = guard_io(clean_one());
      if (!did) return fail(did.error());
      if (!*did) break;
      ++r.segments;
      if (segment_cleaned_hook_) segment_cleaned_hook_(last_cleaned_);
      if (waiters_.load() > 0) {
        r.yielded = true;
        ++stats_.idle_yields;
        break;
      }
      if (net_room() <= before) break;  // cleaning no longer frees space
    }
    return r;
  }

  // The state of the free list, the usage table, counters.
  fs_status status() {
    std::unique_lock lock(mutex_);
    fs_status s;
    s.geo = geo_;
    for (auto st : state_) {
      if (st == segment_state::clean) ++s.clean;
      if (st == segment_state::dirty) ++s.dirty;
      if (st == segment_state::synced) ++s.synced;
    }
    s.open_segment = open_;
    s.usage = usage_table();
    s.files = dir_.size();
    s.write_time = time_;
    s.checkpoint = checkpoint_;
    s.stats = stats_;
    return s;
  }

  // Users currently waiting for the lock.
  int waiters() const noexcept { return waiters_.load(); }
  // When the last read or write happened (the idle timer), on CLOCK.
  std::chrono::nanoseconds last_access() const noexcept {
    return std::chrono::nanoseconds(last_access_.load());
  }
  // Counts reads and writes (and the mount).
  std::uint64_t access_epoch() const noexcept { return epoch_.load(); }
  const Clock& clock() const noexcept { return clock_; }
  // Called, under the lock, after each segment an idle session cleans (tests use
  // it to make a user wait at a chosen moment).
  void on_segment_cleaned(std::function<void(std::uint32_t)> hook) {
    std::unique_lock lock(mutex_);
    segment_cleaned_hook_ = std::move(hook);
  }

 private:
  struct node {
    inode_record rec{};
    std::vector<address> indirect;  // empty: no indirect block
    bool dirty = false;
    bool indirect_dirty = false;
  };
  // One row of the note's INodeInfoArray.
  struct live_block {
    std::uint32_t inum = 0;
    std::uint32_t block = 0;
    address old_address = null_address;
    address new_address = null_address;
    bool data = false;  // referred to by data (else by the inode's metadata)
  };

  // Holds the lock for one user call: counts the caller as a waiter while it
  // waits, and resets the idle timer.
  class access {
   public:
    explicit access(file_system& fs, bool user = true) : lock_(acquire(fs)) {
      if (user) fs.touch();
    }

   private:
    static std::unique_lock<std::mutex> acquire(file_system& fs) {
      fs.waiters_.fetch_add(1);
      std::unique_lock lock(fs.mutex_);
      fs.waiters_.fetch_sub(1);
      return lock;
    }
    std::unique_lock<std::mutex> lock_;
  };

  file_system(Disk& disk, Policy policy, const Clock& clock)
      : disk_(disk), policy_(std::move(policy)), clock_(clock) {}

  void touch() {
    last_access_.store(clock_.now().count());
    epoch_.fetch_add(1);
  }
  result<void> usable() const {
    if (failed_) return fail(cloudlog::errc::io_error);
    return {};
  }
  template <class T>
  result<T> guard_io(result<T> r) {
    if (!r && r.error() != make_error_code(errc::disk_full)) failed_ = true;
    return r;
  }

  // --- mount ---
  result<void> load() {
    bytes head(cloudlog::packed_size_v<superblock>);
    CLOUDLOG_TRY_VOID(read_image(0, head));
    auto g = detail::decode_superblock(head);
    if (!g) return fail(g.error());
    geo_ = *g;
    const auto n = geo_.segment_count;

    std::optional<ifile_header> best;
    bytes best_slot;
    for (int k = 0; k < 2; ++k) {
      bytes slot(std::size_t{geo_.slot_blocks} * geo_.block_size);
      CLOUDLOG_TRY_VOID(read_image(geo_.offset(1 + k * geo_.slot_blocks), slot));
      auto h = cloudlog::decode_packed<ifile_header>(slot.data());
      if (h.magic != ifile_magic || h.imap_entries != geo_.max_inodes || h.free_list_entries != n)
        continue;
      const auto sum = h.checksum;
      h.checksum = 0;
      bytes copy(slot.begin(), slot.begin() + static_cast<std::ptrdiff_t>(slot_used()));
      cloudlog::encode_packed(h, copy.data());
      if (checksum(copy) != sum) continue;
      if (!best || h.checkpoint > best->checkpoint) {
        best = h;
        best_slot = std::move(slot);
        slot_ = k;
      }
    }
    if (!best) return fail(errc::corrupt_image);
    checkpoint_ = best->checkpoint;
    time_ = best->write_time;
    last_cleaned_ = best->last_cleaned_segment;
    imap_.resize(geo_.max_inodes);
    std::size_t at = cloudlog::packed_size_v<ifile_header>;
    for (auto& a : imap_) {
      a = cloudlog::decode_packed<imap_entry>(best_slot.data() + at).where;
      at += cloudlog::packed_size_v<imap_entry>;
      if (a != null_address && !geo_.is_data_address(a)) return fail(errc::corrupt_image);
    }
    state_.resize(n);
    for (auto& s : state_) {
      const auto v = cloudlog::decode_packed<free_list_entry>(best_slot.data() + at++).state;
      if (v > 2) return fail(errc::corrupt_image);
      s = static_cast<segment_state>(v);
    }
    cleaned_.assign(n, false);
    summary_.assign(n, {});
    best_copy_.assign(n, 2);

    for (std::uint32_t s = 0; s < n; ++s) {
      bytes two(2 * std::size_t{geo_.block_size});
      CLOUDLOG_TRY_VOID(read_image(geo_.offset(geo_.segment_start(s)), two));
      std::uint64_t best_seq = 0;
      for (std::uint8_t c = 0; c < 2; ++c) {
        auto entries = decode_summary(
            byte_view(two).subspan(c * std::size_t{geo_.block_size}, geo_.block_size), s);
        if (!entries) continue;
        time_ = std::max(time_, entries->first);
        if (best_copy_[s] == 2 || entries->first > best_seq) {
          best_seq = entries->first;
          best_copy_[s] = c;
          if (state_[s] != segment_state::clean) summary_[s] = std::move(entries->second);
        }
      }
      if (state_[s] != segment_state::clean && summary_[s].empty())
        return fail(errc::corrupt_image);
    }
    ++time_;
    if (best->last_segment != no_segment) {
      const auto s = best->last_segment;
      if (s >= n || summary_[s].size() < best->last_block || best->last_block == 0)
        return fail(errc::corrupt_image);
      summary_[s].resize(best->last_block);
      if (best->last_block < geo_.data_blocks()) {
        open_ = s;
        flushed_ = best->last_block;
      }
    }

    bytes block(geo_.block_size);
    for (std::uint32_t inum = 0; inum < geo_.max_inodes; ++inum) {
      if (imap_[inum] == null_address) continue;
      CLOUDLOG_TRY_VOID(read_block(imap_[inum], block));
      node nd;
      nd.rec = cloudlog::decode_packed<inode_record>(block.data());
      if (nd.rec.magic != inode_magic || nd.rec.inum != inum) return fail(errc::corrupt_image);
      if (nd.rec.indirect != null_address) {
        CLOUDLOG_TRY_VOID(read_block(nd.rec.indirect, block));
        nd.indirect.resize(geo_.pointers_per_block());
        for (std::size_t i = 0; i < nd.indirect.size(); ++i)
          nd.indirect[i] = cloudlog::decode_packed<block_pointer>(block.data() + 4 * i).where;
      }
      nodes_.emplace(inum, std::move(nd));
    }
    if (!nodes_.count(root_inum)) {
      node root;
      root.rec.magic = inode_magic;
      root.rec.inum = root_inum;
      nodes_.emplace(root_inum, std::move(root));
    }
    auto content = read_data(root_inum);
    if (!content) return fail(content.error());
    constexpr auto es = cloudlog::packed_size_v<dir_entry>;
    if (content->size() % es != 0) return fail(errc::corrupt_image);
    for (std::size_t i = 0; i < content->size(); i += es) {
      const auto e = cloudlog::decode_packed<dir_entry>(content->data() + i);
      if (e.name_length == 0 || e.name_length > max_name || !nodes_.count(e.inum) ||
          e.inum == root_inum)
        return fail(errc::corrupt_image);
      dir_.emplace(std::string(cloudlog::as_chars(byte_view(e.name).first(e.name_length))), e.inum);
    }
    return {};
  }

  // Reads during mount: an image too short for its own layout is not an image.
  result<void> read_image(std::uint64_t offset, mutable_byte_view out) {
    auto r = disk_.read(offset, out);
    if (!r && r.error() == cloudlog::errc::out_of_range) return fail(errc::corrupt_image);
    return r;
  }

  std::size_t slot_used() const {
    return cloudlog::packed_size_v<ifile_header> +
           std::size_t{geo_.max_inodes} * cloudlog::packed_size_v<imap_entry> +
           geo_.segment_count * cloudlog::packed_size_v<free_list_entry>;
  }

  // A summary copy's sequence and entries, or nullopt when it does not verify.
  std::optional<std::pair<std::uint64_t, std::vector<summary_entry>>> decode_summary(
      byte_view block, std::uint32_t seg) const {
    auto h = cloudlog::decode_packed<summary_header>(block.data());
    if (h.magic != summary_magic || h.segment != seg || h.count > geo_.data_blocks()) return {};
    const std::size_t len = cloudlog::packed_size_v<summary_header> +
                            std::size_t{h.count} * cloudlog::packed_size_v<summary_entry>;
    const auto sum = h.checksum;
    h.checksum = 0;
    bytes copy(block.begin(), block.begin() + static_cast<std::ptrdiff_t>(len));
    cloudlog::encode_packed(h, copy.data());
    if (checksum(copy) != sum) return {};
    std::vector<summary_entry> entries(h.count);
    for (std::size_t i = 0; i < h.count; ++i)
      entries[i] = cloudlog::decode_packed<summary_entry>(
          block.data() + cloudlog::packed_size_v<summary_header> +
          i * cloudlog::packed_size_v<summary_entry>);
    return std::pair(h.sequence, std::move(entries));
  }

  // --- blocks ---
  result<void> read_block(address a, mutable_byte_view out) {
    if (!geo_.is_data_address(a)) return fail(errc::corrupt_image);
    if (open_ && geo_.segment_of(a) == *open_ && geo_.index_of(a) >= flushed_) {
      const auto i = geo_.index_of(a) - flushed_;
      if (i >= unflushed_.size()) return fail(errc::corrupt_image);
      std::copy(unflushed_[i].begin(), unflushed_[i].end(), out.begin());
      return {};
    }
    return disk_.read(geo_.offset(a), out);
  }

  address block_address(const node& n, std::uint64_t b) const {
    if (b < direct_pointers) return n.rec.direct.at[b];
    const auto i = b - direct_pointers;
    return i < n.indirect.size() ? n.indirect[i] : null_address;
  }
  void set_block(node& n, std::uint64_t b, address a) {
    if (b < direct_pointers) {
      n.rec.direct.at[b] = a;
    } else {
      if (n.indirect.empty()) n.indirect.assign(geo_.pointers_per_block(), null_address);
      n.indirect[b - direct_pointers] = a;
      n.indirect_dirty = true;
    }
    n.dirty = true;
  }

  // Takes the next clean segment (round robin) for the write buffer.
  result<void> take_segment() {
    for (std::uint32_t k = 0; k < geo_.segment_count; ++k) {
      const auto s = (next_pick_ + k) % geo_.segment_count;
      if (state_[s] != segment_state::clean) continue;
      next_pick_ = s + 1;
      state_[s] = segment_state::dirty;
      summary_[s].clear();
      open_ = s;
      flushed_ = 0;
      return {};
    }
    return fail(errc::disk_full);
  }

  // Appends one block to the write buffer (the note's "note where the next block
  // will be written, write it to the segment buffer"); returns its address.
  result<address> append_block(std::uint32_t inum, std::uint32_t block_no, byte_view data) {
    if (!open_) CLOUDLOG_TRY_VOID(take_segment());
    const auto s = *open_;
    auto& sum = summary_[s];
    state_[s] = segment_state::dirty;
    const address a = geo_.at(s, static_cast<std::uint32_t>(sum.size()));
    sum.push_back(summary_entry{inum, block_no, time_});
    unflushed_.emplace_back(data.begin(), data.end());
    unflushed_.back().resize(geo_.block_size);
    if (sum.size() == geo_.data_blocks()) {
      CLOUDLOG_TRY_VOID(flush());
      open_.reset();
    }
    return a;
  }

  // Writes the buffered blocks, then the summary into the copy that is not the
  // newest valid one (so a torn summary write leaves the previous one).
  result<void> flush() {
    if (!open_ || unflushed_.empty()) return {};
    const auto s = *open_;
    bytes run;
    run.reserve(unflushed_.size() * geo_.block_size);
    for (const auto& b : unflushed_) run.insert(run.end(), b.begin(), b.end());
    CLOUDLOG_TRY_VOID(disk_.write(geo_.offset(geo_.at(s, flushed_)), run));
    const auto& sum = summary_[s];
    bytes block(geo_.block_size, std::byte{0});
    summary_header h{summary_magic, ++time_, s, static_cast<std::uint32_t>(sum.size()), 0};
    cloudlog::encode_packed(h, block.data());
    for (std::size_t i = 0; i < sum.size(); ++i)
      cloudlog::encode_packed(sum[i], block.data() + cloudlog::packed_size_v<summary_header> +
                                          i * cloudlog::packed_size_v<summary_entry>);
    const std::size_t len = cloudlog::packed_size_v<summary_header> +
                            sum.size() * cloudlog::packed_size_v<summary_entry>;
    h.checksum = checksum(byte_view(block).first(len));
    cloudlog::encode_packed(h, block.data());
    const std::uint8_t copy = best_copy_[s] == 0 ? 1 : 0;
    CLOUDLOG_TRY_VOID(disk_.write(geo_.offset(geo_.segment_start(s) + copy), block));
    best_copy_[s] = copy;
    flushed_ = static_cast<std::uint32_t>(sum.size());
    unflushed_.clear();
    return {};
  }

  // --- files ---
  result<void> write_data(std::uint32_t inum, std::uint64_t offset, byte_view data) {
    auto& n = nodes_.at(inum);
    const std::uint64_t bs = geo_.block_size;
    bytes block(bs);
    for (std::size_t done = 0; done < data.size();) {
      const std::uint64_t pos = offset + done;
      const auto b = pos / bs;
      const auto in = static_cast<std::size_t>(pos % bs);
      const auto len = std::min<std::size_t>(bs - in, data.size() - done);
      std::fill(block.begin(), block.end(), std::byte{0});
      const auto old = block_address(n, b);
      if ((in != 0 || len != bs) && old != null_address) {
        CLOUDLOG_TRY_VOID(read_block(old, block));
        if (n.rec.size < (b + 1) * bs) {  // bytes past the end read as zeros
          const auto keep = n.rec.size > b * bs ? n.rec.size - b * bs : 0;
          std::fill(block.begin() + static_cast<std::ptrdiff_t>(keep), block.end(), std::byte{0});
        }
      }
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(done), len,
                  block.begin() + static_cast<std::ptrdiff_t>(in));
      auto a = append_block(inum, static_cast<std::uint32_t>(b), block);
      if (!a) return fail(a.error());
      set_block(n, b, *a);
      done += len;
    }
    n.rec.size = std::max<std::uint64_t>(n.rec.size, offset + data.size());
    n.rec.mtime = time_;
    n.dirty = true;
    return {};
  }

  result<bytes> read_data(std::uint32_t inum) {
    const auto& n = nodes_.at(inum);
    const std::uint64_t bs = geo_.block_size;
    bytes out(n.rec.size);
    bytes block(bs);
    for (std::uint64_t b = 0; b * bs < n.rec.size; ++b) {
      const auto a = block_address(n, b);
      const auto len = std::min<std::uint64_t>(bs, n.rec.size - b * bs);
      if (a == null_address) continue;
      CLOUDLOG_TRY_VOID(read_block(a, block));
      std::copy_n(block.begin(), len, out.begin() + static_cast<std::ptrdiff_t>(b * bs));
    }
    return out;
  }

  void truncate(node& n, std::uint64_t size) {
    const std::uint64_t keep = (size + geo_.block_size - 1) / geo_.block_size;
    for (std::uint64_t b = keep; b < direct_pointers; ++b) n.rec.direct.at[b] = null_address;
    if (!n.indirect.empty()) {
      for (std::uint64_t b = std::max<std::uint64_t>(keep, direct_pointers);
           b < geo_.max_file_blocks(); ++b)
        n.indirect[b - direct_pointers] = null_address;
      if (std::all_of(n.indirect.begin(), n.indirect.end(),
                      [](address a) { return a == null_address; })) {
        n.indirect.clear();
        n.indirect_dirty = true;
      }
    }
    n.rec.size = size;
    n.dirty = true;
  }

  // Rewrites the root directory's content from dir_.
  result<void> write_dir() {
    bytes content;
    for (const auto& [name, inum] : dir_) {
      dir_entry e{};
      e.inum = inum;
      e.name_length = static_cast<std::uint8_t>(name.size());
      std::copy(name.begin(), name.end(), reinterpret_cast<char*>(e.name.data()));
      cloudlog::append_packed(content, e);
    }
    truncate(nodes_.at(root_inum), content.size());
    return write_data(root_inum, 0, content);
  }

  // Blocks the root directory takes with ENTRIES entries, plus its inode and indirect block.
  std::uint64_t dir_cost(std::size_t entries) const {
    return (entries * cloudlog::packed_size_v<dir_entry> + geo_.block_size - 1) / geo_.block_size +
           2;
  }

  // --- sync ---
  result<void> do_sync() {
    if (dir_dirty_) {
      CLOUDLOG_TRY_VOID(write_dir());
      dir_dirty_ = false;
    }
    bytes block(geo_.block_size);
    for (auto& [inum, n] : nodes_) {
      if (!n.indirect_dirty) continue;
      if (n.indirect.empty()) {
        n.rec.indirect = null_address;
      } else {
        std::fill(block.begin(), block.end(), std::byte{0});
        for (std::size_t i = 0; i < n.indirect.size(); ++i)
          cloudlog::encode_packed(block_pointer{n.indirect[i]}, block.data() + 4 * i);
        auto a = append_block(inum, indirect_block_number, block);
        if (!a) return fail(a.error());
        n.rec.indirect = *a;
      }
      n.indirect_dirty = false;
      n.dirty = true;
    }
    for (auto& [inum, n] : nodes_) {
      if (!n.dirty) continue;
      std::fill(block.begin(), block.end(), std::byte{0});
      cloudlog::encode_packed(n.rec, block.data());
      auto a = append_block(inum, inode_block_number, block);
      if (!a) return fail(a.error());
      imap_[inum] = *a;
      n.dirty = false;
    }
    CLOUDLOG_TRY_VOID(flush());
    CLOUDLOG_TRY_VOID(disk_.sync());
    auto next = state_;
    for (std::uint32_t s = 0; s < next.size(); ++s)
      if (next[s] == segment_state::dirty)
        next[s] = cleaned_[s] ? segment_state::clean : segment_state::synced;
    CLOUDLOG_TRY_VOID(write_checkpoint(next));
    CLOUDLOG_TRY_VOID(disk_.sync());
    state_ = std::move(next);
    for (std::uint32_t s = 0; s < cleaned_.size(); ++s)
      if (cleaned_[s]) {
        cleaned_[s] = false;
        summary_[s].clear();
      }
    ++stats_.checkpoints;
    return {};
  }

  // Writes the IFile into the slot not holding the newest checkpoint.
  result<void> write_checkpoint(const std::vector<segment_state>& states) {
    const int slot = 1 - slot_;
    bytes buf(std::size_t{geo_.slot_blocks} * geo_.block_size, std::byte{0});
    ifile_header h{ifile_magic,
                   checkpoint_ + 1,
                   time_,
                   open_ ? *open_ : no_segment,
                   open_ ? static_cast<std::uint32_t>(summary_[*open_].size()) : 0,
                   last_cleaned_,
                   geo_.max_inodes,
                   geo_.segment_count,
                   0,
                   0};
    cloudlog::encode_packed(h, buf.data());
    std::size_t at = cloudlog::packed_size_v<ifile_header>;
    for (auto a : imap_) {
      cloudlog::encode_packed(imap_entry{a}, buf.data() + at);
      at += cloudlog::packed_size_v<imap_entry>;
    }
    for (auto s : states)
      cloudlog::encode_packed(free_list_entry{static_cast<std::uint8_t>(s)}, buf.data() + at++);
    h.checksum = checksum(byte_view(buf).first(at));
    cloudlog::encode_packed(h, buf.data());
    CLOUDLOG_TRY_VOID(disk_.write(geo_.offset(1 + slot * geo_.slot_blocks), buf));
    slot_ = slot;
    ++checkpoint_;
    return {};
  }

  // --- cleaning ---
  // The note's liveness test: is ADDRESS referred to by the owning inode's data
  // at block E.block, or else by the inode's metadata (its own block, via the
  // inode map, or its indirect block)?
  std::optional<bool> live_as(const summary_entry& e, address a) const {
    auto it = nodes_.find(e.inum);
    if (it == nodes_.end()) return std::nullopt;
    const auto& n = it->second;
    if (e.block < geo_.max_file_blocks() && block_address(n, e.block) == a) return true;
    if (imap_[e.inum] == a || n.rec.indirect == a) return false;
    return std::nullopt;
  }

  std::vector<live_block> live_blocks(std::uint32_t s) const {
    std::vector<live_block> out;
    const auto& sum = summary_[s];
    for (std::uint32_t i = 0; i < sum.size(); ++i) {
      const auto a = geo_.at(s, i);
      if (auto data = live_as(sum[i], a))
        out.push_back(live_block{sum[i].inum, sum[i].block, a, null_address, *data});
    }
    return out;
  }

  bool cleanable(std::uint32_t s) const {
    return state_[s] != segment_state::clean && !cleaned_[s] && !(open_ && *open_ == s);
  }

  // The library's utilization table, built from the segment summaries.
  std::vector<cloudlog::segment_usage> usage_table() const {
    std::vector<cloudlog::segment_usage> t;
    const std::uint64_t bs = geo_.block_size;
    for (std::uint32_t s = 0; s < geo_.segment_count; ++s) {
      if (!cleanable(s)) continue;
      std::uint64_t newest = 0;
      for (const auto& e : summary_[s]) newest = std::max(newest, e.write_time);
      t.push_back(cloudlog::segment_usage{{0, s},
                                          geo_.data_blocks() * bs,
                                          live_blocks(s).size() * bs,
                                          time_ > newest ? time_ - newest : 1});
    }
    return t;
  }

  std::uint64_t open_room() const {
    return open_ ? geo_.data_blocks() - summary_[*open_].size() : 0;
  }
  std::uint64_t clean_count() const {
    return static_cast<std::uint64_t>(
        std::count(state_.begin(), state_.end(), segment_state::clean));
  }
  // Blocks writers may still fill: the open segment and the clean list minus the reserve.
  std::uint64_t writer_room() const {
    const auto c = clean_count();
    return open_room() +
           (c > geo_.reserve_segments ? c - geo_.reserve_segments : 0) * geo_.data_blocks();
  }
  // Blocks the cleaner and sync may fill.
  std::uint64_t privileged_room() const { return open_room() + clean_count() * geo_.data_blocks(); }
  // Blocks the next sync will write.
  std::uint64_t debt() const {
    std::uint64_t d = dir_dirty_ ? dir_cost(dir_.size()) : 0;
    for (const auto& [inum, n] : nodes_) d += n.dirty + n.indirect_dirty;
    return d;
  }

  // What the cleaner and sync may fill once the next sync has paid its debt.
  std::int64_t net_room() const {
    return static_cast<std::int64_t>(privileged_room()) - static_cast<std::int64_t>(debt());
  }

  // Makes room for NEED more blocks (plus what the next sync owes) before a change,
  // cleaning as long as each step frees space.
  result<void> ensure_space(std::uint64_t need, bool privileged) {
    bool counted = false;
    for (;;) {
      if ((privileged ? privileged_room() : writer_room()) >= need + debt()) return {};
      if (!counted) ++stats_.forced_cleanings;
      counted = true;
      const auto before = net_room();
      auto did = guard_io(clean_one());
      if (!did) return fail(did.error());
      if (net_room() <= before) return fail(errc::disk_full);
    }
  }

  // Frees every segment with nothing live, then cleans the policy's first victim
  // that fits in the room left; syncs so the freed segments become clean.
  // Returns whether a victim was cleaned.
  result<bool> clean_one() {
    std::uint32_t reclaimed = 0;
    for (std::uint32_t s = 0; s < geo_.segment_count; ++s)
      if (cleanable(s) && live_blocks(s).empty()) {
        cleaned_[s] = true;
        state_[s] = segment_state::dirty;
        ++reclaimed;
      }
    stats_.segments_reclaimed += reclaimed;
    for (const auto& id : policy_.select(usage_table())) {
      const auto s = id.sequence;
      if (id.directory != 0 || s >= geo_.segment_count || !cleanable(s)) continue;
      const auto live = live_blocks(s);
      std::uint64_t inodes = 0;
      for (std::size_t i = 0; i < live.size(); ++i)
        inodes += i == 0 || live[i].inum != live[i - 1].inum;
      if (privileged_room() < live.size() + 2 * inodes + debt() + 2) continue;
      CLOUDLOG_TRY_VOID(clean_segment(s));
      CLOUDLOG_TRY_VOID(do_sync());
      return true;
    }
    if (reclaimed > 0) CLOUDLOG_TRY_VOID(do_sync());
    return false;
  }

  // The note's procedure for one segment: find the live blocks from its summary,
  // sort them by (inode, block), copy the data blocks to the write buffer, then
  // tell each inode, in reverse order, where its blocks went. Live metadata
  // (inodes, indirect blocks) is marked dirty: the next sync writes it anew.
  result<void> clean_segment(std::uint32_t s) {
    auto info = live_blocks(s);
    std::sort(info.begin(), info.end(), [](const live_block& a, const live_block& b) {
      return std::pair(a.inum, a.block) < std::pair(b.inum, b.block);
    });
    bytes block(geo_.block_size);
    for (auto& x : info) {
      if (!x.data) continue;
      CLOUDLOG_TRY_VOID(read_block(x.old_address, block));
      auto a = append_block(x.inum, x.block, block);
      if (!a) return fail(a.error());
      x.new_address = *a;
      ++stats_.blocks_relocated;
    }
    for (auto it = info.rbegin(); it != info.rend(); ++it) {
      auto& n = nodes_.at(it->inum);
      if (it->data) {
        set_block(n, it->block, it->new_address);
      } else {
        n.dirty = true;
        if (n.rec.indirect == it->old_address) n.indirect_dirty = true;
      }
    }
    cleaned_[s] = true;
    state_[s] = segment_state::dirty;
    last_cleaned_ = s;
    ++stats_.segments_cleaned;
    return {};
  }

  Disk& disk_;
  Policy policy_;
  const Clock& clock_;
  geometry geo_{};

  std::mutex mutex_;
  std::atomic<int> waiters_{0};
  std::atomic<std::chrono::nanoseconds::rep> last_access_{0};
  std::atomic<std::uint64_t> epoch_{0};
  std::function<void(std::uint32_t)> segment_cleaned_hook_;

  std::vector<address> imap_;
  std::vector<segment_state> state_;
  std::vector<bool> cleaned_;  // dirty because cleaned: clean after the next sync
  std::vector<std::vector<summary_entry>> summary_;
  std::vector<std::uint8_t> best_copy_;  // 0, 1, or 2 for none
  std::map<std::uint32_t, node> nodes_;
  std::map<std::string, std::uint32_t, std::less<>> dir_;
  bool dir_dirty_ = false;

  std::optional<std::uint32_t> open_;
  std::uint32_t flushed_ = 0;
  std::vector<bytes> unflushed_;
  std::uint32_t next_pick_ = 0;

  std::uint64_t time_ = 0;
  std::uint64_t checkpoint_ = 0;
  int slot_ = 0;
  std::uint32_t last_cleaned_ = no_segment;
  bool failed_ = false;
  fs_stats stats_;
};

}  // namespace lfs

#endif  // LFS_DISK_FILE_SYSTEM_HPP
