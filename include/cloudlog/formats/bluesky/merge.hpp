// SPDX-License-Identifier: BSL-1.0
// The proxy adopting the cleaner's output: the merge of spec section 7, without
// the original's bugs (docs/format.md, section 12).
#ifndef CLOUDLOG_FORMATS_BLUESKY_MERGE_HPP
#define CLOUDLOG_FORMATS_BLUESKY_MERGE_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/item_source.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/formats/bluesky/quarantine.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/root.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::bluesky {

namespace detail {

// True for the failures of one item that say it is damaged or not where its link
// says (set aside by the merge); others (I/O, a missing key) stop it.
inline bool item_is_damaged(std::error_code ec) {
  for (auto c : {errc::short_header, errc::bad_magic, errc::section_overrun, errc::bad_link_id_size,
                 errc::bad_link_location_size, errc::size_overflow, errc::bad_tag,
                 errc::corrupt_payload, errc::dangling_link, errc::unexpected_type})
    if (ec == make_error_code(c)) return true;
  return false;
}

// Fetches REQUESTS item by item: damaged ones are added to REFUSED and left out
// (nullopt); any other failure stops the merge.
template <class Source>
result_with_info<std::vector<std::optional<opened_item>>> fetch_or_refuse(
    Source& source, const std::vector<fetch_request>& requests, std::vector<std::string>& refused) {
  std::vector<std::optional<opened_item>> out;
  out.reserve(requests.size());
  for (auto& o : source.fetch_each(requests)) {
    if (!o.item && !item_is_damaged(o.error.code)) return fail(std::move(o.error));
    if (!o.item) refused.push_back(std::move(o.error.what));
    out.push_back(std::move(o.item));
  }
  return out;
}

// Fetches and checks the cleaner's copies of the blocks PLAN would adopt: those
// that do not verify or are not the block's length are set aside (added to
// REFUSED and dropped from plan.blocks), and the proxy's own copies of those are
// read too: the ones damaged as well go to plan.damaged_in_place (the cleaner
// copied a damaged item, and must leave it where it is from now on: the
// quarantine record). Returns the inodes with a block set aside. Fails: store
// errors, errc::bad_key.
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::set<std::uint64_t>> check_blocks(filesystem<Store, Cipher>& fs,
                                                       merge_plan& plan,
                                                       std::vector<std::string>& refused) {
  auto& source = fs.source_;
  std::vector<fetch_request> data_rqs;
  data_rqs.reserve(plan.blocks.size());
  for (const auto& a : plan.blocks) data_rqs.push_back({a.ref, item_type::data, a.inum, a.index});
  auto blocks = fetch_or_refuse(source, data_rqs, refused);
  if (!blocks) return fail(std::move(blocks.error()));
  std::set<std::uint64_t> set_aside;
  std::vector<merge_plan::adoption> adopt;
  std::vector<fetch_request> own;  // the proxy's copies of the blocks set aside
  for (std::size_t k = 0; k < plan.blocks.size(); ++k) {
    const auto& a = plan.blocks[k];
    const auto& b = fs.nodes_.at(a.inum).blocks[a.index];
    bool ok = (*blocks)[k].has_value();
    if (ok && !block_payload(*(*blocks)[k], data_rqs[k], fs.nodes_.at(a.inum).node.size)) {
      refused.push_back(item_place(data_rqs[k]) + ": not the block's length");
      ok = false;
    }
    if (ok) {
      adopt.push_back(a);
    } else {
      set_aside.insert(a.inum);
      own.push_back({item_ref{b.id, *b.where}, item_type::data, a.inum, a.index});
    }
  }
  plan.blocks = std::move(adopt);
  auto each = source.fetch_each(own);
  for (std::size_t k = 0; k < each.size(); ++k) {
    if (each[k].item) continue;
    if (!item_is_damaged(each[k].error.code)) return fail(std::move(each[k].error));
    plan.damaged_in_place.push_back(own[k].ref.where);
  }
  return set_aside;
}

// Loads the cleaner's inode-map blocks and inodes of generation CROOT that FS does
// not know yet, and plans what to adopt (merge_cleaner_output, steps 2-4); damaged
// items go to REFUSED. Fails: store errors, errc::bad_key.
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<merge_plan> plan_merge(filesystem<Store, Cipher>& fs, const root& croot,
                                        std::vector<std::string>& refused) {
  auto& source = fs.source_;
  const auto known = [&](const location& l) {
    return l.directory == proxy_directory ||
           (l.directory == cleaner_directory && fs.merged_ && l.sequence <= *fs.merged_);
  };
  std::vector<fetch_request> imap_rqs;
  for (std::size_t i = 0; i < croot.imap_refs.size(); ++i)
    if (!known(croot.imap_refs[i].where))
      imap_rqs.push_back({croot.imap_refs[i], item_type::inode_map, 0, i});
  auto imaps = fetch_or_refuse(source, imap_rqs, refused);
  if (!imaps) return fail(std::move(imaps.error()));
  std::map<std::uint64_t, item_ref> cleaner_map;
  for (std::size_t i = 0; i < imaps->size(); ++i) {
    if (!(*imaps)[i]) continue;
    std::map<std::uint64_t, item_ref> block;
    if (decode_imap_item(*(*imaps)[i], croot.payload.ranges[imap_rqs[i].index], block))
      cleaner_map.merge(block);
    else
      refused.push_back(item_place(imap_rqs[i]) + ": corrupt payload");
  }

  std::vector<fetch_request> inode_rqs;
  for (const auto& [inum, ref] : cleaner_map)
    if (!known(ref.where) && fs.nodes_.count(inum))
      inode_rqs.push_back({ref, item_type::inode, inum, 0});
  auto inodes = fetch_or_refuse(source, inode_rqs, refused);
  if (!inodes) return fail(std::move(inodes.error()));

  merge_plan plan;
  std::vector<std::pair<std::uint64_t, item_ref>> same_version;
  for (std::size_t k = 0; k < inodes->size(); ++k) {
    if (!(*inodes)[k]) continue;
    const auto inum = inode_rqs[k].inum;
    const auto v = (*inodes)[k]->view();
    const auto links = v.links();
    const auto& s = fs.nodes_.at(inum);
    // The cleaner's copy is the proxy's current version of the inode (same id, not
    // dirty) and names the same block versions, link for link: adopt its location
    // instead of re-serializing it, so the segment the cleaner emptied dies whole
    // (re-serializing moved inodes back and forth between the two newest proxy
    // segments and kept a greedy cleaner from ever converging).
    bool same = !s.dirty && s.self && s.self->id == v.id();
    if (same && s.node.type == file_type::regular) {
      same = links.size() == s.blocks.size();
      for (std::size_t i = 0; same && i < links.size(); ++i) {
        const auto& b = s.blocks[i];
        same =
            links[i].is_null() ? (!b.data && b.id.is_null()) : (b.stored() && links[i].id == b.id);
      }
    } else if (same) {
      same = links.empty();
    }
    if (same)
      same_version.push_back({inum, item_ref{v.id(), inode_rqs[k].ref.where}});
    else
      plan.touched.push_back(inum);
    if (s.node.type != file_type::regular) continue;
    const auto n = std::min<std::size_t>(links.size(), s.blocks.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto& b = s.blocks[i];
      if (!b.stored() || links[i].is_null() || links[i].id != b.id) continue;
      if (*links[i].where == *b.where) continue;
      plan.blocks.push_back({inum, i, {links[i].id, *links[i].where}});
    }
  }

  auto set_aside = check_blocks(fs, plan, refused);
  if (!set_aside) return fail(std::move(set_aside.error()));
  for (const auto& [inum, ref] : same_version)
    if (set_aside->count(inum))
      plan.touched.push_back(inum);
    else
      plan.inodes.push_back({inum, ref});
  return plan;
}

// Rewrites the quarantine record (quarantine.hpp) of FS's store, after a merge
// applied to FS and before its flush: the recorded blocks FS still links to, plus
// DAMAGED (a block the user has rewritten or deleted since leaves the record).
// Returns the new record. Fails: store errors.
template <segment_store Store, cloudlog::cipher Cipher>
result<std::set<location>> update_quarantine(filesystem<Store, Cipher>& fs,
                                             const std::vector<location>& damaged) {
  auto& store = fs.source_.store();
  auto recorded = read_quarantine(store);
  if (!recorded) return fail(recorded.error());
  std::set<location> wanted = recorded->items;
  wanted.insert(damaged.begin(), damaged.end());
  std::set<location> next;
  if (!wanted.empty())
    for (const auto& [inum, s] : fs.nodes_)
      for (const auto& b : s.blocks)
        if (b.stored() && b.where && wanted.count(*b.where)) next.insert(*b.where);
  if (next != recorded->items) CLOUDLOG_TRY_VOID(write_quarantine(store, next));
  return next;
}

}  // namespace detail

// Merges the cleaner's newest output into FS, then flushes so the acknowledgement
// is durable. Steps:
//  1. The newest directory-1 segment must exist, have a sequence greater than the
//     latest merged one (any, on the first merge: no unsigned -1 comparison), and
//     end with a CHECKPOINT item (else the cleaner is still writing): otherwise
//     nothing is merged, and nothing is written unless FS was opened past a flush
//     interrupted before its checkpoint (then a fresh checkpoint is flushed after
//     it: report.sealed_interrupted_flush).
//  2. Every inode-map block that checkpoint links to, and every inode those link
//     to, is loaded unless it is in directory 0 or in a directory-1 segment at or
//     below the latest merged sequence (already known). Inodes no longer in FS's
//     inode map are ignored (deleted since).
//  3. Per-block id match: for a regular file, block i adopts the cleaner's
//     location only if FS currently has block i stored (not dirty, not a hole) and
//     the cleaner's link i is non-null with the same id. Null links are handled
//     (never read as locations). Each adopted DATA item is fetched and opened
//     first: with a key its tag must verify, and it must be the item its link
//     names, with the block's length.
//  4. An inode loaded from the cleaner whose copy is the proxy's current version
//     (same id, not dirty, the same block ids link for link, none of them set
//     aside) is adopted where the cleaner put it (the original never adopted INODE
//     items, which made every merge re-dirty the proxy's newest segments); every
//     other one is re-serialized. The checkpoint's sequence becomes the merged
//     cleaner sequence, carried in every later checkpoint as the version-vector
//     entry (1, seq); then FS is flushed.
// An item of the cleaner's output that is damaged (steps 2-3: framing, tag, id,
// type, size) is set aside, not adopted: the proxy keeps its own copy (an inode
// map block set aside keeps every inode of its range as it is). The generation is
// still acknowledged, so a tampered item copied by a key-less cleaner never wedges
// cleaning (report.refused lists them). Dirty changes in FS are flushed too.
// Fails: store errors, errc::bad_key, the checkpoint's errors, flush errors, each
// with its text (what and where). On failure FS is unchanged.
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<merge_report> merge_cleaner_output(filesystem<Store, Cipher>& fs) {
  merge_report rep;
  auto& source = fs.source_;
  auto newest = newest_segment(source.store(), cleaner_directory);
  if (!newest) return fail_with(newest.error(), "cannot list the cleaner's segments");
  std::optional<stored_checkpoint> generation;
  if (*newest && !(fs.merged_ && (*newest)->id.sequence <= *fs.merged_)) {
    auto cp = checkpoint_at_end(source.store(), **newest);
    if (!cp)
      return fail_with(cp.error(), "cannot read " + (*newest)->name + ": " + cp.error().message());
    generation = std::move(*cp);
  }
  if (!generation) {
    if (fs.skipped_segments().empty()) return rep;
    auto flushed = fs.flush();
    if (!flushed) return fail(std::move(flushed.error()));
    rep.sealed_interrupted_flush = true;
    rep.flush = *flushed;
    return rep;
  }
  const std::uint32_t seq = generation->segment.id.sequence;
  auto croot = open_checkpoint(source, *generation);
  if (!croot) return fail(std::move(croot.error()));
  auto plan = detail::plan_merge(fs, *croot, rep.refused);
  if (!plan) return fail(std::move(plan.error()));
  CLOUDLOG_TRY_VOID(fs.apply_merge(*plan, seq));
  auto quarantined = detail::update_quarantine(fs, plan->damaged_in_place);
  if (!quarantined) {
    fs.undo_merge();
    return fail_with(quarantined.error(), "cannot write the quarantine record");
  }
  rep.quarantined = std::move(*quarantined);
  auto flushed = fs.flush();
  if (!flushed) {
    fs.undo_merge();
    return fail(std::move(flushed.error()));
  }
  rep.merged = true;
  rep.cleaner_sequence = seq;
  rep.blocks_adopted = plan->blocks.size();
  rep.inodes_rewritten = plan->touched.size();
  rep.inodes_adopted = plan->inodes.size();
  rep.flush = *flushed;
  return rep;
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_MERGE_HPP
