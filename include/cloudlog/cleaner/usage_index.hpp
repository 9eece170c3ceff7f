// SPDX-License-Identifier: BSL-1.0
// The cleaner's usage index: the live tree the last pass walked and its segment
// usage table, kept in the store (in a log directory no format lists) so that the
// next pass reads only what changed (docs/format.md, "The usage index";
// docs/design.md, "The walk phase"). A cache, never the truth: every record is
// checked (checksums, counts, shape), and a record that fails any check is ignored.
#ifndef CLOUDLOG_CLEANER_USAGE_INDEX_HPP
#define CLOUDLOG_CLEANER_USAGE_INDEX_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog {

// The log directory of usage index records: log-99999998-GGGGGGGG, GGGGGGGG the
// record's generation. Beside the cleaner's lease, history and quarantine records
// (log-99999999-*); BlueSky lists directories 0 and 1 only, the tree format its
// two, so no writer or format ever reads or deletes these objects.
inline constexpr std::uint32_t usage_index_directory = max_segment_number - 1;

// The object holding generation G (1 <= G <= max_segment_number).
inline constexpr segment_id usage_index_segment(std::uint32_t generation) {
  return {usage_index_directory, generation};
}

// The generation after G: generations count up and wrap to 1 after
// max_segment_number (the pass that writes a record deletes every other one).
inline constexpr std::uint32_t next_usage_generation(std::uint32_t g) {
  return g >= max_segment_number ? 1 : g + 1;
}

// One record: what a pass walked. TREE is that pass's live graph (nodes[0] is the
// root, breadth-first, a parent before its children, children contiguous);
// SEGMENTS its usage table (every segment it accounted for, with its size then).
struct usage_index {
  std::uint32_t generation = 0;
  // Passes since the last full walk, counting the one that wrote the record (0: it
  // walked in full).
  std::uint32_t passes_since_full_walk = 0;
  location root{};    // the root the pass walked from
  object_id root_id;  // and its id
  std::vector<segment_usage> segments;
  detail::live_graph tree;
};

namespace detail {

// CRC-64/XZ (ECMA-182 polynomial, reflected), over the bytes of one section.
inline std::uint64_t crc64(byte_view data) noexcept {
  static const auto table = [] {
    std::array<std::uint64_t, 256> t{};
    for (std::uint64_t i = 0; i < 256; ++i) {
      std::uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xC96C5795D7870F42ull : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint64_t crc = ~std::uint64_t{0};
  for (auto b : data) crc = table[(crc ^ static_cast<std::uint8_t>(b)) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// Little-endian writer and bounds-checked reader of the record's fields.
struct index_writer {
  bytes out;
  void u8(std::uint8_t v) { out.push_back(std::byte{v}); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(std::byte(static_cast<std::uint8_t>(v >> (8 * i))));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(std::byte(static_cast<std::uint8_t>(v >> (8 * i))));
  }
  void loc(const location& l) {
    u32(l.directory);
    u32(l.sequence);
    u32(l.offset);
    u32(l.size);
  }
  void id(const object_id& v) { out.insert(out.end(), v.value.begin(), v.value.end()); }
};

struct index_reader {
  byte_view in;
  std::size_t at = 0;
  bool ok = true;
  bool take(std::size_t n) {
    if (!ok || in.size() - at < n) return ok = false;
    return true;
  }
  std::uint64_t le(int n) {
    if (!take(static_cast<std::size_t>(n))) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= std::uint64_t(static_cast<std::uint8_t>(in[at + i])) << (8 * i);
    at += static_cast<std::size_t>(n);
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }
  location loc() {
    location l{};
    l.directory = u32();
    l.sequence = u32();
    l.offset = u32();
    l.size = u32();
    return l;
  }
  object_id id() {
    object_id v;
    if (!take(object_id::size)) return v;
    std::memcpy(v.value.data(), in.data() + at, object_id::size);
    at += object_id::size;
    return v;
  }
};

inline constexpr char usage_index_magic[8] = {'c', 'l', 'u', 's', 'a', 'g', 'e', '1'};
inline constexpr std::size_t usage_index_header_bytes = 104;
inline constexpr std::size_t usage_index_row_bytes = 32;
inline constexpr std::size_t usage_index_node_bytes = 38;

}  // namespace detail

// The record's bytes (docs/format.md, "The usage index"): a 104-byte header (magic
// "clusage1", generation, passes since the full walk, root location and id, the
// counts of segments and nodes, the interior bytes walked, the CRC-64s of the table
// and the tree, the count of interior nodes), its own CRC-64, then the table (32
// bytes a segment) and the tree (38 bytes a node).
inline bytes encode_usage_index(const usage_index& x) {
  // One buffer, sections written in place (the header's CRCs last): a record is
  // held once while it is encoded, not three times.
  using detail::usage_index_header_bytes;
  const auto table_bytes = x.segments.size() * detail::usage_index_row_bytes;
  const auto tree_bytes = x.tree.nodes.size() * detail::usage_index_node_bytes;
  detail::index_writer w;
  w.out.reserve(usage_index_header_bytes + table_bytes + tree_bytes);
  w.out.resize(usage_index_header_bytes);
  for (const auto& s : x.segments) {
    w.u32(s.id.directory);
    w.u32(s.id.sequence);
    w.u64(s.size);
    w.u64(s.live);
    w.u64(s.age);
  }
  std::uint64_t interior = 0;
  for (const auto& n : x.tree.nodes) {
    w.loc(n.where);
    w.id(n.id);
    w.u8(n.type);
    w.u8(n.leaf ? 1 : 0);
    w.u32(n.child_count);
    interior += n.leaf ? 0 : 1;
  }
  const byte_view all(w.out);
  detail::index_writer h;
  h.out.reserve(usage_index_header_bytes);
  for (char c : detail::usage_index_magic) h.u8(static_cast<std::uint8_t>(c));
  h.u32(x.generation);
  h.u32(x.passes_since_full_walk);
  h.loc(x.root);
  h.id(x.root_id);
  h.u64(x.segments.size());
  h.u64(x.tree.nodes.size());
  h.u64(x.tree.bytes_walked);
  h.u64(detail::crc64(all.subspan(usage_index_header_bytes, table_bytes)));
  h.u64(detail::crc64(all.subspan(usage_index_header_bytes + table_bytes)));
  h.u64(interior);
  h.u64(detail::crc64(h.out));
  std::copy(h.out.begin(), h.out.end(), w.out.begin());
  return std::move(w.out);
}

// The header of a record: what the rest must hold.
struct usage_index_head {
  std::uint32_t generation = 0;
  std::uint32_t passes_since_full_walk = 0;
  location root{};
  object_id root_id;
  std::uint64_t segments = 0, nodes = 0, bytes_walked = 0;
  std::uint64_t table_crc = 0, tree_crc = 0;
  std::uint64_t interior = 0;  // interior nodes of the tree
  // Where the table and the tree are in the record, and its whole length.
  std::uint64_t table_bytes() const { return segments * detail::usage_index_row_bytes; }
  std::uint64_t tree_offset() const { return detail::usage_index_header_bytes + table_bytes(); }
  std::uint64_t tree_bytes() const { return nodes * detail::usage_index_node_bytes; }
  std::uint64_t size() const { return tree_offset() + tree_bytes(); }
};

// The record H heads, with its TABLE; its tree is left empty.
inline usage_index headed_index(const usage_index_head& h, std::vector<segment_usage> table) {
  usage_index x;
  x.generation = h.generation;
  x.passes_since_full_walk = h.passes_since_full_walk;
  x.root = h.root;
  x.root_id = h.root_id;
  x.segments = std::move(table);
  return x;
}

// Parses and checks a record's first usage_index_header_bytes.
// Fails: errc::corrupt_payload (short, wrong magic, wrong CRC, impossible counts).
inline result<usage_index_head> decode_usage_index_head(byte_view data) {
  using detail::usage_index_header_bytes;
  if (data.size() < usage_index_header_bytes) return fail(errc::corrupt_payload);
  detail::index_reader r{data.first(usage_index_header_bytes)};
  for (char c : detail::usage_index_magic)
    if (r.u8() != static_cast<std::uint8_t>(c)) return fail(errc::corrupt_payload);
  usage_index_head h;
  h.generation = r.u32();
  h.passes_since_full_walk = r.u32();
  h.root = r.loc();
  h.root_id = r.id();
  h.segments = r.u64();
  h.nodes = r.u64();
  h.bytes_walked = r.u64();
  h.table_crc = r.u64();
  h.tree_crc = r.u64();
  h.interior = r.u64();
  const auto crc = r.u64();
  if (!r.ok || crc != detail::crc64(data.first(usage_index_header_bytes - 8)) || h.nodes == 0 ||
      h.segments > (std::uint64_t{1} << 40) || h.nodes > (std::uint64_t{1} << 48) ||
      h.interior == 0 || h.interior > h.nodes)
    return fail(errc::corrupt_payload);
  return h;
}

// The usage table of a record whose header is H, from its bytes DATA.
// Fails: errc::corrupt_payload (wrong length or CRC).
inline result<std::vector<segment_usage>> decode_usage_table(const usage_index_head& h,
                                                             byte_view data) {
  if (data.size() != h.table_bytes() || detail::crc64(data) != h.table_crc)
    return fail(errc::corrupt_payload);
  detail::index_reader t{data};
  std::vector<segment_usage> out;
  out.reserve(h.segments);
  for (std::uint64_t i = 0; i < h.segments; ++i) {
    segment_usage s;
    s.id.directory = t.u32();
    s.id.sequence = t.u32();
    s.size = t.u64();
    s.live = t.u64();
    s.age = t.u64();
    out.push_back(s);
  }
  return out;
}

// The tree of a record whose header is H, from its bytes DATA, checked: breadth-first,
// every node but the root a child of an earlier interior node, leaves childless, the
// root where H says.
// Fails: errc::corrupt_payload.
inline result<detail::live_graph> decode_usage_tree(const usage_index_head& h, byte_view data) {
  if (data.size() != h.tree_bytes() || detail::crc64(data) != h.tree_crc)
    return fail(errc::corrupt_payload);
  detail::index_reader n{data};
  detail::live_graph g;
  g.bytes_walked = h.bytes_walked;
  auto& out = g.nodes;
  out.reserve(h.nodes);
  std::uint64_t next_child = 1;
  for (std::uint64_t i = 0; i < h.nodes; ++i) {
    detail::live_node v;
    v.where = n.loc();
    v.id = n.id();
    v.type = n.u8();
    const auto leaf = n.u8();
    v.child_count = n.u32();
    if (leaf > 1 || (leaf && v.child_count) || (i == 0 && leaf)) return fail(errc::corrupt_payload);
    v.leaf = leaf == 1;
    v.first_child = next_child;
    if (v.child_count && v.first_child <= i) return fail(errc::corrupt_payload);
    next_child += v.child_count;
    if (next_child > h.nodes) return fail(errc::corrupt_payload);
    out.push_back(v);
  }
  std::uint64_t interior = 0;
  for (const auto& v : out) interior += v.leaf ? 0 : 1;
  if (!n.ok || next_child != h.nodes || out[0].where != h.root || interior != h.interior)
    return fail(errc::corrupt_payload);
  for (std::uint64_t i = 0; i < h.nodes; ++i)
    for (auto c = out[i].first_child; c < out[i].first_child + out[i].child_count; ++c)
      out[c].parent = i;
  return g;
}

// Parses what encode_usage_index writes and checks all of it (header, exact length,
// table, tree). Fails: errc::corrupt_payload (truncated, damaged, not a record).
inline result<usage_index> decode_usage_index(byte_view data) {
  auto h = decode_usage_index_head(data);
  if (!h) return fail(h.error());
  if (data.size() != h->size()) return fail(errc::corrupt_payload);
  auto table =
      decode_usage_table(*h, data.subspan(detail::usage_index_header_bytes, h->table_bytes()));
  if (!table) return fail(table.error());
  auto tree = decode_usage_tree(*h, data.subspan(h->tree_offset()));
  if (!tree) return fail(tree.error());
  auto x = headed_index(*h, std::move(*table));
  x.tree = std::move(*tree);
  return x;
}

// What looking for the newest record found: its header and table (the tree is read
// on demand, read_usage_tree), or why there is none to use (NOTE: one line for the
// report; empty when a record was found).
struct usage_index_lookup {
  std::optional<usage_index> index;  // tree empty until read_usage_tree
  std::optional<usage_index_head> head;
  std::string name;  // of the newest record listed
  std::string note;
  std::uint64_t bytes_read = 0;         // of the record, from the store
  std::uint32_t newest_generation = 0;  // the highest listed, usable or not (0: none)
  // The local copy the header and table came from (the tree is read from it too);
  // empty: they came from the store.
  std::filesystem::path local;
  std::uint64_t local_bytes_read = 0;  // of the local copy
};

namespace detail {

// [OFFSET, OFFSET + LENGTH) of the file PATH; nothing if it cannot be read whole.
inline std::optional<bytes> read_local_range(const std::filesystem::path& path,
                                             std::uint64_t offset, std::uint64_t length) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(static_cast<std::streamoff>(offset));
  bytes out(length);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(length));
  if (!in || static_cast<std::uint64_t>(in.gcount()) != length) return std::nullopt;
  return out;
}

// Whether NAME is a usage index record's name (log-99999998-GGGGGGGG).
inline bool is_usage_index_name(const std::string& name) {
  const auto id = parse_segment_name(name);
  return id && id->directory == usage_index_directory && id->sequence > 0;
}

// The header and table of the local copy DIR/NEWEST.name, when it is that record:
// the listed size, a sound header naming the listed generation, a sound table. Else
// nothing, and NOTE says why (empty when DIR holds no record at all: a first pass).
inline std::optional<usage_index_lookup> read_local_copy(const std::filesystem::path& dir,
                                                         const segment_info& newest,
                                                         std::string& note) {
  const auto path = dir / newest.name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::uint32_t held = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      if (const auto n = it->path().filename().string(); is_usage_index_name(n))
        held = std::max(held, parse_segment_name(n)->sequence);
    if (held)
      note = "the local copy of the usage index in " + dir.string() + " is stale (generation " +
             std::to_string(held) + ", the store's " + std::to_string(newest.id.sequence) +
             "): read from the store";
    return std::nullopt;
  }
  note = "the local copy " + path.string() +
         " of the usage index is truncated or corrupt: " + "read from the store";
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size != newest.size) return std::nullopt;
  auto head = read_local_range(path, 0, usage_index_header_bytes);
  if (!head) return std::nullopt;
  auto h = decode_usage_index_head(*head);
  if (!h || h->size() != size || h->generation != newest.id.sequence) return std::nullopt;
  auto table_bytes = read_local_range(path, usage_index_header_bytes, h->table_bytes());
  if (!table_bytes) return std::nullopt;
  auto table = decode_usage_table(*h, *table_bytes);
  if (!table) return std::nullopt;
  note.clear();
  usage_index_lookup out;
  out.index = headed_index(*h, std::move(*table));
  out.head = *h;
  out.local = path;
  out.local_bytes_read = head->size() + table_bytes->size();
  return out;
}

// Writes DATA as DIR/NAME (through a temporary file and a rename: a crash leaves the
// old copy or the new one), then removes every other record there.
// Fails: errc::io_error.
inline result<void> write_local_copy(const std::filesystem::path& dir, const std::string& name,
                                     byte_view data) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto tmp = dir / (name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return fail(errc::io_error);
    }
  }
  std::filesystem::rename(tmp, dir / name, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return fail(errc::io_error);
  }
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    if (const auto n = it->path().filename().string(); is_usage_index_name(n) && n != name) {
      std::error_code ignored;
      std::filesystem::remove(it->path(), ignored);
    }
  return {};
}

}  // namespace detail

// The newest record in STORE (the highest generation listed): its header and table
// (two ranged reads), unless HEAD_TOO is false (then only the listing). With LOCAL
// (a directory, usage_index_options::local_copy), they are read from the local copy
// LOCAL/NAME when it is that record (the listed size, sound checksums, the listed
// generation), and the store is only listed; a local copy that is stale or damaged
// costs one note and the store's copy is read. A record that is missing, shorter or
// longer than its header says, damaged, or whose name and generation disagree is
// not an error: the lookup holds no index and NOTE says why.
// Fails: the store's errors other than errc::not_found.
template <segment_store Store>
result<usage_index_lookup> read_usage_index(Store& store, bool head_too = true,
                                            const std::filesystem::path& local = {}) {
  usage_index_lookup out;
  auto listed = store.list(usage_index_directory);
  if (!listed) return fail(listed.error());
  const segment_info* newest = nullptr;
  for (const auto& s : *listed)
    if (s.id.directory == usage_index_directory && s.id.sequence > 0 &&
        (!newest || s.id.sequence > newest->id.sequence))
      newest = &s;
  if (!newest) {
    out.note = "no usage index in the store: full walk";
    return out;
  }
  out.newest_generation = newest->id.sequence;
  out.name = newest->name;
  if (!head_too) return out;
  std::string local_note;
  if (!local.empty()) {
    if (auto copy = detail::read_local_copy(local, *newest, local_note)) {
      copy->newest_generation = out.newest_generation;
      copy->name = out.name;
      return std::move(*copy);
    }
  }
  // The local copy's note, if any, then the store copy's.
  const auto noted = [&](std::string why) {
    out.note = local_note.empty() ? std::move(why) : local_note + "; " + why;
    return out;
  };
  const auto damaged = [&] {
    return noted("usage index " + newest->name + " is truncated or corrupt: ignored, full walk");
  };
  auto head = store.read(newest->name, 0, detail::usage_index_header_bytes);
  if (!head) {
    if (head.error() == make_error_code(errc::not_found))
      return noted("usage index " + newest->name + " vanished: full walk");
    if (head.error() != make_error_code(errc::out_of_range)) return fail(head.error());
    return damaged();
  }
  out.bytes_read += head->size();
  auto h = decode_usage_index_head(*head);
  if (!h || h->size() != newest->size) return damaged();
  if (h->generation != newest->id.sequence)
    return noted("usage index " + newest->name + " holds generation " +
                 std::to_string(h->generation) + ": ignored, full walk");
  auto table_bytes = store.read(newest->name, detail::usage_index_header_bytes, h->table_bytes());
  if (!table_bytes) {  // gone or shorter since the listing: a damaged record
    const auto e = table_bytes.error();
    if (e == make_error_code(errc::not_found) || e == make_error_code(errc::out_of_range))
      return damaged();
    return fail(e);
  }
  out.bytes_read += table_bytes->size();
  auto table = decode_usage_table(*h, *table_bytes);
  if (!table) return damaged();
  out.index = headed_index(*h, std::move(*table));
  out.head = *h;
  out.note = std::move(local_note);
  return out;
}

// The tree of the record LOOKUP found (one ranged read), into LOOKUP.index->tree;
// adds the bytes to LOOKUP.bytes_read. From LOOKUP.local when the header came from
// there (LOOKUP.local_bytes_read): a local tree that is damaged costs one note and
// the store's copy is read. Returns false, with LOOKUP's note saying so,
// when the tree is damaged or the record is gone (the caller then walks in full).
// Fails: the store's errors other than errc::not_found and errc::out_of_range.
template <segment_store Store>
result<bool> read_usage_tree(Store& store, usage_index_lookup& lookup) {
  const auto& h = *lookup.head;
  if (!lookup.local.empty()) {
    auto copy = detail::read_local_range(lookup.local, h.tree_offset(), h.tree_bytes());
    if (copy) lookup.local_bytes_read += copy->size();
    auto tree =
        copy ? decode_usage_tree(h, *copy) : result<detail::live_graph>(fail(errc::io_error));
    if (tree) {
      lookup.index->tree = std::move(*tree);
      return true;
    }
    lookup.note = "the local copy " + lookup.local.string() +
                  " of the usage index is truncated or corrupt: read from the store";
    lookup.local.clear();
  }
  auto data = store.read(lookup.name, h.tree_offset(), h.tree_bytes());
  if (!data && data.error() != make_error_code(errc::not_found) &&
      data.error() != make_error_code(errc::out_of_range))
    return fail(data.error());
  if (data) lookup.bytes_read += data->size();
  auto tree = data ? decode_usage_tree(h, *data) : result<detail::live_graph>(fail(data.error()));
  if (!tree) {
    const auto why = "usage index " + lookup.name + " is truncated or corrupt: ignored, full walk";
    lookup.note = lookup.note.empty() ? why : lookup.note + "; " + why;
    return false;
  }
  lookup.index->tree = std::move(*tree);
  return true;
}

// What write_usage_index did.
struct usage_index_written {
  std::uint64_t bytes = 0;  // of the record
  std::string note;         // the local copy could not be written, and why
};

// Writes X as its generation's object; then, with LOCAL (a directory), the same
// bytes as its local copy there (replacing any other; a failure is only a note:
// the next pass reads the store's copy); then deletes every other record in the
// store (a crash in between leaves both; the newest is used).
// Fails: the store's errors.
template <segment_store Store>
result<usage_index_written> write_usage_index(Store& store, const usage_index& x,
                                              const std::filesystem::path& local = {}) {
  auto name = segment_name(usage_index_segment(x.generation));
  if (!name) return fail(name.error());
  const auto data = encode_usage_index(x);
  CLOUDLOG_TRY_VOID(store.write(*name, data));
  usage_index_written out{data.size(), {}};
  if (!local.empty())
    if (auto w = detail::write_local_copy(local, *name, data); !w)
      out.note = "could not write the local copy of the usage index in " + local.string();
  auto listed = store.list(usage_index_directory);
  if (!listed) return fail(listed.error());
  for (const auto& s : *listed)
    if (s.name != *name) {
      auto r = store.remove(s.name);
      if (!r && r.error() != make_error_code(errc::not_found)) return fail(r.error());
    }
  return out;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_CLEANER_USAGE_INDEX_HPP
