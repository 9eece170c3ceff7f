// SPDX-License-Identifier: BSL-1.0
// The persistence of bluesky::filesystem: open, recovery, flush as directory-0
// segments, and the merge's apply and undo (contract: formats/bluesky/filesystem.hpp).
#ifndef CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_PERSISTENCE_HPP
#define CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_PERSISTENCE_HPP

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"

namespace cloudlog::bluesky {

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<filesystem<Store, Cipher>> filesystem<Store, Cipher>::recover_to(
    Store& store, const Cipher& c, std::uint32_t sequence, filesystem_options opt) {
  auto fs = open_with(store, c, opt, root_rule{opt.segment_target, sequence});
  if (!fs) return fail(std::move(fs.error()));
  fs->checkpoint_dirty_ = true;
  if (auto f = fs->flush(); !f) return fail(std::move(f.error()));
  return fs;
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<flush_report> filesystem<Store, Cipher>::flush() {
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
        if (!ref) return fail_flush(std::move(ref.error()));
        new_blocks.push_back({{inum, i}, *ref});
        links.push_back({ref->id, ref->where});
      } else {
        links.push_back({b.id, b.where});
      }
    }
    auto ref = w.append(item_type::inode, inum, encode_inode(s.node), links);
    if (!ref) return fail_flush(std::move(ref.error()));
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
    if (!ref) return fail_flush(std::move(ref.error()));
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
  if (merged_) cp.version_vector.push_back({cleaner_directory, *merged_});
  std::vector<item_link> cp_links;
  for (const auto& [m, r] : all_ranges) {
    cp.ranges.push_back({m * range_size, m * range_size + range_size - 1});
    cp_links.push_back({r.id, r.where});
  }
  if (auto ref = w.append(item_type::checkpoint, 0, encode_checkpoint(cp), cp_links); !ref)
    return fail_flush(std::move(ref.error()));
  if (auto ok = w.finish(); !ok) return fail_flush(std::move(ok.error()));
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

template <segment_store Store, cloudlog::cipher Cipher>
result<void> filesystem<Store, Cipher>::apply_merge(const merge_plan& plan, std::uint32_t seq) {
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

template <segment_store Store, cloudlog::cipher Cipher>
void filesystem<Store, Cipher>::undo_merge() {
  if (!undo_) return;
  for (const auto& b : undo_->blocks) nodes_.at(b.inum).blocks[b.index].where = b.where;
  for (const auto& [inum, d] : undo_->dirty) nodes_.at(inum).dirty = d;
  for (const auto& [inum, self] : undo_->selves) nodes_.at(inum).self = self;
  dirty_ranges_ = std::move(undo_->dirty_ranges);
  merged_ = undo_->merged;
  checkpoint_dirty_ = undo_->checkpoint_dirty;
  undo_.reset();
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<filesystem<Store, Cipher>> filesystem<Store, Cipher>::open_with(
    Store& store, const Cipher& c, filesystem_options opt, const root_rule& rule) {
  filesystem fs(store, c, opt);
  if (auto ok = fs.load(rule); !ok) return fail(std::move(ok.error()));
  return fs;
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<void> filesystem<Store, Cipher>::load(const root_rule& rule) {
  auto newest = newest_segment(source_.store(), proxy_directory);
  if (!newest) return fail_with(newest.error(), "cannot list the store");
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
  auto r = reader<Store, Cipher>::open(source_.store(), source_.cipher_ref(), rule);
  if (!r) return fail(std::move(r.error()));
  skipped_ = r->found().skipped;
  checkpoint_dirty_ = !skipped_.empty();
  const auto& rt = r->current_root();
  merged_ = rt.payload.version_of(cleaner_directory);
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
  if (!recs) return fail(std::move(recs.error()));
  for (auto& rec : *recs) {
    node_state s;
    s.self = rec.self;
    s.blocks.reserve(rec.blocks.size());
    for (const auto& l : rec.blocks) s.blocks.push_back(block_slot{l.id, l.where, std::nullopt});
    s.node = std::move(rec.node);
    nodes_.emplace(s.node.inum, std::move(s));
  }
  if (!nodes_.count(root_inum) || nodes_.at(root_inum).node.type != file_type::directory)
    return fail_with(make_error_code(errc::corrupt_payload),
                     "the inode map has no root directory (inode 1)");
  next_inum_ = nodes_.rbegin()->first + 1;
  if (foreign_ranges_)
    for (const auto& [n, s] : nodes_) dirty_ranges_.insert(range_of(n));
  return {};
}

template <segment_store Store, cloudlog::cipher Cipher>
tl::unexpected<error_info> filesystem<Store, Cipher>::fail_flush(error_info e) {
  if (e.what.empty()) e.what = "flush failed: " + e.code.message();
  return fail(std::move(e));
}

template <segment_store Store, cloudlog::cipher Cipher>
class filesystem<Store, Cipher>::segment_writer {
 public:
  segment_writer(filesystem& fs, flush_report& rep)
      : fs_(fs), rep_(rep), seq_(fs.next_seq_), buf_(fs.segment_buffer_) {
    buf_.clear();
  }

  // Fails: the upload's errors (with their text), sealing and framing errors.
  result_with_info<item_ref> append(item_type type, std::uint64_t inum, byte_view payload,
                                    const std::vector<item_link>& links) {
    auto it = new_item(type, inum, bytes(payload.begin(), payload.end()), links);
    if (!it) return fail(it.error());
    const auto at = buf_.size();
    if (at > std::numeric_limits<std::uint32_t>::max()) return fail(errc::size_overflow);
    CLOUDLOG_TRY_VOID(append_item(buf_, *it));
    CLOUDLOG_TRY_VOID(fs_.source_.cipher_ref().seal(mutable_byte_view(buf_).subspan(at)));
    const location where{proxy_directory, seq_, static_cast<std::uint32_t>(at),
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
    if (buf_.size() > fs_.opt_.segment_target)
      if (auto ok = upload(); !ok) return fail(std::move(ok.error()));
    return item_ref{it->header.id, where};
  }

  result_with_info<void> finish() {
    if (!buf_.empty()) return upload();
    return {};
  }

  std::uint32_t next_sequence() const noexcept { return seq_; }

 private:
  result_with_info<void> upload() {
    auto name = segment_name({proxy_directory, seq_});
    if (!name) return fail(name.error());
    if (auto ok = fs_.source_.store().write(*name, buf_); !ok)
      return fail_with(ok.error(), "cannot write " + *name + ": " + ok.error().message());
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

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_PERSISTENCE_HPP
