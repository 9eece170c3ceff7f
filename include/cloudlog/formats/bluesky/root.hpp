// SPDX-License-Identifier: BSL-1.0
// Root discovery: the one rule by which the reader, the writer, the merge and the
// cleaner find the current BlueSky checkpoint, and tell a flush that was
// interrupted before its checkpoint from damage (docs/format.md, section 4.1).
#ifndef CLOUDLOG_FORMATS_BLUESKY_ROOT_HPP
#define CLOUDLOG_FORMATS_BLUESKY_ROOT_HPP

#include <string.h>  // memrchr (a GNU extension: glibc, musl and the BSDs have it)

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/crypto/no_cipher.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/log/segment.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::bluesky {

// A checkpoint item that is the last item of its segment, as stored.
struct stored_checkpoint {
  segment_info segment;  // the segment it ends
  location where;        // the item
  checkpoint payload;    // its payload, decoded (checkpoint payloads are clear text)
  // The bytes read to find it: SEGMENT from TAIL_OFFSET to its end (the item
  // included), so that a reader need not read again the items before it (the
  // inode-map blocks of the last flush usually are).
  bytes tail{};
  std::uint64_t tail_offset = 0;

  // The whole item as stored (sealed; its tag is not checked here): the end of
  // TAIL, valid as long as TAIL is.
  byte_view item() const { return byte_view(tail).subspan(where.offset - tail_offset, where.size); }
};

// The rule's one parameter, and the operator's explicit way back.
struct root_rule {
  // The writer's segment target (filesystem_options::segment_target): a segment of
  // a flush that is not the flush's last was sealed because an append took it past
  // this, so it is larger than this and was not before its last item.
  std::uint64_t segment_target = proxy_segment_target;
  // Explicit recovery, never taken by default: the directory-0 sequence whose
  // checkpoint to start from, abandoning every newer segment whatever it holds.
  std::optional<std::uint32_t> recover_to;
};

// Where the current root is.
struct found_root {
  stored_checkpoint checkpoint;
  // Newer directory-0 segments, oldest first: prefixes of flushes interrupted
  // before their checkpoint (garbage), or with root_rule::recover_to the segments
  // abandoned.
  std::vector<segment_info> skipped;
  // The newest directory-0 segment (the writer continues after it).
  segment_info newest;
};

namespace detail {

template <class C>
struct is_keyless : std::false_type {};
template <class T>
struct is_keyless<basic_no_cipher<T>> : std::true_type {};

// How much of a segment's end is read first when looking for its checkpoint.
inline constexpr std::uint64_t tail_probe = 64 * 1024;

// A checkpoint found in bytes read from the end of a segment: where it is and its
// decoded payload (read_segment_end makes it a stored_checkpoint with those bytes).
struct checkpoint_found {
  location where;
  checkpoint payload;
};

// A checkpoint whose payload decodes, parsed at P of BYTES (the bytes of SEG from
// offset FROM on) and ending exactly at BYTES's end; nullopt otherwise.
inline std::optional<checkpoint_found> checkpoint_ending_at(byte_view bytes_, std::size_t p,
                                                            const segment_info& seg,
                                                            std::uint64_t from) {
  auto v = parse_item<layout>(bytes_, p);
  if (!v || v->offset() + v->size() != bytes_.size() ||
      v->type() != type_byte(item_type::checkpoint))
    return std::nullopt;
  auto cp = decode_checkpoint(v->payload());
  if (!cp) return std::nullopt;
  return checkpoint_found{{seg.id.directory, seg.id.sequence, static_cast<std::uint32_t>(from + p),
                           static_cast<std::uint32_t>(v->size())},
                          std::move(*cp)};
}

// Whether the sizes of the header at P of TAIL (which holds a whole header) add up
// to an item ending exactly at TAIL's end: three fields read, not the header's nine,
// so that the type bytes data happens to hold cost little (1 in 256 positions).
inline bool ends_at_tail_end(byte_view tail, std::size_t p) noexcept {
  using h = layout::header_type;
  const auto* at = tail.data() + p;
  const std::uint64_t sizes =
      std::uint64_t{decode_packed_member<h, layout::payload_size_member>(at)} +
      decode_packed_member<h, layout::link_ids_size_member>(at) +
      decode_packed_member<h, layout::link_locations_size_member>(at);
  return tail.size() - p - header_size_v<layout> == sizes;
}

// The same, looked for at every position of TAIL from its end backwards. Only
// positions whose type byte says "checkpoint" are parsed; they are found with
// memrchr (a segment without a checkpoint is scanned once, at memory speed), and
// parsed only when their header's sizes end the item at TAIL's end.
inline std::optional<checkpoint_found> checkpoint_in_tail(byte_view tail, const segment_info& seg,
                                                          std::uint64_t from) {
  constexpr auto hs = header_size_v<layout>;
  constexpr auto type_at = header_offset_v<layout, layout::type_member>;
  // Candidates are the positions [0, n): tail[p + type_at] is p's type byte.
  std::size_t n = tail.size() >= hs ? tail.size() - hs + 1 : 0;
  if (n == 0) return std::nullopt;  // (an empty TAIL may have no data pointer at all)
  const auto* types = reinterpret_cast<const unsigned char*>(tail.data()) + type_at;
  while (n > 0) {
    const void* hit = ::memrchr(types, type_byte(item_type::checkpoint), n);
    if (hit == nullptr) break;
    const auto p = static_cast<std::size_t>(static_cast<const unsigned char*>(hit) - types);
    if (ends_at_tail_end(tail, p))
      if (auto found = checkpoint_ending_at(tail, p, seg, from)) return found;
    n = p;
  }
  return std::nullopt;
}

}  // namespace detail

// The end of a segment as read: its checkpoint if its last item is one; otherwise
// (read whole) its bytes.
struct segment_end {
  std::optional<stored_checkpoint> checkpoint;
  bytes whole;  // the whole segment, when no checkpoint was found at its end
};

// Reads the end of SEG: its last 64 KiB first, where a checkpoint ending exactly at
// the segment's end is looked for (header, sizes and payload must all agree); only
// when there is none is the whole segment read and looked through the same way.
// Fails: the store's errors.
template <segment_store Store>
result<segment_end> read_segment_end(Store& store, const segment_info& seg) {
  segment_end out;
  if (seg.size > detail::tail_probe) {
    const auto from = seg.size - detail::tail_probe;
    auto tail = store.read(seg.name, from, detail::tail_probe);
    if (!tail) return fail(tail.error());
    if (auto found = detail::checkpoint_in_tail(*tail, seg, from)) {
      out.checkpoint =
          stored_checkpoint{seg, found->where, std::move(found->payload), std::move(*tail), from};
      return out;
    }
  }
  auto data = store.read(seg.name, 0, whole_object);
  if (!data) return fail(data.error());
  if (auto found = detail::checkpoint_in_tail(*data, seg, 0)) {
    out.checkpoint =
        stored_checkpoint{seg, found->where, std::move(found->payload), std::move(*data), 0};
    return out;
  }
  out.whole = std::move(*data);
  return out;
}

// The checkpoint that is the last item of SEG, or nullopt (the one rule for "the
// last checkpoint of a segment": writers put it last and seal the segment).
// Fails: the store's errors; the segment's framing errors when it is read whole.
template <segment_store Store>
result<std::optional<stored_checkpoint>> checkpoint_at_end(Store& store, const segment_info& seg) {
  auto end = read_segment_end(store, seg);
  if (!end) return fail(end.error());
  if (end->checkpoint) return std::move(end->checkpoint);
  if (auto items = parse_segment<layout>(end->whole); !items) return fail(items.error());
  return std::optional<stored_checkpoint>();
}

namespace detail {

// Why SEG (read whole as DATA, ending in no checkpoint) cannot be a segment of a
// flush interrupted before its checkpoint, or "" when it can be one: every item
// frames, has a known type, an inode number that fits it (0 for inode-map blocks
// only) and (with a key) a tag that verifies; no data or inode follows an
// inode-map block, and every inode-map block decodes; no checkpoint stands before
// other items; and RULE's writer sealed it for size.
template <cloudlog::cipher Cipher>
std::string not_an_interrupted_flush(byte_view data, const segment_info& seg, const Cipher& c,
                                     const root_rule& rule) {
  std::string framing;
  auto items =
      parse_segment<layout>(seg.name, data, [&](const corruption& x) { framing = x.to_string(); });
  if (!items) return framing;
  if (items->empty()) return seg.name + " holds no item";
  bool in_maps = false;  // a flush writes data and inodes, then inode-map blocks
  for (const auto& v : *items) {
    const auto at = seg.name + " @" + std::to_string(v.offset());
    const auto t = v.type();
    if (type_name(t) == "UNKNOWN") return at + ": an item of unknown type " + std::to_string(t);
    if (t == type_byte(item_type::checkpoint))
      return at + ": a checkpoint that " +
             (v.offset() + v.size() == data.size() ? "does not decode" : "is not the last item");
    const bool map = t == type_byte(item_type::inode_map);
    if (in_maps && !map) return at + ": a " + std::string(type_name(t)) + " after inode-map blocks";
    in_maps = map;
    if ((v.owner() == 0) != map) return at + ": an item whose inode number contradicts its type";
    if (map) {
      auto inums = decode_imap_block(v.payload());
      if (!inums || inums->size() != v.links().size()) return at + ": a corrupt inode-map block";
    }
    if constexpr (!is_keyless<Cipher>::value)
      if (c.verify(v.bytes()) != tag_status::ok) return at + ": an item whose tag does not verify";
  }
  const auto last = items->back().size();
  if (data.size() <= rule.segment_target || data.size() - last > rule.segment_target)
    return seg.name + " ends @" + std::to_string(data.size()) +
           " without a checkpoint, and the writer seals a segment only after it passes " +
           std::to_string(rule.segment_target) + " bytes (truncated?)";
  return {};
}

}  // namespace detail

// Finds the current root of STORE by the one rule (docs/format.md, section 4.1),
// from the newest directory-0 segment back:
//  - a segment whose last item is a checkpoint (its payload decoding) holds the root;
//  - a segment without one is skipped only when it can be a segment of a flush
//    interrupted before its checkpoint: its items are in a flush's order (data and
//    inodes, then inode-map blocks that decode), each frames, has a known type, an
//    inode number that fits it and, with a keyed C, a tag that verifies; and the
//    writer sealed it for size (larger than RULE.segment_target, and not before
//    its last item);
//  - anything else is damage: errc::damaged_log, and no older root is used.
// With RULE.recover_to the search starts at that sequence instead, and every
// newer segment is skipped whatever it holds (the operator's explicit choice).
// The checkpoint's tag is not checked here (the reader opens it with C).
// Failures carry their text: what failed and where (error_info::what).
// Fails: errc::no_checkpoint (no directory-0 segment, or the recovery target is
// missing or ends in no checkpoint); errc::damaged_log; the store's errors.
// SEGS is the listing of directory 0 (or why it failed), made by the caller: a
// caller that lists first can start other reads beside the root's once the store
// has answered it (find_root below lists it itself).
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<found_root> find_root_in(Store& store, const Cipher& c,
                                          const result<std::vector<segment_info>>& segs,
                                          const root_rule& rule = {}) {
  if (!segs) return fail_with(segs.error(), "cannot list the store: " + segs.error().message());
  if (segs->empty())
    return fail_with(make_error_code(errc::no_checkpoint),
                     "no directory-0 segment: the store holds no filesystem");
  found_root out;
  out.newest = segs->back();
  auto it = segs->rbegin();
  if (rule.recover_to) {
    while (it != segs->rend() && it->id.sequence != *rule.recover_to) ++it;
    if (it == segs->rend())
      return fail_with(make_error_code(errc::no_checkpoint),
                       "no directory-0 segment has sequence " + std::to_string(*rule.recover_to));
    out.skipped.assign(segs->rbegin(), it);
  }
  for (; it != segs->rend(); ++it) {
    auto end = read_segment_end(store, *it);
    if (!end)
      return fail_with(end.error(), "cannot read " + it->name + ": " + end.error().message());
    if (end->checkpoint) {
      out.checkpoint = std::move(*end->checkpoint);
      std::reverse(out.skipped.begin(), out.skipped.end());
      return out;
    }
    if (rule.recover_to)
      return fail_with(make_error_code(errc::no_checkpoint),
                       it->name + " does not end with a checkpoint: it cannot be recovered to");
    auto damage = detail::not_an_interrupted_flush(end->whole, *it, c, rule);
    if (!damage.empty()) {
      std::string older = "no older segment ends with a checkpoint";
      for (auto back = std::next(it); back != segs->rend(); ++back)
        if (auto cp = checkpoint_at_end(store, *back); cp && *cp) {
          older = "the newest older checkpoint ends " + back->name;
          break;
        }
      return fail_with(make_error_code(errc::damaged_log),
                       damage +
                           "; refusing to use an older checkpoint, which would lose what was "
                           "written after it (" +
                           older + ")");
    }
    out.skipped.push_back(*it);
  }
  return fail_with(
      make_error_code(errc::no_checkpoint),
      "no directory-0 segment ends with a checkpoint: only flushes interrupted before it");
}

// Finds the current root of STORE as find_root_in (above), listing directory 0 itself.
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<found_root> find_root(Store& store, const Cipher& c, const root_rule& rule = {}) {
  return find_root_in(store, c, store.list(proxy_directory), rule);
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_ROOT_HPP
