// SPDX-License-Identifier: BSL-1.0
// The BlueSky item header (89 bytes) and the seed's pre-crypto header (41 bytes),
// as header layouts; item types and magics (docs/format.md, sections 1 and 9).
#ifndef CLOUDLOG_FORMATS_BLUESKY_HEADER_HPP
#define CLOUDLOG_FORMATS_BLUESKY_HEADER_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/random.hpp"
#include "cloudlog/log/header_layout.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/object_id.hpp"

namespace cloudlog::bluesky {

// Four magic bytes.
using magic_bytes = std::array<std::byte, 4>;
// The HMAC-SHA256 tag bytes.
using tag_bytes = std::array<std::byte, 32>;
// The AES-CTR initial counter block.
using iv_bytes = std::array<std::byte, 16>;

// "AgI-": payload stored in clear.
inline constexpr magic_bytes magic_plain{std::byte{'A'}, std::byte{'g'}, std::byte{'I'},
                                         std::byte{'-'}};
// "AgI=": payload encrypted (the plain magic with byte 3 XOR 0x10).
inline constexpr magic_bytes magic_encrypted{std::byte{'A'}, std::byte{'g'}, std::byte{'I'},
                                             std::byte{'='}};

// Log directory 0 is the proxy's, 1 the cleaner's (docs/format.md, section 3).
inline constexpr std::uint32_t proxy_directory = 0;
inline constexpr std::uint32_t cleaner_directory = 1;

// The proxy's segment size: a segment is sealed once it exceeds this after an
// append (docs/format.md, section 3).
inline constexpr std::uint64_t proxy_segment_target = 4u << 20;

// Item types, stored as the ASCII digit of the original enum value.
enum class item_type : std::uint8_t {
  data = '1',        // one file block; header inum = owning inode
  inode = '2',       // a serialized inode; header inum = its own number
  inode_map = '3',   // an inode-map block; inum 0
  checkpoint = '4',  // the root; inum 0
};

// The type byte of T.
constexpr std::uint8_t type_byte(item_type t) noexcept {
  return static_cast<std::uint8_t>(t);
}

// Readable name of a type byte ("DATA", "INODE", "INODE_MAP", "CHECKPOINT", "UNKNOWN").
constexpr std::string_view type_name(std::uint8_t t) noexcept {
  switch (t) {
    case '1':
      return "DATA";
    case '2':
      return "INODE";
    case '3':
      return "INODE_MAP";
    case '4':
      return "CHECKPOINT";
    default:
      return "UNKNOWN";
  }
}

// The 89-byte header of every BlueSky cloud item (docs/format.md, section 1).
struct header {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(header,
    (magic_bytes, magic),                    // 0: "AgI-" or "AgI="
    (tag_bytes, crypt_auth),                 // 4: HMAC-SHA256 tag
    (iv_bytes, crypt_iv),                     // 36: AES-CTR initial counter block
    (std::uint8_t, type),                    // 52: item_type digit
    (object_id, id),                         // 53: object id
    (std::uint64_t, inum),                   // 69: owner inode
    (std::uint32_t, size1),                  // 77: payload length
    (std::uint32_t, size2),                  // 81: link-id section length
    (std::uint32_t, size3)                   // 85: link-location section length
  );
  // clang-format on
};

// The BlueSky header layout.
struct layout {
  using header_type = header;
  static constexpr std::size_t magic_member = 0;
  static constexpr std::size_t auth_member = 1;
  static constexpr std::size_t iv_member = 2;
  static constexpr std::size_t type_member = 3;
  static constexpr std::size_t id_member = 4;
  static constexpr std::size_t owner_member = 5;
  static constexpr std::size_t payload_size_member = 6;
  static constexpr std::size_t link_ids_size_member = 7;
  static constexpr std::size_t link_locations_size_member = 8;
  // Accepts "AgI-" and "AgI=".
  static bool valid_magic(const header& h) noexcept {
    return h.magic == magic_plain || h.magic == magic_encrypted;
  }
};
static_assert(header_layout<layout>);
static_assert(header_size_v<layout> == 89);
static_assert(header_offset_v<layout, layout::auth_member> == 4);
static_assert(header_offset_v<layout, layout::iv_member> == 36);
static_assert(header_offset_v<layout, layout::type_member> == 52);
static_assert(header_offset_v<layout, layout::id_member> == 53);
static_assert(header_offset_v<layout, layout::owner_member> == 69);
static_assert(header_offset_v<layout, layout::payload_size_member> == 77);

// The pre-crypto 41-byte header of the seed's "old" side: no tag, no IV.
struct legacy_header {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(legacy_header,
    (magic_bytes, magic),      // 0: "AgI-"
    (std::uint8_t, type),      // 4: item_type digit
    (object_id, id),           // 5
    (std::uint64_t, inum),     // 21
    (std::uint32_t, size1),    // 29
    (std::uint32_t, size2),    // 33
    (std::uint32_t, size3)     // 37
  );
  // clang-format on
};

// The pre-crypto header layout (read-only history; the final code never writes it).
struct legacy_layout {
  using header_type = legacy_header;
  static constexpr std::size_t magic_member = 0;
  static constexpr std::size_t type_member = 1;
  static constexpr std::size_t id_member = 2;
  static constexpr std::size_t owner_member = 3;
  static constexpr std::size_t payload_size_member = 4;
  static constexpr std::size_t link_ids_size_member = 5;
  static constexpr std::size_t link_locations_size_member = 6;
  // Accepts only "AgI-" (there was no encrypted form).
  static bool valid_magic(const legacy_header& h) noexcept { return h.magic == magic_plain; }
};
static_assert(header_layout<legacy_layout>);
static_assert(header_size_v<legacy_layout> == 41);

// A new plain item (docs/format.md, section 1): TYPE, INUM, a fresh random id,
// PAYLOAD and LINKS. The one way the writer and the cleaner build items; a writer
// with a key seals the serialized item after.
// Fails: random_object_id's errors.
inline result<item<layout>> new_item(item_type type, std::uint64_t inum, bytes payload,
                                     std::vector<item_link> links) {
  auto id = random_object_id();
  if (!id) return fail(id.error());
  item<layout> it;
  it.header.magic = magic_plain;
  it.header.type = type_byte(type);
  it.header.id = *id;
  it.header.inum = inum;
  it.payload = std::move(payload);
  it.links = std::move(links);
  return it;
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_HEADER_HPP
