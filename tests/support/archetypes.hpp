// SPDX-License-Identifier: BSL-1.0
// Archetypes: the least a type must provide to model each concept, and near
// misses that each lack exactly one requirement.
#ifndef CLOUDLOG_TESTS_SUPPORT_ARCHETYPES_HPP
#define CLOUDLOG_TESTS_SUPPORT_ARCHETYPES_HPP

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/cleaner/log_format.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/log/header_layout.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"

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

// The least a store that reads into a caller's buffers needs (readable_into).
struct store_reading_into_archetype : store_archetype {
  std::vector<result<std::uint64_t>> read_many_into(std::span<const read_request>,
                                                    std::span<const mutable_byte_view>) {
    return {};
  }
};
// read_many_into allocating its own results, not into the caller's buffers.
struct store_reading_into_nothing : store_archetype {
  std::vector<result<bytes>> read_many_into(std::span<const read_request>,
                                            std::span<const mutable_byte_view>) {
    return {};
  }
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

// ===== cleaning_policy, format_context, log_format (tests/compile_fail) =====
namespace cloudlog::test {

// --- cleaning_policy ---
struct policy_archetype {
  std::vector<segment_id> select(std::span<const segment_usage>) const { return {}; }
  std::uint32_t placement(std::uint64_t) const { return 0; }
  std::string_view name() const { return "archetype"; }
};

struct policy_without_select {
  std::uint32_t placement(std::uint64_t) const { return 0; }
  std::string_view name() const { return "near miss"; }
};
struct policy_without_placement {
  std::vector<segment_id> select(std::span<const segment_usage>) const { return {}; }
  std::string_view name() const { return "near miss"; }
};
struct policy_without_name {
  std::vector<segment_id> select(std::span<const segment_usage>) const { return {}; }
  std::uint32_t placement(std::uint64_t) const { return 0; }
};
// select is not const: a shared policy could not be asked through a const reference.
struct policy_with_mutable_select {
  std::vector<segment_id> select(std::span<const segment_usage>) { return {}; }
  std::uint32_t placement(std::uint64_t) const { return 0; }
  std::string_view name() const { return "near miss"; }
};
// select returns the usage rows instead of segment ids.
struct policy_returning_rows {
  std::vector<segment_usage> select(std::span<const segment_usage>) const { return {}; }
  std::uint32_t placement(std::uint64_t) const { return 0; }
  std::string_view name() const { return "near miss"; }
};

// --- format_context ---
struct context_archetype {
  location root() const { return {}; }
  const std::vector<segment_info>& segments() const { return segments_; }
  bool writer_caught_up() const { return true; }
  std::uint32_t output_directory() const { return 1; }
  std::uint32_t next_sequence() const { return 0; }
  bool deletable(const segment_info&, std::uint64_t) const { return false; }
  std::uint64_t age(segment_id) const { return 1; }
  std::vector<segment_info> segments_;
};

struct context_without_root {
  const std::vector<segment_info>& segments() const { return segments_; }
  bool writer_caught_up() const { return true; }
  std::uint32_t output_directory() const { return 1; }
  std::uint32_t next_sequence() const { return 0; }
  bool deletable(const segment_info&, std::uint64_t) const { return false; }
  std::uint64_t age(segment_id) const { return 1; }
  std::vector<segment_info> segments_;
};
struct context_without_deletable {
  location root() const { return {}; }
  const std::vector<segment_info>& segments() const { return segments_; }
  bool writer_caught_up() const { return true; }
  std::uint32_t output_directory() const { return 1; }
  std::uint32_t next_sequence() const { return 0; }
  std::uint64_t age(segment_id) const { return 1; }
  std::vector<segment_info> segments_;
};
struct context_without_writer_caught_up {
  location root() const { return {}; }
  const std::vector<segment_info>& segments() const { return segments_; }
  std::uint32_t output_directory() const { return 1; }
  std::uint32_t next_sequence() const { return 0; }
  bool deletable(const segment_info&, std::uint64_t) const { return false; }
  std::uint64_t age(segment_id) const { return 1; }
  std::vector<segment_info> segments_;
};
// segments() returns a copy, not a reference the engine can keep.
struct context_with_copied_segments {
  location root() const { return {}; }
  std::vector<segment_info> segments() const { return {}; }
  bool writer_caught_up() const { return true; }
  std::uint32_t output_directory() const { return 1; }
  std::uint32_t next_sequence() const { return 0; }
  bool deletable(const segment_info&, std::uint64_t) const { return false; }
  std::uint64_t age(segment_id) const { return 1; }
};

// --- log_format ---
// The members every format archetype below shares but for the one it lacks.
#define CLOUDLOG_TEST_FORMAT_LEAF_TYPE                        \
  std::optional<std::uint8_t> leaf_type(std::uint8_t) const { \
    return std::nullopt;                                      \
  }
#define CLOUDLOG_TEST_FORMAT_GROUP_OF          \
  std::uint32_t group_of(std::uint8_t) const { \
    return 0;                                  \
  }
#define CLOUDLOG_TEST_FORMAT_VERIFIED         \
  bool verified_on_copy(std::uint8_t) const { \
    return false;                             \
  }
#define CLOUDLOG_TEST_FORMAT_REWRITE                                                          \
  result<bytes> rewrite(const item_view<layout>&, std::span<const item_link>, const context&) \
      const {                                                                                 \
    return fail(errc::unexpected_type);                                                       \
  }
#define CLOUDLOG_TEST_FORMAT_MAKE_ROOT                                                          \
  result<bytes> make_root(const item_view<layout>&, std::span<const item_link>, const context&) \
      const {                                                                                   \
    return fail(errc::unexpected_type);                                                         \
  }
#define CLOUDLOG_TEST_FORMAT_LOAD      \
  template <segment_store Store>       \
  result<context> load(Store&) const { \
    return fail(errc::no_checkpoint);  \
  }

struct format_archetype {
  using layout = layout_archetype;
  using context = context_archetype;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_REWRITE
  CLOUDLOG_TEST_FORMAT_MAKE_ROOT
  CLOUDLOG_TEST_FORMAT_LOAD
};

struct format_without_rewrite {
  using layout = layout_archetype;
  using context = context_archetype;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_MAKE_ROOT
  CLOUDLOG_TEST_FORMAT_LOAD
};
struct format_without_make_root {
  using layout = layout_archetype;
  using context = context_archetype;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_REWRITE
  CLOUDLOG_TEST_FORMAT_LOAD
};
struct format_without_leaf_type {
  using layout = layout_archetype;
  using context = context_archetype;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_REWRITE
  CLOUDLOG_TEST_FORMAT_MAKE_ROOT
  CLOUDLOG_TEST_FORMAT_LOAD
};
struct format_without_segment_target {
  using layout = layout_archetype;
  using context = context_archetype;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_REWRITE
  CLOUDLOG_TEST_FORMAT_MAKE_ROOT
  CLOUDLOG_TEST_FORMAT_LOAD
};
// Its layout is not a header_layout (no magic member).
struct format_with_bad_layout {
  using layout = layout_without_magic;
  using context = context_archetype;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_LOAD
};
// Its context is not a format_context (no deletable).
struct format_with_bad_context {
  using layout = layout_archetype;
  using context = context_without_deletable;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_REWRITE
  CLOUDLOG_TEST_FORMAT_MAKE_ROOT
  CLOUDLOG_TEST_FORMAT_LOAD
};
// A log_format that cannot load its context: not a loadable_format.
struct format_without_load {
  using layout = layout_archetype;
  using context = context_archetype;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_REWRITE
  CLOUDLOG_TEST_FORMAT_MAKE_ROOT
};

// load's failure carries its text (result_with_info): a model too.
struct format_with_load_info {
  using layout = layout_archetype;
  using context = context_archetype;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_REWRITE
  CLOUDLOG_TEST_FORMAT_MAKE_ROOT
  template <segment_store Store>
  result_with_info<context> load(Store&) const {
    return fail_with(make_error_code(errc::no_checkpoint), "the archetype store holds no root");
  }
};
// load's failure is a string, neither a code nor an error_info.
struct format_with_load_of_strings {
  using layout = layout_archetype;
  using context = context_archetype;
  static constexpr std::uint64_t segment_target = 1 << 20;
  CLOUDLOG_TEST_FORMAT_LEAF_TYPE
  CLOUDLOG_TEST_FORMAT_GROUP_OF
  CLOUDLOG_TEST_FORMAT_VERIFIED
  CLOUDLOG_TEST_FORMAT_REWRITE
  CLOUDLOG_TEST_FORMAT_MAKE_ROOT
  template <segment_store Store>
  tl::expected<context, std::string> load(Store&) const {
    return tl::unexpected(std::string("no root"));
  }
};

#undef CLOUDLOG_TEST_FORMAT_LEAF_TYPE
#undef CLOUDLOG_TEST_FORMAT_GROUP_OF
#undef CLOUDLOG_TEST_FORMAT_VERIFIED
#undef CLOUDLOG_TEST_FORMAT_REWRITE
#undef CLOUDLOG_TEST_FORMAT_MAKE_ROOT
#undef CLOUDLOG_TEST_FORMAT_LOAD

}  // namespace cloudlog::test
// ===== end cleaning_policy, format_context, log_format =====

#endif  // CLOUDLOG_TESTS_SUPPORT_ARCHETYPES_HPP
