// SPDX-License-Identifier: BSL-1.0
// The BlueSky proxy's side: an in-memory filesystem over a store that creates,
// writes, truncates and deletes files, makes directories and symlinks, and flushes
// its dirty state as directory-0 segments in the proxy's order (docs/format.md,
// section 11). This header is the contract; the bodies are in impl/: the namespace
// (filesystem_namespace.hpp), file contents (filesystem_contents.hpp) and
// persistence (filesystem_persistence.hpp).
#ifndef CLOUDLOG_FORMATS_BLUESKY_FILESYSTEM_HPP
#define CLOUDLOG_FORMATS_BLUESKY_FILESYSTEM_HPP

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/crypto/random.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/formats/bluesky/item_source.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog::bluesky {

// How a filesystem writes.
struct filesystem_options {
  // A segment is sealed and uploaded once its size exceeds this after an append
  // (so a segment may exceed it by one item); every flush also seals its last one.
  std::uint64_t segment_target = proxy_segment_target;
  // Owner of the files this filesystem creates.
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

// What one flush wrote.
struct flush_report {
  std::uint64_t segments = 0;    // segments uploaded
  std::uint64_t bytes = 0;       // bytes uploaded
  std::uint64_t data_items = 0;  // DATA items written
  std::uint64_t inode_items = 0;
  std::uint64_t imap_items = 0;
  std::uint64_t checkpoints = 0;  // 0 (nothing was dirty) or 1
};

// What a merge of the cleaner's output adopted (see merge.hpp).
struct merge_report {
  // True when a new, complete cleaner generation was merged (false: none to merge).
  bool merged = false;
  // The cleaner checkpoint's sequence acknowledged in the version vector (1, seq).
  std::optional<std::uint32_t> cleaner_sequence;
  // Data blocks whose location now points at the cleaner's copy.
  std::uint64_t blocks_adopted = 0;
  // Inodes re-serialized because the cleaner relocated them or their blocks.
  std::uint64_t inodes_rewritten = 0;
  // Inodes whose cleaner copy was adopted as it is (the same version, moved).
  std::uint64_t inodes_adopted = 0;
  // Items of the cleaner's output set aside because they do not verify or are not
  // where their links say (their tag, framing, id, type or size), each as "what at
  // where: why". They stay where the proxy had them; the generation is still
  // acknowledged, so the cleaner never waits on it forever (docs/format.md, section 12).
  std::vector<std::string> refused;
  // Live data blocks the writer's own copies of which are damaged too (the cleaner
  // had copied them as they were): the quarantine record (quarantine.hpp) after
  // this merge, which the cleaner reads to leave them where they are.
  std::set<location> quarantined;
  // True when nothing was merged but the store's newest segments were a flush
  // interrupted before its checkpoint: a fresh checkpoint was written after them.
  bool sealed_interrupted_flush = false;
  // What the acknowledging flush wrote.
  flush_report flush;
};

// What a merge changes in a filesystem (merge.hpp): block locations to adopt,
// inodes whose cleaner copy to adopt as they are, inodes to re-serialize.
struct merge_plan {
  struct adoption {
    std::uint64_t inum;
    std::uint64_t index;
    item_ref ref;
  };
  std::vector<adoption> blocks;
  std::vector<std::pair<std::uint64_t, item_ref>> inodes;
  std::vector<std::uint64_t> touched;
  // Blocks whose cleaner copy was set aside and whose own copy is damaged too.
  std::vector<location> damaged_in_place;
};

template <segment_store Store, cloudlog::cipher Cipher>
class filesystem;

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<merge_report> merge_cleaner_output(filesystem<Store, Cipher>& fs);

namespace detail {
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<merge_plan> plan_merge(filesystem<Store, Cipher>& fs, const root& croot,
                                        std::vector<std::string>& refused);
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::set<std::uint64_t>> check_blocks(filesystem<Store, Cipher>& fs,
                                                       merge_plan& plan,
                                                       std::vector<std::string>& refused);
template <segment_store Store, cloudlog::cipher Cipher>
result<std::set<location>> update_quarantine(filesystem<Store, Cipher>& fs,
                                             const std::vector<location>& damaged);
}  // namespace detail

// A BlueSky filesystem as the proxy holds it: every inode in memory, file blocks
// as links (read on demand) or dirty contents (until flushed).
//
// open() loads the current checkpoint, inode map and every inode (one batch) and
// continues the directory-0 sequence after the newest existing segment; on an
// empty store it starts a new filesystem (root directory, inode 1, mode 0755).
// Changes stay in memory until flush(), which writes, per dirty inode in inode
// order, its new data blocks then the inode; then the changed inode-map blocks;
// the checkpoint last; every item sealed with the cipher.
//
// Deleting removes the name from its directory AND the inode from the inode map
// (the original only removed the name, so deleted files stayed live forever).
// Once a cleaner generation is merged, every checkpoint carries the version-vector
// entry (1, merged cleaner sequence).
//
// Every failing operation returns its text with its code (what failed, where,
// why: error_info.hpp). Holds references to the store and the cipher: they must
// outlive it. Not thread-safe. Paths are '/'-separated, relative to the root;
// symlinks in paths are not followed.
template <segment_store Store, cloudlog::cipher Cipher>
class filesystem {
 public:
  // Opens the filesystem in STORE (or starts a new one if directory 0 is empty).
  // The root is found by the one rule (root.hpp, with OPT.segment_target): the
  // segments of a flush interrupted before its checkpoint are skipped (see
  // skipped_segments), the sequence continues after them, and the next flush
  // writes a checkpoint even if nothing else changed, so the store is readable by
  // the proxy's rule again. Damage is never skipped.
  // Failures carry their text: what failed and where.
  // Fails: reader::open's errors (errc::damaged_log, errc::no_checkpoint, ...),
  // inode load errors.
  static result_with_info<filesystem> open(Store& store, const Cipher& c,
                                           filesystem_options opt = {}) {
    return open_with(store, c, opt, root_rule{opt.segment_target, std::nullopt});
  }

  // The operator's explicit way past damage (bluesky_fs recover): opens at the
  // checkpoint that ends directory-0 segment SEQUENCE, abandoning every newer
  // segment and all it holds, then flushes a fresh checkpoint after the newest
  // segment, so every reader, writer and cleaner starts there. Never taken by open.
  // Fails: errc::no_checkpoint (no such segment, or it ends in no checkpoint);
  // open's and flush's errors.
  static result_with_info<filesystem> recover_to(Store& store, const Cipher& c,
                                                 std::uint32_t sequence,
                                                 filesystem_options opt = {});

  // Directory-0 segments newer than the root this filesystem was opened at: an
  // interrupted flush's (garbage), or those recover_to abandoned. Oldest first.
  const std::vector<segment_info>& skipped_segments() const noexcept { return skipped_; }

  // ---- queries (impl/filesystem_namespace.hpp, impl/filesystem_contents.hpp) ----

  // The inode number at PATH, by resolve_path's rule (reader.hpp), over the inodes
  // as they are now.
  // Fails: resolve_path's errors (errc::dangling_link: a corrupt store).
  result_with_info<std::uint64_t> lookup(std::string_view path);

  // The inode INUM (its current, possibly unflushed, state).
  // Fails: std::errc::no_such_file_or_directory.
  result<inode> stat(std::uint64_t inum) const {
    auto it = nodes_.find(inum);
    if (it == nodes_.end()) return fail(std::errc::no_such_file_or_directory);
    return it->second.node;
  }

  // Every inode number, ascending.
  std::vector<std::uint64_t> inums() const {
    std::vector<std::uint64_t> out;
    out.reserve(nodes_.size());
    for (const auto& [n, s] : nodes_) out.push_back(n);
    return out;
  }

  // The entries of the directory at PATH, ascending by cookie.
  // Fails: lookup's errors, std::errc::not_a_directory.
  result_with_info<std::vector<dir_entry>> list(std::string_view path);

  // The target of the symlink at PATH.
  // Fails: lookup's errors, std::errc::invalid_argument.
  result_with_info<std::string> readlink(std::string_view path);

  // Reads LENGTH bytes at OFFSET of regular file INUM (clamped to its size),
  // unflushed changes included; holes read as zeros; stored blocks are fetched in
  // one batch.
  // Fails: std::errc::no_such_file_or_directory, std::errc::is_a_directory, errc::invalid_argument
  // (not a regular file), fetch errors.
  result_with_info<bytes> read(std::uint64_t inum, std::uint64_t offset = 0,
                               std::uint64_t length = whole_object);

  // Reads the whole regular file at PATH (see read).
  result_with_info<bytes> read(std::string_view path) {
    auto n = lookup(path);
    if (!n) return fail(std::move(n.error()));
    return read(*n);
  }

  // ---- changes, in memory until flush (impl/filesystem_namespace.hpp,
  // impl/filesystem_contents.hpp) ----

  // Creates an empty regular file at PATH with permission bits MODE.
  // Fails: std::errc::no_such_file_or_directory / std::errc::not_a_directory (parent),
  // std::errc::file_exists, errc::invalid_argument (an empty or invalid name).
  result_with_info<std::uint64_t> create(std::string_view path, std::uint32_t mode = 0644) {
    return make_node(path, file_type::regular, mode, {});
  }

  // Creates an empty directory at PATH (see create).
  result_with_info<std::uint64_t> mkdir(std::string_view path, std::uint32_t mode = 0755) {
    return make_node(path, file_type::directory, mode, {});
  }

  // Creates a symlink at PATH pointing at TARGET (see create; TARGET must be
  // non-empty and hold no NUL, errc::invalid_argument).
  result_with_info<std::uint64_t> symlink(std::string_view path, std::string_view target);

  // Writes DATA at OFFSET of regular file INUM, extending it if needed (a gap
  // becomes holes). Blocks written only in part are read first.
  // Fails: std::errc::no_such_file_or_directory, std::errc::is_a_directory, errc::invalid_argument
  // (not regular, or past max_file_size), fetch errors (nothing is changed then).
  result_with_info<void> write(std::uint64_t inum, std::uint64_t offset, byte_view data);

  // Writes DATA at OFFSET of the regular file at PATH (see write).
  result_with_info<void> write(std::string_view path, std::uint64_t offset, byte_view data) {
    auto n = lookup(path);
    if (!n) return fail(std::move(n.error()));
    return write(*n, offset, data);
  }

  // Sets the size of regular file INUM to SIZE: shrinking drops whole blocks and
  // cuts the new last block; growing pads the old last block with zeros and adds
  // holes.
  // Fails: as write.
  result_with_info<void> truncate(std::uint64_t inum, std::uint64_t size);

  // Truncates the regular file at PATH (see truncate).
  result_with_info<void> truncate(std::string_view path, std::uint64_t size) {
    auto n = lookup(path);
    if (!n) return fail(std::move(n.error()));
    return truncate(*n, size);
  }

  // Removes the file, symlink or empty directory at PATH: its name from its
  // directory and its inode from the inode map.
  // Fails: lookup's errors, std::errc::directory_not_empty, errc::invalid_argument (the root).
  result_with_info<void> remove(std::string_view path);

  // ---- persistence (impl/filesystem_persistence.hpp) ----

  // True when there are changes flush() would write.
  bool dirty() const {
    if (checkpoint_dirty_ || !dirty_ranges_.empty()) return true;
    return std::any_of(nodes_.begin(), nodes_.end(), [](const auto& p) { return p.second.dirty; });
  }

  // Writes every change as new directory-0 segments (see the class comment) and
  // makes them the current state. A no-op when nothing is dirty.
  // Fails: store write errors ("cannot write log-...: ..."), errc::crypto_failure,
  // errc::size_overflow ("flush failed: ..."). On failure the in-memory state is
  // unchanged (still dirty) and the next flush reuses the same segment names;
  // segments already uploaded are unreferenced.
  result_with_info<flush_report> flush();

  // The sequence the next directory-0 segment will get.
  std::uint32_t next_sequence() const noexcept { return next_seq_; }
  // The latest cleaner sequence merged (the version-vector entry for directory 1).
  std::optional<std::uint32_t> merged_cleaner_sequence() const noexcept { return merged_; }
  // Everything flushed since open.
  const flush_report& totals() const noexcept { return totals_; }
  // The item source (the store and the cipher).
  item_source<Store, Cipher>& source() noexcept { return source_; }

 private:
  friend result_with_info<merge_report> merge_cleaner_output<Store, Cipher>(filesystem&);
  friend result_with_info<merge_plan> detail::plan_merge<Store, Cipher>(filesystem&, const root&,
                                                                        std::vector<std::string>&);
  friend result_with_info<std::set<std::uint64_t>> detail::check_blocks<Store, Cipher>(
      filesystem&, merge_plan&, std::vector<std::string>&);
  friend result<std::set<location>> detail::update_quarantine<Store, Cipher>(
      filesystem&, const std::vector<location>&);

  // Applies PLAN (merge_cleaner_output) and records cleaner sequence SEQ as merged;
  // the next flush writes them. undo_merge() puts back every field it changed.
  result<void> apply_merge(const merge_plan& plan, std::uint32_t seq);

  // Undoes the last apply_merge (after its flush failed).
  void undo_merge();

  struct block_slot {
    object_id id;                   // the stored item's id; null for a hole or unflushed data
    std::optional<location> where;  // where the stored item is
    std::optional<bytes> data;      // new contents, not yet flushed
    bool stored() const noexcept { return !data && !id.is_null(); }
  };

  struct node_state {
    inode node;
    std::vector<block_slot> blocks;  // regular files: one per block
    std::optional<item_ref> self;    // the current INODE item; none until first flushed
    bool dirty = false;
  };

  // Appends items to directory-0 segments, sealing each item with the cipher and
  // uploading a segment once it exceeds the target.
  class segment_writer;

  filesystem(Store& store, const Cipher& c, filesystem_options opt)
      : source_(store, c), opt_(opt) {}

  static result_with_info<filesystem> open_with(Store& store, const Cipher& c,
                                                filesystem_options opt, const root_rule& rule);

  result_with_info<void> load(const root_rule& rule);

  static std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void touch(node_state& s) {
    s.node.change_count++;
    s.node.mtime = s.node.ctime = now_us();
    s.dirty = true;
  }

  result_with_info<node_state*> regular(std::uint64_t inum);

  static fetch_request block_request(std::uint64_t inum, const node_state& n, std::uint64_t i) {
    return {{n.blocks[i].id, *n.blocks[i].where}, item_type::data, inum, i};
  }

  // Turns the stored blocks WHICH of N into dirty contents (one batch of reads).
  result_with_info<void> materialize(std::uint64_t inum, node_state& n,
                                     std::span<const std::uint64_t> which);

  // Sets N's size to SIZE, keeping every block's contents at its expected length.
  result_with_info<void> resize(std::uint64_t inum, node_state& n, std::uint64_t size);

  result_with_info<std::uint64_t> parent_of(std::string_view path);

  result_with_info<std::uint64_t> make_node(std::string_view path, file_type type,
                                            std::uint32_t mode, std::string_view target);

  // A random 31-bit cookie >= 4, unused in DIR (as the original draws them).
  static result<std::uint32_t> new_cookie(const inode& dir);

  // E, with "flush failed: " and its code's message when it has no text.
  static tl::unexpected<error_info> fail_flush(error_info e);

  item_source<Store, Cipher> source_;
  filesystem_options opt_;
  std::map<std::uint64_t, node_state> nodes_;
  std::map<std::uint64_t, item_ref> ranges_;  // range m -> its current inode-map block
  std::set<std::uint64_t> dirty_ranges_;
  bool checkpoint_dirty_ = false;
  std::vector<segment_info> skipped_;
  struct undo_log {
    struct block {
      std::uint64_t inum;
      std::uint64_t index;
      std::optional<location> where;
    };
    std::optional<std::uint32_t> merged;
    bool checkpoint_dirty;
    std::set<std::uint64_t> dirty_ranges;
    std::vector<block> blocks;
    std::vector<std::pair<std::uint64_t, std::optional<item_ref>>> selves;
    std::vector<std::pair<std::uint64_t, bool>> dirty;
  };
  std::optional<undo_log> undo_;
  bool foreign_ranges_ = false;
  std::optional<std::uint32_t> merged_;
  std::uint32_t next_seq_ = 0;
  std::uint64_t next_inum_ = root_inum + 1;
  flush_report totals_;
  bytes segment_buffer_;  // the segment being filled; kept between flushes for its capacity
};

}  // namespace cloudlog::bluesky

#include "cloudlog/formats/bluesky/impl/filesystem_contents.hpp"
#include "cloudlog/formats/bluesky/impl/filesystem_namespace.hpp"
#include "cloudlog/formats/bluesky/impl/filesystem_persistence.hpp"

#endif  // CLOUDLOG_FORMATS_BLUESKY_FILESYSTEM_HPP
