// SPDX-License-Identifier: BSL-1.0
// The BlueSky format as the cleaner engine sees it (a log_format model): the proxy's
// checkpoint as root, the version-vector gate and deletion rule, groups 0/1/2, and
// how inodes, inode-map blocks and checkpoints are rewritten (docs/format.md,
// sections 12 and 14; docs/design.md, "Cleaning BlueSky").
#ifndef CLOUDLOG_FORMATS_BLUESKY_CLEANING_HPP
#define CLOUDLOG_FORMATS_BLUESKY_CLEANING_HPP

#include <algorithm>
#include <cstdint>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/cleaner/log_format.hpp"
#include "cloudlog/crypto/random.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/formats/bluesky/quarantine.hpp"
#include "cloudlog/formats/bluesky/root.hpp"
#include "cloudlog/log/segment.hpp"

namespace cloudlog::bluesky {

// What one cleaning run knows of a BlueSky store.
class cleaning_context {
 public:
  // The proxy's current checkpoint item.
  location root() const { return root_; }
  // Every segment of directories 0 and 1.
  const std::vector<segment_info>& segments() const { return segments_; }
  // True when the proxy's checkpoint acknowledges (vv entry (1, s)) the newest
  // complete cleaner generation, or there is none: the spec's "waiting for proxy"
  // gate, without the original's -1 comparison.
  bool writer_caught_up() const {
    if (!newest_generation_) return true;
    const auto ack = proxy_checkpoint_.version_of(cleaner_directory);
    return ack && *ack >= *newest_generation_;
  }
  std::uint32_t output_directory() const { return cleaner_directory; }
  // One past the highest cleaner sequence ever used (listed or acknowledged).
  std::uint32_t next_sequence() const { return next_sequence_; }
  // docs/format.md, section 14: no live bytes, and a sequence strictly below the version
  // vector's entry for its directory (the proxy checkpoint's vv plus (0, the
  // checkpoint's own segment)); a directory the vv lacks is kept.
  bool deletable(const segment_info& seg, std::uint64_t live) const {
    if (live != 0) return false;
    auto it = version_vector_.find(seg.id.directory);
    return it != version_vector_.end() && seg.id.sequence < it->second;
  }
  // Age in proxy segments written since (the proxy's clock; docs/format.md, section
  // 14, "Ages"): a proxy segment is 1 when newest and ages with every newer one; a
  // cleaner segment is as old as the proxy checkpoint its generation was cleaned
  // from (the (0, P) entry of the checkpoint that ends the generation: proxy head -
  // P, at least 1), so proxy and cleaner segments are counted on one clock. BlueSky
  // items carry no time, so this is when the cleaner last wrote the data, a lower
  // bound on when the user did; the relocated data's own age is not kept (that
  // needs state of the cleaner's own). A cleaner segment after the newest complete
  // generation (a run that never committed) is 1.
  std::uint64_t age(segment_id s) const {
    if (s.directory == proxy_directory)
      return proxy_head_ >= s.sequence ? proxy_head_ - s.sequence + 1 : 1;
    const auto it = std::lower_bound(generations_.begin(), generations_.end(), s.sequence,
                                     [](const std::pair<std::uint32_t, std::uint32_t>& g,
                                        std::uint32_t q) { return g.first < q; });
    if (it == generations_.end()) return 1;
    return proxy_head_ > it->second ? std::uint64_t{proxy_head_} - it->second : 1;
  }

  // Live data blocks the proxy found damaged in its own copy when it merged (the
  // quarantine record, quarantine.hpp): copying them again would only be refused
  // again, so their segments stay as they are.
  const std::set<location>& quarantined() const { return quarantined_; }

  // The decoded proxy checkpoint the run started from.
  const checkpoint& proxy_checkpoint() const { return proxy_checkpoint_; }
  // Its item's bytes as stored (read by load(), inside root_tail(): the walk need
  // not read them again).
  byte_view root_item() const {
    return byte_view(root_tail_).subspan(root_.offset - root_tail_offset_, root_.size);
  }
  // The bytes load() read at the end of the root's segment, from root_tail_offset()
  // to the segment's end (the root item and usually the inode-map blocks of the
  // last flush: the walk need not read them again).
  byte_view root_tail() const { return root_tail_; }
  std::uint64_t root_tail_offset() const { return root_tail_offset_; }
  // The sequence of the newest cleaner segment that ends with a checkpoint.
  std::optional<std::uint32_t> newest_generation() const { return newest_generation_; }

 private:
  friend struct format;
  location root_{};
  checkpoint proxy_checkpoint_;
  bytes root_tail_;
  std::uint64_t root_tail_offset_ = 0;
  std::map<std::uint32_t, std::uint32_t> version_vector_;
  std::vector<segment_info> segments_;
  std::set<location> quarantined_;
  std::optional<std::uint32_t> newest_generation_;
  std::uint32_t next_sequence_ = 0;
  std::uint32_t proxy_head_ = 0;
  // (sequence of a cleaner segment ending a generation, the proxy sequence of the
  // checkpoint it was cleaned from), ascending.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> generations_;
};

// The BlueSky log_format.
struct format {
  using layout = bluesky::layout;
  using context = cleaning_context;
  // docs/format.md, section 3: the cleaner closes a segment once it reaches 4 MiB.
  static constexpr std::uint64_t segment_target = proxy_segment_target;
  // The proxy's segment target, for telling its interrupted flushes from damage
  // (root_rule::segment_target).
  std::uint64_t writer_segment_target = proxy_segment_target;

  // An inode's links name data blocks; everything else links to interior items.
  std::optional<std::uint8_t> leaf_type(std::uint8_t type) const {
    if (type == type_byte(item_type::inode)) return type_byte(item_type::data);
    return std::nullopt;
  }
  // docs/format.md, section 14: group 0 data, 1 inodes, 2 inode maps and the checkpoint.
  std::uint32_t group_of(std::uint8_t type) const {
    if (type == type_byte(item_type::inode)) return 1;
    if (type == type_byte(item_type::inode_map) || type == type_byte(item_type::checkpoint))
      return 2;
    return 0;
  }
  // Data and inodes are copied sealed (tag intact); maps and checkpoints are new.
  bool verified_on_copy(std::uint8_t type) const {
    return type == type_byte(item_type::data) || type == type_byte(item_type::inode);
  }

  // Inodes keep every byte but their location section (so no key is needed);
  // inode-map blocks are written anew as the original cleaner does: fresh id,
  // magic AgI-, 48 zero tag and IV bytes, the same payload.
  // Fails: errc::unexpected_type for other types; errc::crypto_failure.
  result<bytes> rewrite(const item_view<layout>& item, std::span<const item_link> links,
                        const context&) const {
    if (item.type() == type_byte(item_type::inode) || item.type() == type_byte(item_type::data)) {
      bytes out(item.bytes().begin(), item.bytes().end());
      std::vector<location> locs;
      for (const auto& l : links)
        if (l.where) locs.push_back(*l.where);
      rewrite_link_locations<layout>(out, locs);
      return out;
    }
    if (item.type() == type_byte(item_type::inode_map))
      return fresh_item(item_type::inode_map, bytes(item.payload().begin(), item.payload().end()),
                        links);
    return fail(errc::unexpected_type);
  }

  // The new checkpoint: the proxy checkpoint's ranges, the version vector
  // {(0, the proxy checkpoint's segment), (1, the proxy's acknowledged cleaner
  // sequence) if any} (docs/format.md, section 4), and LINKS.
  // Fails: errc::corrupt_payload, errc::crypto_failure.
  result<bytes> make_root(const item_view<layout>& item, std::span<const item_link> links,
                          const context& ctx) const {
    auto cp = decode_checkpoint(item.payload());
    if (!cp) return fail(cp.error());
    checkpoint next;
    next.ranges = cp->ranges;
    next.version_vector.push_back({proxy_directory, ctx.root().sequence});
    if (auto ack = cp->version_of(cleaner_directory))
      next.version_vector.push_back({cleaner_directory, *ack});
    return fresh_item(item_type::checkpoint, encode_checkpoint(next), links);
  }

  // Lists directories 0 and 1, finds the proxy's checkpoint by the one rule
  // (root.hpp: past an interrupted flush, never past damage) and the newest
  // complete cleaner generation. Three independent chains of reads: the proxy's
  // (directory 0's listing, then the root's reads from it, on this thread), the
  // cleaner's (its listing, then its generation probes) and the quarantine
  // record's. Where the store has round trips to hide (request_launch) the last two
  // run on other threads from the start, so the load takes the longest chain's
  // round trips (two), not the sum of the first two (three once the cleaner has
  // segments); elsewhere they run after the proxy's, on this thread, and a store
  // that fails directory 0's listing is asked nothing more. All are acted on only
  // once all have answered: a root that cannot be found fails the load whatever
  // the others read (STORE must be thread-safe, as every store of backend/ is).
  // Nothing is written.
  // Failures carry their text: a root that cannot be found, find_root's (which
  // segment, where, why); the rest say what was read.
  // Fails: errc::no_checkpoint, errc::damaged_log; the store's errors; framing
  // errors of a cleaner segment read whole.
  template <segment_store Store>
  result_with_info<context> load(Store& store) const {
    context ctx;
    using cleaner_side =
        std::pair<std::vector<segment_info>, std::vector<std::pair<std::uint32_t, std::uint32_t>>>;
    auto cleaner_future = std::async(request_launch<Store>(), [&store]() -> result<cleaner_side> {
      auto segs = store.list(cleaner_directory);
      if (!segs) return fail(segs.error());
      auto generations = generation_bases(store, *segs);
      if (!generations) return fail(generations.error());
      return cleaner_side{std::move(*segs), std::move(*generations)};
    });
    // A damaged record reads as empty.
    auto quarantine_future =
        std::async(request_launch<Store>(), [&store] { return read_quarantine(store); });
    auto proxy = store.list(proxy_directory);
    if (!proxy) return fail_while(proxy.error(), "cannot list the store");
    auto found =
        find_root_in(store, no_cipher{}, proxy, root_rule{writer_segment_target, std::nullopt});
    auto cleaner_read = cleaner_future.get();
    auto quarantined = quarantine_future.get();
    if (!found) return fail(std::move(found.error()));
    if (!cleaner_read)
      return fail_while(cleaner_read.error(), "cannot read the cleaner's segments");
    const auto* cleaner = &cleaner_read->first;
    ctx.segments_ = *proxy;
    ctx.segments_.insert(ctx.segments_.end(), cleaner->begin(), cleaner->end());
    if (!proxy->empty()) ctx.proxy_head_ = proxy->back().id.sequence;
    ctx.generations_ = std::move(cleaner_read->second);
    if (!quarantined) return fail_while(quarantined.error(), "cannot read the quarantine record");
    ctx.quarantined_ = std::move(quarantined->items);
    ctx.root_ = found->checkpoint.where;
    ctx.proxy_checkpoint_ = std::move(found->checkpoint.payload);
    ctx.root_tail_ = std::move(found->checkpoint.tail);
    ctx.root_tail_offset_ = found->checkpoint.tail_offset;

    for (const auto& e : ctx.proxy_checkpoint_.version_vector)
      ctx.version_vector_[e.directory] = e.sequence;
    ctx.version_vector_[proxy_directory] = ctx.root_.sequence;

    // A cleaner segment whose last item is not a checkpoint belongs to a run that
    // stopped before its commit: skip it, as the proxy's merge does. (The probe for
    // ages has usually found it; a checkpoint too large for that probe is read here.)
    for (auto it = cleaner->rbegin(); it != cleaner->rend(); ++it) {
      if (!ctx.generations_.empty() && ctx.generations_.back().first == it->id.sequence) {
        ctx.newest_generation_ = it->id.sequence;
        break;
      }
      auto last = checkpoint_at_end(store, *it);
      if (!last) return fail_while(last.error(), "cannot read " + it->name);
      if (*last) {
        ctx.newest_generation_ = it->id.sequence;
        break;
      }
    }
    std::uint32_t next = cleaner->empty() ? 0 : cleaner->back().id.sequence + 1;
    if (auto ack = ctx.proxy_checkpoint_.version_of(cleaner_directory))
      next = std::max(next, *ack + 1);
    ctx.next_sequence_ = next;
    return ctx;
  }

 private:
  // How much of each cleaner segment's end is read to find the generation it ends.
  static constexpr std::uint64_t generation_probe = 4096;

  // For ages: the cleaner segments of SEGMENTS that end with a checkpoint (found in
  // their last generation_probe bytes, read in one batch), each with the proxy
  // sequence in that checkpoint's version vector. A generation whose checkpoint is
  // larger than the probe is missed: its segments then count from the next one,
  // which is younger (ages stay lower bounds).
  // Fails: the store's errors.
  template <segment_store Store>
  static result<std::vector<std::pair<std::uint32_t, std::uint32_t>>> generation_bases(
      Store& store, const std::vector<segment_info>& segments) {
    std::vector<read_request> probes;
    std::vector<const segment_info*> probed;
    for (const auto& seg : segments) {
      if (seg.size == 0) continue;
      const auto n = std::min(seg.size, generation_probe);
      probes.push_back({seg.name, seg.size - n, n});
      probed.push_back(&seg);
    }
    auto tails = read_batch(store, probes);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    for (std::size_t i = 0; i < probed.size(); ++i) {
      if (!tails[i]) return fail(tails[i].error());
      auto found = detail::checkpoint_in_tail(*tails[i], *probed[i], probes[i].offset);
      if (!found) continue;
      if (auto p = found->payload.version_of(proxy_directory))
        out.emplace_back(probed[i]->id.sequence, *p);
    }
    return out;
  }

  static result<bytes> fresh_item(item_type type, bytes payload, std::span<const item_link> links) {
    auto it = new_item(type, 0, std::move(payload), {links.begin(), links.end()});
    if (!it) return fail(it.error());
    bytes out;
    CLOUDLOG_TRY_VOID(append_item(out, *it));
    return out;
  }
};
static_assert(log_format<format>);

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_CLEANING_HPP
