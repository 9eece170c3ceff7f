// SPDX-License-Identifier: BSL-1.0
// header_layout: the concept describing an item header as a packed Hana struct plus role traits.
#ifndef CLOUDLOG_LOG_HEADER_LAYOUT_HPP
#define CLOUDLOG_LOG_HEADER_LAYOUT_HPP

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "cloudlog/object_id.hpp"
#include "cloudlog/packed.hpp"

namespace cloudlog {

// A header layout L describes the fixed header in front of every item. The
// header is L::header_type, a BOOST_HANA_DEFINE_STRUCT whose packed codec is
// derived from its member list; the traits below name, by member index, which
// members play which role. Every item is then
//   header | section 1 (payload) | section 2 (link ids) | section 3 (link locations)
// with section lengths taken from the three size members (docs/concepts/header_layout.md).
template <class L>
concept header_layout = requires(const typename L::header_type& h) {
  // The header is a packed Hana struct (every member has a field_codec).
  requires packed_struct<typename L::header_type>;
  // Index of the member holding the magic bytes.
  { L::magic_member } -> std::same_as<const std::size_t&>;
  // Index of the member holding the item type.
  { L::type_member } -> std::same_as<const std::size_t&>;
  // Index of the member holding the item's object_id.
  { L::id_member } -> std::same_as<const std::size_t&>;
  // Index of the member holding the owner (the back-reference, e.g. BlueSky's inum).
  { L::owner_member } -> std::same_as<const std::size_t&>;
  // Index of the u32 member holding section 1's (payload's) length.
  { L::payload_size_member } -> std::same_as<const std::size_t&>;
  // Index of the u32 member holding section 2's (link ids') length.
  { L::link_ids_size_member } -> std::same_as<const std::size_t&>;
  // Index of the u32 member holding section 3's (link locations') length.
  { L::link_locations_size_member } -> std::same_as<const std::size_t&>;
  // True when the header's magic is one this layout accepts.
  { L::valid_magic(h) } -> std::same_as<bool>;
  // The id member is an object_id.
  requires std::same_as<member_type_t<typename L::header_type, L::id_member>, object_id>;
  // The type member is one byte.
  requires std::same_as<member_type_t<typename L::header_type, L::type_member>, std::uint8_t>;
  // The owner member is an unsigned integer.
  requires std::unsigned_integral<member_type_t<typename L::header_type, L::owner_member>>;
  // The three section sizes are u32.
  requires std::same_as<member_type_t<typename L::header_type, L::payload_size_member>,
                        std::uint32_t>;
  requires std::same_as<member_type_t<typename L::header_type, L::link_ids_size_member>,
                        std::uint32_t>;
  requires std::same_as<member_type_t<typename L::header_type, L::link_locations_size_member>,
                        std::uint32_t>;
};

// The packed size of layout L's header.
template <header_layout L>
inline constexpr std::size_t header_size_v = packed_size_v<typename L::header_type>;

// The byte offset of member I within layout L's packed header.
template <header_layout L, std::size_t I>
inline constexpr std::size_t header_offset_v = packed_offset_v<typename L::header_type, I>;

}  // namespace cloudlog

#endif  // CLOUDLOG_LOG_HEADER_LAYOUT_HPP
