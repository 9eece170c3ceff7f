// Archetypes: the least a type must provide to model each concept, and near
// misses that each lack exactly one requirement.
#ifndef CLOUDLOG_TESTS_SUPPORT_ARCHETYPES_HPP
#define CLOUDLOG_TESTS_SUPPORT_ARCHETYPES_HPP

#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/log/header_layout.hpp"

namespace cloudlog::test {

// --- header_layout ---
struct archetype_header {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(archetype_header,
    (std::uint8_t, magic),
    (std::uint8_t, type),
    (object_id, id),
    (std::uint32_t, owner),
    (std::uint32_t, s1),
    (std::uint32_t, s2),
    (std::uint32_t, s3)
  );
  // clang-format on
};

struct layout_archetype {
  using header_type = archetype_header;
  static constexpr std::size_t magic_member = 0;
  static constexpr std::size_t type_member = 1;
  static constexpr std::size_t id_member = 2;
  static constexpr std::size_t owner_member = 3;
  static constexpr std::size_t payload_size_member = 4;
  static constexpr std::size_t link_ids_size_member = 5;
  static constexpr std::size_t link_locations_size_member = 6;
  static bool valid_magic(const archetype_header& h) noexcept { return h.magic == 0x7e; }
};

// Lacks magic_member.
struct layout_without_magic {
  using header_type = archetype_header;
  static constexpr std::size_t type_member = 1;
  static constexpr std::size_t id_member = 2;
  static constexpr std::size_t owner_member = 3;
  static constexpr std::size_t payload_size_member = 4;
  static constexpr std::size_t link_ids_size_member = 5;
  static constexpr std::size_t link_locations_size_member = 6;
  static bool valid_magic(const archetype_header&) noexcept { return true; }
};

struct wide_header {
  // clang-format off
  BOOST_HANA_DEFINE_STRUCT(wide_header,
    (std::uint8_t, magic), (std::uint8_t, type), (object_id, id), (std::uint32_t, owner),
    (std::uint64_t, s1), (std::uint64_t, s2), (std::uint64_t, s3)
  );
  // clang-format on
};

// Section sizes are u64, not u32.
struct layout_with_u64_sizes {
  using header_type = wide_header;
  static constexpr std::size_t magic_member = 0;
  static constexpr std::size_t type_member = 1;
  static constexpr std::size_t id_member = 2;
  static constexpr std::size_t owner_member = 3;
  static constexpr std::size_t payload_size_member = 4;
  static constexpr std::size_t link_ids_size_member = 5;
  static constexpr std::size_t link_locations_size_member = 6;
  static bool valid_magic(const wide_header&) noexcept { return true; }
};

// The id member is a u32, not an object_id.
struct layout_with_short_id {
  using header_type = archetype_header;
  static constexpr std::size_t magic_member = 0;
  static constexpr std::size_t type_member = 1;
  static constexpr std::size_t id_member = 3;
  static constexpr std::size_t owner_member = 3;
  static constexpr std::size_t payload_size_member = 4;
  static constexpr std::size_t link_ids_size_member = 5;
  static constexpr std::size_t link_locations_size_member = 6;
  static bool valid_magic(const archetype_header&) noexcept { return true; }
};

// Lacks valid_magic.
struct layout_without_valid_magic {
  using header_type = archetype_header;
  static constexpr std::size_t magic_member = 0;
  static constexpr std::size_t type_member = 1;
  static constexpr std::size_t id_member = 2;
  static constexpr std::size_t owner_member = 3;
  static constexpr std::size_t payload_size_member = 4;
  static constexpr std::size_t link_ids_size_member = 5;
  static constexpr std::size_t link_locations_size_member = 6;
};

// --- segment_store ---
struct store_archetype {
  result<std::vector<segment_info>> list(std::uint32_t) { return fail(errc::io_error); }
  result<bytes> read(std::string_view, std::uint64_t, std::uint64_t) {
    return fail(errc::io_error);
  }
  result<void> write(std::string_view, byte_view) { return fail(errc::io_error); }
  result<void> remove(std::string_view) { return fail(errc::io_error); }
};

struct store_without_list {
  result<bytes> read(std::string_view, std::uint64_t, std::uint64_t) {
    return fail(errc::io_error);
  }
  result<void> write(std::string_view, byte_view) { return fail(errc::io_error); }
  result<void> remove(std::string_view) { return fail(errc::io_error); }
};
struct store_without_ranged_read {
  result<std::vector<segment_info>> list(std::uint32_t) { return fail(errc::io_error); }
  result<bytes> read(std::string_view) { return fail(errc::io_error); }
  result<void> write(std::string_view, byte_view) { return fail(errc::io_error); }
  result<void> remove(std::string_view) { return fail(errc::io_error); }
};
struct store_with_throwing_write {  // write returns bool, not result<void>
  result<std::vector<segment_info>> list(std::uint32_t) { return fail(errc::io_error); }
  result<bytes> read(std::string_view, std::uint64_t, std::uint64_t) {
    return fail(errc::io_error);
  }
  bool write(std::string_view, byte_view) { return false; }
  result<void> remove(std::string_view) { return fail(errc::io_error); }
};
struct store_without_remove {
  result<std::vector<segment_info>> list(std::uint32_t) { return fail(errc::io_error); }
  result<bytes> read(std::string_view, std::uint64_t, std::uint64_t) {
    return fail(errc::io_error);
  }
  result<void> write(std::string_view, byte_view) { return fail(errc::io_error); }
};

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_SUPPORT_ARCHETYPES_HPP
