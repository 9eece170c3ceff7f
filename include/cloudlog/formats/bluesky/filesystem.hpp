// SPDX-License-Identifier: BSL-1.0
// The BlueSky proxy's side: an in-memory filesystem over a store that creates,
// writes, truncates and deletes files, makes directories and symlinks, and flushes
// its dirty state as directory-0 segments in the proxy's order (docs/format.md,
// section 11).
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
result<merge_report> merge_cleaner_output(filesystem<Store, Cipher>& fs);

namespace detail {
template <segment_store Store, cloudlog::cipher Cipher>
result<merge_plan> plan_merge(filesystem<Store, Cipher>& fs, const root& croot,
                              std::vector<std::string>& refused);
template <segment_store Store, cloudlog::cipher Cipher>
result<std::set<std::uint64_t>> check_blocks(filesystem<Store, Cipher>& fs, merge_plan& plan,
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
// Holds references to the store and the cipher: they must outlive it. Not
// thread-safe. Paths are '/'-separated, relative to the root; symlinks in paths
// are not followed.
template <segment_store Store, cloudlog::cipher Cipher>
class filesystem {
 public:
  // Opens the filesystem in STORE (or starts a new one if directory 0 is empty).
  // The root is found by the one rule (root.hpp, with OPT.segment_target): the
  // segments of a flush interrupted before its checkpoint are skipped (see
  // skipped_segments), the sequence continues after them, and the next flush
  // writes a checkpoint even if nothing else changed, so the store is readable by
  // the proxy's rule again. Damage is never skipped.
  // On failure, WHY (if given) receives the text saying what failed and where.
  // Fails: reader::open's errors (errc::damaged_log, errc::no_checkpoint, ...),
  // inode load errors.
  static result<filesystem> open(Store& store, const Cipher& c, filesystem_options opt = {},
                                 std::string* why = nullptr) {
    return open_with(store, c, opt, root_rule{opt.segment_target, std::nullopt}, why);
  }

  // The operator's explicit way past damage (bluesky_fs recover): opens at the
  // checkpoint that ends directory-0 segment SEQUENCE, abandoning every newer
  // segment and all it holds, then flushes a fresh checkpoint after the newest
  // segment, so every reader, writer and cleaner starts there. Never taken by open.
  // Fails: errc::no_checkpoint (no such segment, or it ends in no checkpoint);
  // open's and flush's errors.
  static result<filesystem> recover_to(Store& store, const Cipher& c, std::uint32_t sequence,
                                       filesystem_options opt = {}, std::string* why = nullptr) {
    auto fs = open_with(store, c, opt, root_rule{opt.segment_target, sequence}, why);
    if (!fs) return fail(fs.error());
    fs->checkpoint_dirty_ = true;
    if (auto f = fs->flush(); !f) {
      if (why) *why = fs->last_error();
      return fail(f.error());
    }
    return fs;
  }

  // Directory-0 segments newer than the root this filesystem was opened at: an
  // interrupted flush's (garbage), or those recover_to abandoned. Oldest first.
  const std::vector<segment_info>& skipped_segments() const noexcept { return skipped_; }

  // ---- queries ----

  // ---- queries ----

  // The inode number at PATH ("" and "/" are the root). Symlinks are not followed.
  // Fails: std::errc::no_such_file_or_directory, std::errc::not_a_directory, errc::dangling_link (a
  // directory entry naming an inode the inode map lacks: a corrupt store).
  result<std::uint64_t> lookup(std::string_view path) {
    std::uint64_t at = root_inum;
    for (auto name : path_components(path)) {
      const auto& n = nodes_.at(at).node;
      if (n.type != file_type::directory)
        return source_.note(make_error_code(std::errc::not_a_directory),
                            std::string(path) + ": a component is not a directory");
      auto e = find_entry(n, name);
      if (e == n.entries.end())
        return source_.note(make_error_code(std::errc::no_such_file_or_directory),
                            std::string(path) + ": no such file or directory");
      if (!nodes_.count(e->inum))
        return source_.note(make_error_code(errc::dangling_link),
                            std::string(path) + ": the entry names inode " +
                                std::to_string(e->inum) + ", which is not in the inode map");
      at = e->inum;
    }
    return at;
  }

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
  result<std::vector<dir_entry>> list(std::string_view path) {
    auto n = lookup(path);
    if (!n) return fail(n.error());
    const auto& node = nodes_.at(*n).node;
    if (node.type != file_type::directory)
      return source_.note(make_error_code(std::errc::not_a_directory),
                          std::string(path) + ": not a directory");
    return node.entries;
  }

  // The target of the symlink at PATH.
  // Fails: lookup's errors, std::errc::invalid_argument.
  result<std::string> readlink(std::string_view path) {
    auto n = lookup(path);
    if (!n) return fail(n.error());
    const auto& node = nodes_.at(*n).node;
    if (node.type != file_type::symlink)
      return source_.note(make_error_code(std::errc::invalid_argument),
                          std::string(path) + ": not a symbolic link");
    return node.target;
  }

  // Reads LENGTH bytes at OFFSET of regular file INUM (clamped to its size),
  // unflushed changes included; holes read as zeros; stored blocks are fetched in
  // one batch.
  // Fails: std::errc::no_such_file_or_directory, std::errc::is_a_directory, errc::invalid_argument
  // (not a regular file), fetch errors.
  result<bytes> read(std::uint64_t inum, std::uint64_t offset = 0,
                     std::uint64_t length = whole_object) {
    auto s = regular(inum);
    if (!s) return fail(s.error());
    const node_state& n = **s;
    const std::uint64_t size = n.node.size;
    if (offset >= size) return bytes{};
    const std::uint64_t end = size - offset < length ? size : offset + length;
    const std::uint64_t first = offset / block_size, last = (end - 1) / block_size;
    std::vector<fetch_request> rqs;
    for (std::uint64_t i = first; i <= last; ++i)
      if (n.blocks[i].stored()) rqs.push_back(block_request(inum, n, i));
    auto items = source_.fetch(rqs);
    if (!items) return fail(items.error());
    bytes out(end - offset);
    std::size_t k = 0;
    for (std::uint64_t i = first; i <= last; ++i) {
      const auto& b = n.blocks[i];
      byte_view content;
      if (b.data) {
        content = *b.data;
      } else if (b.stored()) {
        content = (*items)[k].view().payload();
        if (content.size() != block_length(size, i))
          return wrong_length(rqs[k], content.size(), size);
        ++k;
      } else {
        continue;  // a hole: zeros
      }
      const std::uint64_t start = i * block_size;
      const std::uint64_t from = std::max(offset, start);
      const std::uint64_t to = std::min(end, start + content.size());
      std::copy(content.begin() + static_cast<std::ptrdiff_t>(from - start),
                content.begin() + static_cast<std::ptrdiff_t>(to - start),
                out.begin() + static_cast<std::ptrdiff_t>(from - offset));
    }
    return out;
  }

  // Reads the whole regular file at PATH (see read).
  result<bytes> read(std::string_view path) {
    auto n = lookup(path);
    if (!n) return fail(n.error());
    return read(*n);
  }

  // ---- changes (in memory until flush) ----

  // Creates an empty regular file at PATH with permission bits MODE.
  // Fails: std::errc::no_such_file_or_directory / std::errc::not_a_directory (parent),
  // std::errc::file_exists, errc::invalid_argument (an empty or invalid name).
  result<std::uint64_t> create(std::string_view path, std::uint32_t mode = 0644) {
    return make_node(path, file_type::regular, mode, {});
  }

  // Creates an empty directory at PATH (see create).
  result<std::uint64_t> mkdir(std::string_view path, std::uint32_t mode = 0755) {
    return make_node(path, file_type::directory, mode, {});
  }

  // Creates a symlink at PATH pointing at TARGET (see create; TARGET must be
  // non-empty and hold no NUL, errc::invalid_argument).
  result<std::uint64_t> symlink(std::string_view path, std::string_view target) {
    if (target.empty() || target.find('\0') != target.npos)
      return source_.note(make_error_code(errc::invalid_argument), "invalid symlink target");
    return make_node(path, file_type::symlink, 0777, target);
  }

  // Writes DATA at OFFSET of regular file INUM, extending it if needed (a gap
  // becomes holes). Blocks written only in part are read first.
  // Fails: std::errc::no_such_file_or_directory, std::errc::is_a_directory, errc::invalid_argument
  // (not regular, or past max_file_size), fetch errors (nothing is changed then).
  result<void> write(std::uint64_t inum, std::uint64_t offset, byte_view data) {
    auto s = regular(inum);
    if (!s) return fail(s.error());
    node_state& n = **s;
    if (offset > max_file_size || data.size() > max_file_size - offset)
      return source_.note(make_error_code(errc::invalid_argument), "write past the largest file");
    if (data.empty()) return {};
    const std::uint64_t end = offset + data.size();
    const std::uint64_t first = offset / block_size, last = (end - 1) / block_size;
    // Blocks written in part need their old contents: fetch them before changing anything.
    std::vector<std::uint64_t> partial;
    for (auto i : {first, last}) {
      if (i >= n.blocks.size() || !n.blocks[i].stored()) continue;
      const std::uint64_t start = i * block_size;
      if (offset > start || end < start + block_length(n.node.size, i))
        if (partial.empty() || partial.back() != i) partial.push_back(i);
    }
    CLOUDLOG_TRY_VOID(materialize(inum, n, partial));
    if (end > n.node.size) CLOUDLOG_TRY_VOID(resize(inum, n, end));
    for (std::uint64_t i = first; i <= last; ++i) {
      const std::uint64_t start = i * block_size;
      const std::uint64_t len = block_length(n.node.size, i);
      const std::uint64_t from = std::max(offset, start), to = std::min(end, start + len);
      auto& b = n.blocks[i];
      if (from == start && to == start + len) {
        b.data.emplace(data.begin() + static_cast<std::ptrdiff_t>(from - offset),
                       data.begin() + static_cast<std::ptrdiff_t>(to - offset));
      } else {
        if (!b.data) b.data.emplace(len, std::byte{0});  // a hole (stored ones are materialized)
        std::copy(data.begin() + static_cast<std::ptrdiff_t>(from - offset),
                  data.begin() + static_cast<std::ptrdiff_t>(to - offset),
                  b.data->begin() + static_cast<std::ptrdiff_t>(from - start));
      }
      b.id = {};
      b.where.reset();
    }
    touch(n);
    return {};
  }

  // Writes DATA at OFFSET of the regular file at PATH (see write).
  result<void> write(std::string_view path, std::uint64_t offset, byte_view data) {
    auto n = lookup(path);
    if (!n) return fail(n.error());
    return write(*n, offset, data);
  }

  // Sets the size of regular file INUM to SIZE: shrinking drops whole blocks and
  // cuts the new last block; growing pads the old last block with zeros and adds
  // holes.
  // Fails: as write.
  result<void> truncate(std::uint64_t inum, std::uint64_t size) {
    auto s = regular(inum);
    if (!s) return fail(s.error());
    if (size > max_file_size)
      return source_.note(make_error_code(errc::invalid_argument), "size past the largest file");
    if (size == (*s)->node.size) return {};
    CLOUDLOG_TRY_VOID(resize(inum, **s, size));
    touch(**s);
    return {};
  }

  // Truncates the regular file at PATH (see truncate).
  result<void> truncate(std::string_view path, std::uint64_t size) {
    auto n = lookup(path);
    if (!n) return fail(n.error());
    return truncate(*n, size);
  }

  // Removes the file, symlink or empty directory at PATH: its name from its
  // directory and its inode from the inode map.
  // Fails: lookup's errors, std::errc::directory_not_empty, errc::invalid_argument (the root).
  result<void> remove(std::string_view path) {
    auto comps = path_components(path);
    if (comps.empty())
      return source_.note(make_error_code(errc::invalid_argument), "cannot remove the root");
    auto parent = parent_of(path);
    if (!parent) return fail(parent.error());
    auto& dir = nodes_.at(*parent);
    auto e = find_entry(dir.node, comps.back());
    if (e == dir.node.entries.end())
      return source_.note(make_error_code(std::errc::no_such_file_or_directory),
                          std::string(path) + ": no such file or directory");
    const auto child = e->inum;
    auto it = nodes_.find(child);
    if (it != nodes_.end() && it->second.node.type == file_type::directory &&
        !it->second.node.entries.empty())
      return source_.note(make_error_code(std::errc::directory_not_empty),
                          std::string(path) + ": not empty");
    dir.node.entries.erase(e);
    touch(dir);
    if (it != nodes_.end()) nodes_.erase(it);
    dirty_ranges_.insert(range_of(child));
    return {};
  }

  // ---- persistence ----

  // True when there are changes flush() would write.
  bool dirty() const {
    if (checkpoint_dirty_ || !dirty_ranges_.empty()) return true;
    return std::any_of(nodes_.begin(), nodes_.end(), [](const auto& p) { return p.second.dirty; });
  }

  // Writes every change as new directory-0 segments (see the class comment) and
  // makes them the current state. A no-op when nothing is dirty.
  // Fails: store write errors, errc::crypto_failure, errc::size_overflow. On
  // failure the in-memory state is unchanged (still dirty) and the next flush
  // reuses the same segment names; segments already uploaded are unreferenced.
  result<flush_report> flush() {
    flush_report rep;
    if (!dirty()) return rep;
    segment_writer w(*this, rep);
    std::vector<std::pair<std::uint64_t, item_ref>> new_inodes;
    std::vector<std::pair<std::pair<std::uint64_t, std::uint64_t>, item_ref>> new_blocks;
    std::set<std::uint64_t> ranges = dirty_ranges_;
    for (auto& [inum, s] : nodes_) {
      if (!s.dirty) continue;
      std::vector<item_link> links;
      links.reserve(s.blocks.size());
      for (std::uint64_t i = 0; i < s.blocks.size(); ++i) {
        const auto& b = s.blocks[i];
        if (b.data) {
          auto ref = w.append(item_type::data, inum, *b.data, {});
          if (!ref) return fail_flush(ref.error());
          new_blocks.push_back({{inum, i}, *ref});
          links.push_back({ref->id, ref->where});
        } else {
          links.push_back({b.id, b.where});
        }
      }
      auto ref = w.append(item_type::inode, inum, encode_inode(s.node), links);
      if (!ref) return fail_flush(ref.error());
      new_inodes.push_back({inum, *ref});
      ranges.insert(range_of(inum));
    }
    auto ref_of = [&](std::uint64_t inum) {
      auto it = std::lower_bound(new_inodes.begin(), new_inodes.end(), inum,
                                 [](const auto& p, std::uint64_t n) { return p.first < n; });
      if (it != new_inodes.end() && it->first == inum) return it->second;
      return *nodes_.at(inum).self;
    };
    std::map<std::uint64_t, std::optional<item_ref>> new_ranges;
    for (auto m : ranges) {
      std::vector<std::uint64_t> inums;
      std::vector<item_link> links;
      for (auto it = nodes_.lower_bound(m * range_size);
           it != nodes_.end() && it->first < (m + 1) * range_size; ++it) {
        inums.push_back(it->first);
        const auto r = ref_of(it->first);
        links.push_back({r.id, r.where});
      }
      if (inums.empty()) {
        new_ranges[m] = std::nullopt;
        continue;
      }
      auto ref = w.append(item_type::inode_map, 0, encode_imap_block(inums), links);
      if (!ref) return fail_flush(ref.error());
      new_ranges[m] = *ref;
    }
    auto all_ranges = ranges_;
    for (const auto& [m, r] : new_ranges) {
      if (r)
        all_ranges[m] = *r;
      else
        all_ranges.erase(m);
    }
    checkpoint cp;
    if (merged_) cp.version_vector.push_back({1, *merged_});
    std::vector<item_link> cp_links;
    for (const auto& [m, r] : all_ranges) {
      cp.ranges.push_back({m * range_size, m * range_size + range_size - 1});
      cp_links.push_back({r.id, r.where});
    }
    if (auto ref = w.append(item_type::checkpoint, 0, encode_checkpoint(cp), cp_links); !ref)
      return fail_flush(ref.error());
    if (auto ok = w.finish(); !ok) return fail_flush(ok.error());
    // Everything is durable: adopt the new state.
    for (const auto& [key, ref] : new_blocks) {
      auto& b = nodes_.at(key.first).blocks[key.second];
      b.id = ref.id;
      b.where = ref.where;
      b.data.reset();
    }
    for (const auto& [inum, ref] : new_inodes) {
      auto& s = nodes_.at(inum);
      s.self = ref;
      s.dirty = false;
    }
    ranges_ = std::move(all_ranges);
    dirty_ranges_.clear();
    checkpoint_dirty_ = false;
    foreign_ranges_ = false;
    next_seq_ = w.next_sequence();
    totals_.segments += rep.segments;
    totals_.bytes += rep.bytes;
    totals_.data_items += rep.data_items;
    totals_.inode_items += rep.inode_items;
    totals_.imap_items += rep.imap_items;
    totals_.checkpoints += rep.checkpoints;
    return rep;
  }

  // The sequence the next directory-0 segment will get.
  std::uint32_t next_sequence() const noexcept { return next_seq_; }
  // The latest cleaner sequence merged (the version-vector entry for directory 1).
  std::optional<std::uint32_t> merged_cleaner_sequence() const noexcept { return merged_; }
  // Everything flushed since open.
  const flush_report& totals() const noexcept { return totals_; }
  // The text of the last failure (what, where, why).
  const std::string& last_error() const noexcept { return source_.last_error(); }
  // The item source (the store and the cipher).
  item_source<Store, Cipher>& source() noexcept { return source_; }

 private:
  friend result<merge_report> merge_cleaner_output<Store, Cipher>(filesystem&);
  friend result<merge_plan> detail::plan_merge<Store, Cipher>(filesystem&, const root&,
                                                              std::vector<std::string>&);
  friend result<std::set<std::uint64_t>> detail::check_blocks<Store, Cipher>(
      filesystem&, merge_plan&, std::vector<std::string>&);
  friend result<std::set<location>> detail::update_quarantine<Store, Cipher>(
      filesystem&, const std::vector<location>&);

  // Applies PLAN (merge_cleaner_output) and records cleaner sequence SEQ as merged;
  // the next flush writes them. undo_merge() puts back every field it changed.
  result<void> apply_merge(const merge_plan& plan, std::uint32_t seq) {
    undo_ = undo_log{merged_, checkpoint_dirty_, dirty_ranges_, {}, {}, {}};
    for (const auto& a : plan.blocks) {
      auto& b = nodes_.at(a.inum).blocks[a.index];
      undo_->blocks.push_back({a.inum, a.index, b.where});
      b.where = a.ref.where;
    }
    for (const auto& [inum, ref] : plan.inodes) {
      auto& s = nodes_.at(inum);
      undo_->selves.push_back({inum, s.self});
      s.self = ref;
      dirty_ranges_.insert(range_of(inum));
    }
    for (auto inum : plan.touched) {
      auto& s = nodes_.at(inum);
      undo_->dirty.push_back({inum, s.dirty});
      s.dirty = true;
    }
    merged_ = seq;
    checkpoint_dirty_ = true;
    return {};
  }

  // Undoes the last apply_merge (after its flush failed).
  void undo_merge() {
    if (!undo_) return;
    for (const auto& b : undo_->blocks) nodes_.at(b.inum).blocks[b.index].where = b.where;
    for (const auto& [inum, d] : undo_->dirty) nodes_.at(inum).dirty = d;
    for (const auto& [inum, self] : undo_->selves) nodes_.at(inum).self = self;
    dirty_ranges_ = std::move(undo_->dirty_ranges);
    merged_ = undo_->merged;
    checkpoint_dirty_ = undo_->checkpoint_dirty;
    undo_.reset();
  }

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
  class segment_writer {
   public:
    segment_writer(filesystem& fs, flush_report& rep)
        : fs_(fs), rep_(rep), seq_(fs.next_seq_), buf_(fs.segment_buffer_) {
      buf_.clear();
    }

    result<item_ref> append(item_type type, std::uint64_t inum, byte_view payload,
                            const std::vector<item_link>& links) {
      auto id = random_object_id();
      if (!id) return fail(id.error());
      item<layout> it;
      it.header.magic = magic_plain;
      it.header.type = type_byte(type);
      it.header.id = *id;
      it.header.inum = inum;
      it.payload.assign(payload.begin(), payload.end());
      it.links = links;
      const auto at = buf_.size();
      if (at > std::numeric_limits<std::uint32_t>::max()) return fail(errc::size_overflow);
      CLOUDLOG_TRY_VOID(append_item(buf_, it));
      CLOUDLOG_TRY_VOID(fs_.source_.cipher_ref().seal(mutable_byte_view(buf_).subspan(at)));
      const location where{0, seq_, static_cast<std::uint32_t>(at),
                           static_cast<std::uint32_t>(buf_.size() - at)};
      switch (type) {
        case item_type::data:
          ++rep_.data_items;
          break;
        case item_type::inode:
          ++rep_.inode_items;
          break;
        case item_type::inode_map:
          ++rep_.imap_items;
          break;
        case item_type::checkpoint:
          ++rep_.checkpoints;
          break;
      }
      if (buf_.size() > fs_.opt_.segment_target) CLOUDLOG_TRY_VOID(upload());
      return item_ref{*id, where};
    }

    result<void> finish() {
      if (!buf_.empty()) return upload();
      return {};
    }

    std::uint32_t next_sequence() const noexcept { return seq_; }

   private:
    result<void> upload() {
      auto name = segment_name({0, seq_});
      if (!name) return fail(name.error());
      if (auto ok = fs_.source_.store().write(*name, buf_); !ok) {
        fs_.source_.note(ok.error(), "cannot write " + *name + ": " + ok.error().message());
        return fail(ok.error());
      }
      ++rep_.segments;
      rep_.bytes += buf_.size();
      ++seq_;
      buf_.clear();
      return {};
    }

    filesystem& fs_;
    flush_report& rep_;
    std::uint32_t seq_;
    bytes& buf_;  // the filesystem's, reused: no fresh pages to fault in per flush
  };

  filesystem(Store& store, const Cipher& c, filesystem_options opt)
      : source_(store, c), opt_(opt) {}

  static result<filesystem> open_with(Store& store, const Cipher& c, filesystem_options opt,
                                      const root_rule& rule, std::string* why) {
    filesystem fs(store, c, opt);
    auto ok = fs.load(rule);
    if (!ok) {
      if (why) *why = fs.last_error();
      return fail(ok.error());
    }
    return fs;
  }

  result<void> load(const root_rule& rule) {
    auto newest = newest_segment(source_.store(), proxy_directory);
    if (!newest) return source_.note(newest.error(), "cannot list the store");
    if (!*newest) {
      const auto now = now_us();
      node_state root;
      root.node.type = file_type::directory;
      root.node.mode = 0755;
      root.node.inum = root_inum;
      root.node.atime = root.node.ctime = root.node.mtime = root.node.ntime = now;
      root.dirty = true;
      nodes_.emplace(root_inum, std::move(root));
      next_inum_ = root_inum + 1;
      return {};
    }
    std::string why;
    auto r = reader<Store, Cipher>::open(source_.store(), source_.cipher_ref(), &why, rule);
    if (!r) return source_.note(r.error(), why);
    skipped_ = r->found().skipped;
    checkpoint_dirty_ = !skipped_.empty();
    const auto& rt = r->current_root();
    merged_ = rt.payload.version_of(1);
    next_seq_ = (*newest)->id.sequence + 1;  // after every segment, orphans of a crash too
    for (std::size_t i = 0; i < rt.payload.ranges.size(); ++i) {
      const auto& range = rt.payload.ranges[i];
      if (range.start % range_size == 0 && range.end == range.start + range_size - 1)
        ranges_[range_of(range.start)] = rt.imap_refs[i];
      else
        foreign_ranges_ = true;  // re-partition on the next flush
    }
    std::vector<std::uint64_t> inums;
    for (const auto& [n, ref] : r->inode_map()) inums.push_back(n);
    auto recs = r->load_inodes(inums);
    if (!recs) return source_.note(recs.error(), r->last_error());
    for (auto& rec : *recs) {
      node_state s;
      s.self = rec.self;
      s.blocks.reserve(rec.blocks.size());
      for (const auto& l : rec.blocks) s.blocks.push_back(block_slot{l.id, l.where, std::nullopt});
      s.node = std::move(rec.node);
      nodes_.emplace(s.node.inum, std::move(s));
    }
    if (!nodes_.count(root_inum) || nodes_.at(root_inum).node.type != file_type::directory)
      return source_.note(make_error_code(errc::corrupt_payload),
                          "the inode map has no root directory (inode 1)");
    next_inum_ = nodes_.rbegin()->first + 1;
    if (foreign_ranges_)
      for (const auto& [n, s] : nodes_) dirty_ranges_.insert(range_of(n));
    return {};
  }

  static std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  static auto find_entry(const inode& dir, std::string_view name) {
    return std::find_if(dir.entries.begin(), dir.entries.end(),
                        [&](const dir_entry& d) { return d.name == name; });
  }
  static auto find_entry(inode& dir, std::string_view name) {
    return std::find_if(dir.entries.begin(), dir.entries.end(),
                        [&](const dir_entry& d) { return d.name == name; });
  }

  void touch(node_state& s) {
    s.node.change_count++;
    s.node.mtime = s.node.ctime = now_us();
    s.dirty = true;
  }

  result<node_state*> regular(std::uint64_t inum) {
    auto it = nodes_.find(inum);
    if (it == nodes_.end())
      return source_.note(make_error_code(std::errc::no_such_file_or_directory),
                          "inode " + std::to_string(inum) + " does not exist");
    if (it->second.node.type == file_type::directory)
      return source_.note(make_error_code(std::errc::is_a_directory),
                          "inode " + std::to_string(inum) + " is a directory");
    if (it->second.node.type != file_type::regular)
      return source_.note(make_error_code(errc::invalid_argument),
                          "inode " + std::to_string(inum) + " is not a regular file");
    return &it->second;
  }

  static fetch_request block_request(std::uint64_t inum, const node_state& n, std::uint64_t i) {
    return {{n.blocks[i].id, *n.blocks[i].where}, item_type::data, inum, i};
  }

  tl::unexpected<std::error_code> wrong_length(const fetch_request& rq, std::size_t got,
                                               std::uint64_t size) {
    return source_.note(make_error_code(errc::corrupt_payload),
                        describe(rq) + " at " + segment_name_of(rq.ref.where) + " @" +
                            std::to_string(rq.ref.where.offset) + ": holds " + std::to_string(got) +
                            " bytes, expected " + std::to_string(block_length(size, rq.index)));
  }

  // Turns the stored blocks WHICH of N into dirty contents (one batch of reads).
  result<void> materialize(std::uint64_t inum, node_state& n,
                           std::span<const std::uint64_t> which) {
    std::vector<fetch_request> rqs;
    for (auto i : which)
      if (n.blocks[i].stored()) rqs.push_back(block_request(inum, n, i));
    if (rqs.empty()) return {};
    auto items = source_.fetch(rqs);
    if (!items) return fail(items.error());
    for (std::size_t k = 0; k < rqs.size(); ++k) {
      const auto payload = (*items)[k].view().payload();
      if (payload.size() != block_length(n.node.size, rqs[k].index))
        return wrong_length(rqs[k], payload.size(), n.node.size);
    }
    for (std::size_t k = 0; k < rqs.size(); ++k) {
      const auto payload = (*items)[k].view().payload();
      n.blocks[rqs[k].index].data.emplace(payload.begin(), payload.end());
    }
    return {};
  }

  // Sets N's size to SIZE, keeping every block's contents at its expected length.
  result<void> resize(std::uint64_t inum, node_state& n, std::uint64_t size) {
    const std::uint64_t old = n.node.size;
    const std::uint64_t old_count = block_count(old), new_count = block_count(size);
    // The one block whose length changes without being dropped: the old last one
    // when growing, the new last one when shrinking.
    std::optional<std::uint64_t> edge;
    if (size > old && old_count > 0 && old % block_size != 0) edge = old_count - 1;
    if (size < old && new_count > 0 && size % block_size != 0) edge = new_count - 1;
    if (edge) {
      const std::uint64_t e = *edge;
      CLOUDLOG_TRY_VOID(materialize(inum, n, std::span<const std::uint64_t>(&e, 1)));
    }
    n.blocks.resize(new_count);
    n.node.size = size;
    if (edge) {
      auto& b = n.blocks[*edge];
      if (b.data) {
        b.data->resize(block_length(size, *edge), std::byte{0});
        b.id = {};
        b.where.reset();
      }
    }
    return {};
  }

  result<std::uint64_t> parent_of(std::string_view path) {
    auto comps = path_components(path);
    std::string parent;
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) (parent += '/') += comps[i];
    auto p = lookup(parent);
    if (!p) return fail(p.error());
    if (nodes_.at(*p).node.type != file_type::directory)
      return source_.note(make_error_code(std::errc::not_a_directory),
                          std::string(path) + ": the parent is not a directory");
    return *p;
  }

  result<std::uint64_t> make_node(std::string_view path, file_type type, std::uint32_t mode,
                                  std::string_view target) {
    auto comps = path_components(path);
    if (comps.empty() || !detail::valid_entry_name(comps.back()))
      return source_.note(make_error_code(errc::invalid_argument), "invalid path");
    auto parent = parent_of(path);
    if (!parent) return fail(parent.error());
    auto& dir = nodes_.at(*parent);
    if (find_entry(dir.node, comps.back()) != dir.node.entries.end())
      return source_.note(make_error_code(std::errc::file_exists),
                          std::string(path) + ": already exists");
    auto cookie = new_cookie(dir.node);
    if (!cookie) return fail(cookie.error());
    const auto inum = next_inum_++;
    node_state s;
    s.node.type = type;
    s.node.mode = mode;
    s.node.uid = opt_.uid;
    s.node.gid = opt_.gid;
    s.node.nlink = 1;
    s.node.inum = inum;
    s.node.atime = s.node.ctime = s.node.mtime = s.node.ntime = now_us();
    s.node.target = std::string(target);
    s.dirty = true;
    nodes_.emplace(inum, std::move(s));
    dir_entry e{*cookie, inum, std::string(comps.back())};
    auto at = std::lower_bound(dir.node.entries.begin(), dir.node.entries.end(), e.cookie,
                               [](const dir_entry& d, std::uint32_t c) { return d.cookie < c; });
    dir.node.entries.insert(at, std::move(e));
    touch(dir);
    return inum;
  }

  // A random 31-bit cookie >= 4, unused in DIR (as the original draws them).
  static result<std::uint32_t> new_cookie(const inode& dir) {
    for (;;) {
      std::array<std::byte, 4> r;
      CLOUDLOG_TRY_VOID(random_bytes(r));
      const std::uint32_t c = load_le<std::uint32_t>(r.data()) & 0x7fffffff;
      if (c < 4) continue;
      if (std::none_of(dir.entries.begin(), dir.entries.end(),
                       [&](const dir_entry& d) { return d.cookie == c; }))
        return c;
    }
  }

  tl::unexpected<std::error_code> fail_flush(std::error_code ec) {
    if (source_.last_error().empty()) source_.note(ec, "flush failed: " + ec.message());
    return fail(ec);
  }

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

#endif  // CLOUDLOG_FORMATS_BLUESKY_FILESYSTEM_HPP
