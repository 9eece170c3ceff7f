// SPDX-License-Identifier: BSL-1.0
// Items: parse one item (header + payload + link ids + link locations) with strict
// validation, view its sections and links, and serialize items back to bytes.
#ifndef CLOUDLOG_LOG_ITEM_HPP
#define CLOUDLOG_LOG_ITEM_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "cloudlog/assert.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/log/header_layout.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// Packed size of one link id (section 2 entry) and one link location (section 3 entry).
inline constexpr std::size_t link_id_size = object_id::size;
inline constexpr std::size_t link_location_size = packed_size_v<location>;

// One link of an item: the id of the item it names, and where that item is.
// A null link has the all-zero id and no location.
struct item_link {
  object_id id;
  std::optional<location> where;
  bool is_null() const noexcept { return id.is_null(); }
  friend bool operator==(const item_link&, const item_link&) = default;
};

// A parsed item inside a buffer: its decoded header, its offset in the segment,
// and a view of its bytes. Valid as long as the buffer it was parsed from.
template <header_layout Layout>
class item_view {
 public:
  using header_type = typename Layout::header_type;
  static constexpr std::size_t header_size = header_size_v<Layout>;

  item_view(const header_type& h, std::uint64_t offset, byte_view item_bytes) noexcept
      : header_(h), offset_(offset), bytes_(item_bytes) {}

  // The decoded header.
  const header_type& header() const noexcept { return header_; }
  // Offset of the item's first header byte within its segment.
  std::uint64_t offset() const noexcept { return offset_; }
  // The whole item: header and all three sections.
  byte_view bytes() const noexcept { return bytes_; }
  // The whole item's size in bytes.
  std::size_t size() const noexcept { return bytes_.size(); }

  // The item type byte (meaning is the format's).
  std::uint8_t type() const noexcept { return member<Layout::type_member>(header_); }
  // The item's object id.
  const object_id& id() const noexcept { return member<Layout::id_member>(header_); }
  // The owner (back-reference) field.
  std::uint64_t owner() const noexcept { return member<Layout::owner_member>(header_); }

  // Section 1: the payload (ciphertext when the format encrypted it).
  byte_view payload() const noexcept { return bytes_.subspan(header_size, payload_size()); }
  // Section 2: the link ids, 16 bytes each, null links included.
  byte_view link_ids() const noexcept {
    return bytes_.subspan(header_size + payload_size(), link_ids_size());
  }
  // Section 3: the link locations, 16 bytes each, one per non-null link.
  byte_view link_locations() const noexcept {
    return bytes_.subspan(header_size + payload_size() + link_ids_size());
  }
  // Number of links, null ones included.
  std::size_t link_count() const noexcept { return link_ids_size() / link_id_size; }

  // The links in order; ids and locations walked in parallel, the location cursor
  // advancing only on non-null ids.
  std::vector<item_link> links() const {
    std::vector<item_link> out;
    out.reserve(link_count());
    const auto ids = link_ids();
    const auto locs = link_locations();
    std::size_t loc_at = 0;
    for (std::size_t i = 0; i < link_count(); ++i) {
      item_link l{object_id::from_bytes(ids.data() + i * link_id_size), std::nullopt};
      if (!l.is_null()) {
        l.where = decode_packed<location>(locs.data() + loc_at);
        loc_at += link_location_size;
      }
      out.push_back(l);
    }
    return out;
  }

  std::uint32_t payload_size() const noexcept {
    return member<Layout::payload_size_member>(header_);
  }
  std::uint32_t link_ids_size() const noexcept {
    return member<Layout::link_ids_size_member>(header_);
  }
  std::uint32_t link_locations_size() const noexcept {
    return member<Layout::link_locations_size_member>(header_);
  }

 private:
  header_type header_;
  std::uint64_t offset_;
  byte_view bytes_;
};

// Parses the item starting at OFFSET in SEGMENT. Checks, in this order, each with
// its own code: a whole header is left (errc::short_header); the magic is valid
// (errc::bad_magic); size2 is a multiple of 16 (errc::bad_link_id_size); the item's
// total size fits in 32 bits, as locations require (errc::size_overflow); the
// sections end inside SEGMENT (errc::section_overrun); size3 is 16 x the non-null
// link ids (errc::bad_link_location_size). Never reads outside SEGMENT.
// The returned view is valid as long as SEGMENT's buffer.
template <header_layout Layout>
result<item_view<Layout>> parse_item(byte_view segment, std::uint64_t offset) {
  constexpr std::size_t hs = header_size_v<Layout>;
  if (offset > segment.size() || segment.size() - offset < hs) return fail(errc::short_header);
  const auto h = decode_packed<typename Layout::header_type>(segment.data() + offset);
  if (!Layout::valid_magic(h)) return fail(errc::bad_magic);
  const std::uint64_t s1 = member<Layout::payload_size_member>(h);
  const std::uint64_t s2 = member<Layout::link_ids_size_member>(h);
  const std::uint64_t s3 = member<Layout::link_locations_size_member>(h);
  if (s2 % link_id_size != 0) return fail(errc::bad_link_id_size);
  const std::uint64_t total = hs + s1 + s2 + s3;
  if (total > std::numeric_limits<std::uint32_t>::max()) return fail(errc::size_overflow);
  if (total > segment.size() - offset) return fail(errc::section_overrun);
  const auto item_bytes = segment.subspan(offset, total);
  std::uint64_t non_null = 0;
  for (std::size_t i = 0; i < s2; i += link_id_size)
    if (!object_id::from_bytes(item_bytes.data() + hs + s1 + i).is_null()) ++non_null;
  if (s3 != non_null * link_location_size) return fail(errc::bad_link_location_size);
  return item_view<Layout>(h, offset, item_bytes);
}

// An item to serialize: a header (its three size members are set from the
// sections when written), a payload, and links.
template <header_layout Layout>
struct item {
  typename Layout::header_type header{};
  bytes payload;
  std::vector<item_link> links;

  // Copies a parsed item (payload bytes as stored: ciphertext stays ciphertext).
  static item from_view(const item_view<Layout>& v) {
    return {v.header(), bytes(v.payload().begin(), v.payload().end()), v.links()};
  }
};

// The serialized size of IT.
template <header_layout Layout>
std::uint64_t serialized_size(const item<Layout>& it) noexcept {
  std::uint64_t n = header_size_v<Layout> + it.payload.size() + it.links.size() * link_id_size;
  for (const auto& l : it.links)
    if (!l.is_null()) n += link_location_size;
  return n;
}

// Appends IT to OUT: header (with size1..3 set from the sections), payload,
// link ids, then the locations of the non-null links.
// REQUIRES: every non-null link has a location and no null link has one.
// Fails: errc::size_overflow if the item would exceed 4 GiB.
template <header_layout Layout>
result<void> append_item(bytes& out, const item<Layout>& it) {
  const std::uint64_t total = serialized_size(it);
  if (total > std::numeric_limits<std::uint32_t>::max()) return fail(errc::size_overflow);
  auto h = it.header;
  std::uint32_t locs = 0;
  for (const auto& l : it.links) {
    CLOUDLOG_ASSERT(l.is_null() != l.where.has_value());
    if (!l.is_null()) locs += link_location_size;
  }
  member<Layout::payload_size_member>(h) = static_cast<std::uint32_t>(it.payload.size());
  member<Layout::link_ids_size_member>(h) =
      static_cast<std::uint32_t>(it.links.size() * link_id_size);
  member<Layout::link_locations_size_member>(h) = locs;
  out.reserve(out.size() + total);
  append_packed(out, h);
  append(out, it.payload);
  for (const auto& l : it.links) append(out, l.id.value);
  for (const auto& l : it.links)
    if (l.where) append_packed(out, *l.where);
  return {};
}

// Rewrites the link-location section of a serialized item in place (what a
// key-less cleaner does when a linked item moves). Only section 3 changes.
// REQUIRES: ITEM_BYTES is one whole valid item; NEW_LOCATIONS has one entry per
// non-null link, in link order.
template <header_layout Layout>
void rewrite_link_locations(mutable_byte_view item_bytes, std::span<const location> new_locations) {
  const auto h = decode_packed<typename Layout::header_type>(item_bytes.data());
  const std::size_t at = header_size_v<Layout> + member<Layout::payload_size_member>(h) +
                         member<Layout::link_ids_size_member>(h);
  CLOUDLOG_ASSERT(member<Layout::link_locations_size_member>(h) ==
                  new_locations.size() * link_location_size);
  for (std::size_t i = 0; i < new_locations.size(); ++i)
    encode_packed(new_locations[i], item_bytes.data() + at + i * link_location_size);
}

}  // namespace cloudlog

#endif  // CLOUDLOG_LOG_ITEM_HPP
