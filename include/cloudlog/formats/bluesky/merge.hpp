// The proxy adopting the cleaner's output: the merge of spec section 7, without
// the original's bugs (docs/format.md, section 12).
#ifndef CLOUDLOG_FORMATS_BLUESKY_MERGE_HPP
#define CLOUDLOG_FORMATS_BLUESKY_MERGE_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/item_source.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::bluesky {

// Merges the cleaner's newest output into FS, then flushes so the acknowledgement
// is durable. Steps:
//  1. The newest directory-1 segment must exist, have a sequence greater than the
//     latest merged one (any, on the first merge: no unsigned -1 comparison), and
//     end with a CHECKPOINT item (else the cleaner is still writing): otherwise
//     nothing happens (report.merged == false, nothing is written).
//  2. Every inode-map block that checkpoint links to, and every inode those link
//     to, is loaded unless it is in directory 0 or in a directory-1 segment at or
//     below the latest merged sequence (already known). Inodes no longer in FS's
//     inode map are ignored (deleted since).
//  3. Per-block id match: for a regular file, block i adopts the cleaner's
//     location only if FS currently has block i stored (not dirty, not a hole) and
//     the cleaner's link i is non-null with the same id. Null links are handled
//     (never read as locations). Each adopted DATA item is fetched and opened
//     first: with a key its tag must verify (DATA/INODE tag failures are enforced),
//     and it must be the item its link names. Any failure aborts the merge with
//     nothing adopted or acknowledged.
//  4. An inode loaded from the cleaner whose copy is the proxy's current version
//     (same id, not dirty, the same block ids link for link) is adopted where the
//     cleaner put it (the original never adopted INODE items, which made every
//     merge re-dirty the proxy's newest segments); every other one is
//     re-serialized. The checkpoint's sequence becomes the merged cleaner
//     sequence, carried in every later checkpoint as the version-vector entry
//     (1, seq); then FS is flushed (re-serialized inodes, new inode-map blocks,
//     the checkpoint).
// Dirty changes in FS are flushed along with the merge.
// Fails: store and fetch errors, errc::bad_tag, errc::bad_key, errc::corrupt_payload
// and the other errors of the items read, flush errors; FS's last_error() says
// what and where. On failure FS's block locations and merged sequence are unchanged.
template <segment_store Store, cloudlog::cipher Cipher>
result<merge_report> merge_cleaner_output(filesystem<Store, Cipher>& fs) {
  merge_report rep;
  auto& source = fs.source_;
  auto newest = newest_segment(source.store(), 1);
  if (!newest) return source.note(newest.error(), "cannot list the cleaner's segments");
  if (!*newest) return rep;
  const std::uint32_t seq = (*newest)->id.sequence;
  if (fs.merged_ && seq <= *fs.merged_) return rep;
  auto data = source.store().read((*newest)->name, 0, whole_object);
  if (!data)
    return source.note(data.error(),
                       "cannot read " + (*newest)->name + ": " + data.error().message());
  auto items = parse_segment<layout>(*data);
  if (!items) return source.note(items.error(), "corrupt segment " + (*newest)->name);
  if (items->empty() || items->back().type() != type_byte(item_type::checkpoint)) return rep;

  auto cp = read_last_checkpoint(source, **newest);
  if (!cp) return fail(cp.error());
  const root& croot = **cp;

  const auto known = [&](const location& l) {
    return l.directory == 0 || (l.directory == 1 && fs.merged_ && l.sequence <= *fs.merged_);
  };

  std::vector<fetch_request> imap_rqs;
  std::vector<inode_range> imap_ranges;
  for (std::size_t i = 0; i < croot.imap_refs.size(); ++i) {
    if (known(croot.imap_refs[i].where)) continue;
    imap_rqs.push_back({croot.imap_refs[i], item_type::inode_map, 0, i});
    imap_ranges.push_back(croot.payload.ranges[i]);
  }
  auto imaps = source.fetch(imap_rqs);
  if (!imaps) return fail(imaps.error());
  std::map<std::uint64_t, item_ref> cleaner_map;
  for (std::size_t i = 0; i < imaps->size(); ++i)
    if (auto ok = decode_imap_item((*imaps)[i], imap_ranges[i], cleaner_map); !ok)
      return source.note(ok.error(), describe(imap_rqs[i]) + " at " +
                                         segment_name_of(imap_rqs[i].ref.where) + " @" +
                                         std::to_string(imap_rqs[i].ref.where.offset) +
                                         ": corrupt payload");

  std::vector<fetch_request> inode_rqs;
  for (const auto& [inum, ref] : cleaner_map)
    if (!known(ref.where) && fs.nodes_.count(inum))
      inode_rqs.push_back({ref, item_type::inode, inum, 0});
  auto inodes = source.fetch(inode_rqs);
  if (!inodes) return fail(inodes.error());

  struct adoption {
    std::uint64_t inum;
    std::uint64_t index;
    item_ref ref;
  };
  std::vector<adoption> adopt;
  std::vector<std::uint64_t> touched;
  std::vector<std::pair<std::uint64_t, item_ref>> adopt_inodes;
  for (std::size_t k = 0; k < inodes->size(); ++k) {
    const auto inum = inode_rqs[k].inum;
    const auto v = (*inodes)[k].view();
    const auto links = v.links();
    auto& s = fs.nodes_.at(inum);
    // The cleaner's copy is the proxy's current version of the inode (same id, not
    // dirty) and names the same block versions, link for link: adopt its location
    // instead of re-serializing it, so the segment the cleaner emptied dies whole
    // (re-serializing moved inodes back and forth between the two newest proxy
    // segments and kept a greedy cleaner from ever converging).
    bool same_version = !s.dirty && s.self && s.self->id == v.id();
    if (same_version && s.node.type == file_type::regular) {
      same_version = links.size() == s.blocks.size();
      for (std::size_t i = 0; same_version && i < links.size(); ++i) {
        const auto& b = s.blocks[i];
        same_version =
            links[i].is_null() ? (!b.data && b.id.is_null()) : (b.stored() && links[i].id == b.id);
      }
    } else if (same_version) {
      same_version = links.empty();
    }
    if (same_version)
      adopt_inodes.push_back({inum, item_ref{v.id(), inode_rqs[k].ref.where}});
    else
      touched.push_back(inum);
    if (s.node.type != file_type::regular) continue;
    const auto n = std::min<std::size_t>(links.size(), s.blocks.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto& b = s.blocks[i];
      if (!b.stored() || links[i].is_null() || links[i].id != b.id) continue;
      if (*links[i].where == *b.where) continue;
      adopt.push_back({inum, i, {links[i].id, *links[i].where}});
    }
  }

  std::vector<fetch_request> data_rqs;
  data_rqs.reserve(adopt.size());
  for (const auto& a : adopt) data_rqs.push_back({a.ref, item_type::data, a.inum, a.index});
  auto blocks = source.fetch(data_rqs);
  if (!blocks) return fail(blocks.error());
  for (std::size_t k = 0; k < adopt.size(); ++k) {
    const auto& s = fs.nodes_.at(adopt[k].inum);
    const auto got = (*blocks)[k].view().payload().size();
    if (got != block_length(s.node.size, adopt[k].index))
      return source.note(make_error_code(errc::corrupt_payload),
                         describe(data_rqs[k]) + " at " + segment_name_of(data_rqs[k].ref.where) +
                             ": holds " + std::to_string(got) + " bytes, not the block's length");
  }

  const auto saved_merged = fs.merged_;
  std::vector<std::pair<adoption, std::optional<location>>> undo;
  for (const auto& a : adopt) {
    auto& b = fs.nodes_.at(a.inum).blocks[a.index];
    undo.push_back({a, b.where});
    b.where = a.ref.where;
  }
  std::vector<std::pair<std::uint64_t, std::optional<item_ref>>> old_selves;
  const auto saved_dirty_ranges = fs.dirty_ranges_;
  for (const auto& [inum, ref] : adopt_inodes) {
    auto& s = fs.nodes_.at(inum);
    old_selves.push_back({inum, s.self});
    s.self = ref;
    fs.dirty_ranges_.insert(range_of(inum));
  }
  std::vector<std::pair<std::uint64_t, bool>> was_dirty;
  for (auto inum : touched) {
    auto& s = fs.nodes_.at(inum);
    was_dirty.push_back({inum, s.dirty});
    s.dirty = true;
  }
  fs.merged_ = seq;
  fs.checkpoint_dirty_ = true;
  auto flushed = fs.flush();
  if (!flushed) {
    for (const auto& [a, where] : undo) fs.nodes_.at(a.inum).blocks[a.index].where = where;
    for (const auto& [inum, d] : was_dirty) fs.nodes_.at(inum).dirty = d;
    for (const auto& [inum, self] : old_selves) fs.nodes_.at(inum).self = self;
    fs.dirty_ranges_ = saved_dirty_ranges;
    fs.merged_ = saved_merged;
    return fail(flushed.error());
  }
  rep.merged = true;
  rep.cleaner_sequence = seq;
  rep.blocks_adopted = adopt.size();
  rep.inodes_rewritten = touched.size();
  rep.inodes_adopted = adopt_inodes.size();
  rep.flush = *flushed;
  return rep;
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_MERGE_HPP
