// SPDX-License-Identifier: BSL-1.0
// The "tree" format's bytes: its own item header (a Hana struct the cloudlog codec
// packs) and item types. A store of it holds one root item per commit, linking
// directory items, which link blob leaves.
#ifndef TREE_LAYOUT_HPP
#define TREE_LAYOUT_HPP

#include <array>
#include <cstddef>
#include <cstdint>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/log/header_layout.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/packed.hpp"

namespace tree {

using magic_bytes = std::array<std::byte, 4>;

// 4 + 1 + 2 + 16 + 4 + 4 + 4 + 4 = 39 bytes, little-endian, in this order.
struct header {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(header,
    (magic_bytes, magic),                  // "TREE"
    (std::uint8_t, type),                  // item_type
    (std::uint16_t, flags),                // unused, zero
    (cloudlog::object_id, id),             // this item version
    (std::uint32_t, owner),                // the directory number a blob or directory belongs to
    (std::uint32_t, payload_size),
    (std::uint32_t, link_ids_size),
    (std::uint32_t, link_locations_size)
  );
  // clang-format on
};

inline constexpr magic_bytes magic{std::byte{'T'}, std::byte{'R'}, std::byte{'E'}, std::byte{'E'}};

// The tree format's header_layout model.
struct layout {
  using header_type = tree::header;
  static constexpr std::size_t magic_member = 0;
  static constexpr std::size_t type_member = 1;
  static constexpr std::size_t id_member = 3;
  static constexpr std::size_t owner_member = 4;
  static constexpr std::size_t payload_size_member = 5;
  static constexpr std::size_t link_ids_size_member = 6;
  static constexpr std::size_t link_locations_size_member = 7;
  static bool valid_magic(const header& h) noexcept { return h.magic == tree::magic; }
};
static_assert(cloudlog::header_layout<layout>);
static_assert(cloudlog::header_size_v<layout> == 39);

// Item types.
enum class item_type : std::uint8_t {
  root = 'R',       // payload: root_payload; links: directories
  directory = 'D',  // payload: empty; links: blobs
  blob = 'B',       // payload: the data; no links
};
constexpr std::uint8_t type_byte(item_type t) noexcept {
  return static_cast<std::uint8_t>(t);
}

// The root's payload: which commit it is, and the newest cleaner output the
// writer has adopted (has_ack = 0: none yet).
struct root_payload {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(root_payload,
    (std::uint32_t, generation),
    (std::uint8_t, has_ack),
    (std::uint32_t, ack)
  );
  // clang-format on
};
static_assert(cloudlog::packed_size_v<root_payload> == 9);

// Log directory 0 is the writer's, 1 the cleaner's.
inline constexpr std::uint32_t writer_directory = 0;
inline constexpr std::uint32_t cleaner_directory = 1;

}  // namespace tree

#endif  // TREE_LAYOUT_HPP
