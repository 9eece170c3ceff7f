// SPDX-License-Identifier: BSL-1.0
// The cleaner's usage index: the segment usage table of the last pass and, per
// interior item it walked, the live bytes its subtree holds in each segment, kept in
// the store (in log directories no format lists) so that the next pass reads only
// what changed and updates the table by the difference (docs/format.md, "The usage
// index"; docs/design.md, "The walk phase"). A cache, never the truth: every object
// is checked (checksums, counts, order), and one that fails any check is ignored.
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
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog {

// The log directory of usage index heads: log-99999998-GGGGGGGG, GGGGGGGG the
// head's generation. Beside the cleaner's lease, history and quarantine records
// (log-99999999-*); BlueSky lists directories 0 and 1 only, the tree format its
// two, so no writer or format ever reads or deletes these objects.
inline constexpr std::uint32_t usage_index_directory = max_segment_number - 1;

// The log directory of the heads' summary ranges: log-99999997-SSSSSSSS, SSSSSSSS
// the range's sequence (docs/format.md 14.1).
inline constexpr std::uint32_t usage_range_directory = max_segment_number - 2;

// The head of generation G (1 <= G <= max_segment_number).
inline constexpr segment_id usage_index_segment(std::uint32_t generation) {
  return {usage_index_directory, generation};
}

// The range object with sequence S (1 <= S <= max_segment_number).
inline constexpr segment_id usage_range_segment(std::uint32_t sequence) {
  return {usage_range_directory, sequence};
}

// The generation (or range sequence) after G: they count up and wrap to 1 after
// max_segment_number (the pass that writes a head deletes every other one).
inline constexpr std::uint32_t next_usage_generation(std::uint32_t g) {
  return g >= max_segment_number ? 1 : g + 1;
}

// What one interior item's subtree holds (the item itself included): a fact about
// immutable items, true for as long as the item exists, whichever pass found it.
struct usage_summary {
  location where;
  object_id id;
  std::uint8_t type = 0;
  std::uint64_t nodes = 0;     // items in the subtree (>= 1)
  std::uint64_t interior = 0;  // interior items in it (>= 1)
  // Live bytes per segment, by segment, each segment once, every entry > 0.
  std::vector<std::pair<segment_id, std::uint64_t>> bytes;
};

// What a run of consecutive links of the root holds: LINKS links whose locations
// and ids hash to KEY (run_key in detail/usage_walk.hpp), and SUM, their subtrees'
// counts and live bytes per segment added up (SUM.where, id and type are unused). A
// later root with the same run of links counts the run from it, unread.
struct usage_run {
  std::uint32_t links = 0;
  std::uint64_t key = 0;
  usage_summary sum;
};

// Where a range object is and what it must hold: COUNT summaries sorted by
// location, from FIRST to LAST, SIZE bytes with CRC-64 CRC.
struct usage_range_ref {
  std::uint32_t sequence = 0;
  std::uint32_t count = 0;
  std::uint64_t size = 0;
  std::uint64_t crc = 0;
  location first{}, last{};
};

// One head: what a pass walked. SEGMENTS is its usage table (every segment it
// accounted for, with its size then); RANGES the objects holding the summaries of
// the interior items of its live tree (and possibly of items no longer live: a
// summary is only ever looked up by a live link's location and id).
struct usage_index {
  std::uint32_t generation = 0;
  // Passes since the last full walk, counting the one that wrote the head (0: it
  // walked in full).
  std::uint32_t passes_since_full_walk = 0;
  location root{};               // the root the pass walked from
  object_id root_id;             // and its id
  std::uint64_t items_live = 0;  // items reachable from the root (>= 1)
  std::uint64_t interior = 0;    // interior items among them (>= 1)
  std::uint32_t next_range = 1;  // the sequence the next range object takes
  std::vector<segment_usage> segments;
  std::vector<usage_range_ref> ranges;
  // The root's links cut into runs (by their content: a link ends a run when its
  // hash says so), each run's subtrees summed: a root that changed in a few links
  // is counted from the runs it shares with this one, without their summaries.
  std::vector<usage_run> runs;
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

// Little-endian writer and bounds-checked reader of the objects' fields.
struct index_writer {
  bytes out;
  void u8(std::uint8_t v) { out.push_back(std::byte{v}); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(std::byte(static_cast<std::uint8_t>(v >> (8 * i))));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(std::byte(static_cast<std::uint8_t>(v >> (8 * i))));
  }
  // LEB128: 7 bits a byte, low first, the high bit set on every byte but the last.
  void var(std::uint64_t v) {
    for (; v >= 0x80; v >>= 7) u8(static_cast<std::uint8_t>(v | 0x80));
    u8(static_cast<std::uint8_t>(v));
  }
  void loc(const location& l) {
    u32(l.directory);
    u32(l.sequence);
    u32(l.offset);
    u32(l.size);
  }
  void id(const object_id& v) { out.insert(out.end(), v.value.begin(), v.value.end()); }
  // What a summary says of its subtree: LEB128 items, interior items, the count K
  // of segments, and K times (directory, sequence, bytes).
  void counts(const usage_summary& s) {
    var(s.nodes);
    var(s.interior);
    var(s.bytes.size());
    for (const auto& [seg, n] : s.bytes) {
      var(seg.directory);
      var(seg.sequence);
      var(n);
    }
  }
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
  // A LEB128 of at most 10 bytes, in its shortest form (anything else is damage).
  std::uint64_t var() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto b = u8();
      if (!ok) return 0;
      v |= std::uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        if (shift > 0 && b == 0) ok = false;
        return v;
      }
    }
    ok = false;
    return 0;
  }
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

inline constexpr char usage_index_magic[8] = {'c', 'l', 'u', 's', 'a', 'g', 'e', '3'};
inline constexpr char usage_range_magic[8] = {'c', 'l', 'r', 'a', 'n', 'g', 'e', '1'};
inline constexpr std::size_t usage_index_header_bytes = 128;
inline constexpr std::size_t usage_index_row_bytes = 32;
inline constexpr std::size_t usage_range_ref_bytes = 56;
inline constexpr std::size_t usage_range_header_bytes = 16;
// Summaries a range object holds at most (a full walk writes them in such objects):
// few enough that a pass looking up the children of a few changed items reads a few
// KB, not every summary of their level (~43 B a summary: ~5.5 KB an object).
inline constexpr std::size_t usage_range_capacity = 128;
// Ranges a head references at most (older ones are dropped: their items are read again).
inline constexpr std::size_t usage_range_limit = 1024;

}  // namespace detail

// The head's bytes (docs/format.md 14.1): a 128-byte header (magic "clusage3",
// generation, passes since the full walk, root location and id, the counts of
// segments and ranges, the live and interior items, the next range sequence, the
// count of root runs, the CRC-64s of the table, the range list and the runs), its
// own CRC-64, then the table (32 bytes a segment), the range list (56 bytes a range)
// and the runs (links u32, key u64, then the counts as a summary's).
inline bytes encode_usage_index(const usage_index& x) {
  detail::index_writer body;
  for (const auto& s : x.segments) {
    body.u32(s.id.directory);
    body.u32(s.id.sequence);
    body.u64(s.size);
    body.u64(s.live);
    body.u64(s.age);
  }
  const auto table_bytes = body.out.size();
  for (const auto& r : x.ranges) {
    body.u32(r.sequence);
    body.u32(r.count);
    body.u64(r.size);
    body.u64(r.crc);
    body.loc(r.first);
    body.loc(r.last);
  }
  const auto list_bytes = body.out.size() - table_bytes;
  for (const auto& r : x.runs) {
    body.u32(r.links);
    body.u64(r.key);
    body.counts(r.sum);
  }
  const byte_view all(body.out);
  detail::index_writer h;
  h.out.reserve(detail::usage_index_header_bytes + all.size());
  for (char c : detail::usage_index_magic) h.u8(static_cast<std::uint8_t>(c));
  h.u32(x.generation);
  h.u32(x.passes_since_full_walk);
  h.loc(x.root);
  h.id(x.root_id);
  h.u64(x.segments.size());
  h.u64(x.ranges.size());
  h.u64(x.items_live);
  h.u64(x.interior);
  h.u32(x.next_range);
  h.u32(0);
  h.u64(x.runs.size());
  h.u64(detail::crc64(all.first(table_bytes)));
  h.u64(detail::crc64(all.subspan(table_bytes, list_bytes)));
  h.u64(detail::crc64(all.subspan(table_bytes + list_bytes)));
  h.u64(detail::crc64(h.out));
  h.out.insert(h.out.end(), all.begin(), all.end());
  return std::move(h.out);
}

namespace detail {

inline bool sound_range_ref(const usage_range_ref& r) {
  return r.sequence >= 1 && r.sequence <= max_segment_number && r.count >= 1 &&
         r.count <= usage_range_capacity * 64 && r.first <= r.last &&
         r.size >= usage_range_header_bytes;
}

// What a summary says of its subtree (index_writer::counts), checked: items >= 1,
// interior items >= MIN_INTERIOR and <= items, segments in increasing order, each
// with bytes > 0.
inline bool decode_counts(index_reader& r, usage_summary& s, std::uint64_t min_interior = 1) {
  s.nodes = r.var();
  s.interior = r.var();
  const auto k = r.var();
  if (!r.ok || s.nodes == 0 || s.interior < min_interior || s.interior > s.nodes || k == 0 ||
      k > r.in.size() - r.at)
    return false;
  s.bytes.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    const auto d = r.var(), q = r.var(), n = r.var();
    if (d > max_segment_number || q > max_segment_number || n == 0) return false;
    s.bytes[i] = {segment_id{static_cast<std::uint32_t>(d), static_cast<std::uint32_t>(q)}, n};
    if (i > 0 && !(s.bytes[i - 1].first < s.bytes[i].first)) return false;
  }
  return r.ok;
}

// The table, range list and runs of head X from BODY (what follows the header),
// whose CRCs CRCS (table, range list, runs) the header gives.
inline bool decode_head_body(usage_index& x, byte_view body,
                             const std::array<std::uint64_t, 3>& crcs) {
  const auto table_bytes = x.segments.size() * usage_index_row_bytes;
  const auto list_bytes = x.ranges.size() * usage_range_ref_bytes;
  if (body.size() < table_bytes + list_bytes || crc64(body.first(table_bytes)) != crcs[0] ||
      crc64(body.subspan(table_bytes, list_bytes)) != crcs[1] ||
      crc64(body.subspan(table_bytes + list_bytes)) != crcs[2])
    return false;
  index_reader t{body};
  for (auto& s : x.segments) {
    s.id.directory = t.u32();
    s.id.sequence = t.u32();
    s.size = t.u64();
    s.live = t.u64();
    s.age = t.u64();
  }
  for (auto& r : x.ranges) {
    r.sequence = t.u32();
    r.count = t.u32();
    r.size = t.u64();
    r.crc = t.u64();
    r.first = t.loc();
    r.last = t.loc();
    if (!sound_range_ref(r)) return false;
  }
  for (auto& r : x.runs) {
    r.links = t.u32();
    r.key = t.u64();
    if (r.links == 0 || !decode_counts(t, r.sum, 0)) return false;
  }
  return t.ok && t.at == body.size();
}

}  // namespace detail

// Parses what encode_usage_index writes and checks all of it (header, exact length,
// table, range list).
// Fails: errc::corrupt_payload (truncated, damaged, not a head).
inline result<usage_index> decode_usage_index(byte_view data) {
  using detail::usage_index_header_bytes;
  if (data.size() < usage_index_header_bytes) return fail(errc::corrupt_payload);
  detail::index_reader r{data.first(usage_index_header_bytes)};
  for (char c : detail::usage_index_magic)
    if (r.u8() != static_cast<std::uint8_t>(c)) return fail(errc::corrupt_payload);
  usage_index x;
  x.generation = r.u32();
  x.passes_since_full_walk = r.u32();
  x.root = r.loc();
  x.root_id = r.id();
  const auto segments = r.u64(), ranges = r.u64();
  x.items_live = r.u64();
  x.interior = r.u64();
  x.next_range = r.u32();
  const auto reserved = r.u32();
  const auto runs = r.u64();
  const std::array<std::uint64_t, 3> crcs{r.u64(), r.u64(), r.u64()};
  const auto crc = r.u64();
  // Each run takes at least 18 bytes (links, key, three counts, one segment).
  const auto fixed = usage_index_header_bytes + segments * detail::usage_index_row_bytes +
                     ranges * detail::usage_range_ref_bytes;
  if (!r.ok || crc != detail::crc64(data.first(usage_index_header_bytes - 8)) || reserved != 0 ||
      x.interior == 0 || x.interior > x.items_live || segments > (std::uint64_t{1} << 32) ||
      ranges > (std::uint64_t{1} << 24) || runs > (std::uint64_t{1} << 24) || x.next_range == 0 ||
      data.size() < fixed + 18 * runs || (runs == 0 && data.size() != fixed))
    return fail(errc::corrupt_payload);
  x.segments.resize(segments);
  x.ranges.resize(ranges);
  x.runs.resize(runs);
  if (!detail::decode_head_body(x, data.subspan(usage_index_header_bytes), crcs))
    return fail(errc::corrupt_payload);
  return x;
}

// A range object's bytes: magic "clrange1", the count (u64), then each summary:
// location (4 x u32), id (16), type (u8), then LEB128s: nodes, interior, the count K
// of segments, and K times (directory, sequence, bytes).
// REQUIRES: SUMMARIES sorted by location, no location twice.
inline bytes encode_usage_range(std::span<const usage_summary> summaries) {
  detail::index_writer w;
  for (char c : detail::usage_range_magic) w.u8(static_cast<std::uint8_t>(c));
  w.u64(summaries.size());
  for (const auto& s : summaries) {
    w.loc(s.where);
    w.id(s.id);
    w.u8(s.type);
    w.counts(s);
  }
  return std::move(w.out);
}

namespace detail {

// One summary of a range object, checked (counts, segments in order, bytes > 0).
inline bool decode_summary(index_reader& r, usage_summary& s) {
  s.where = r.loc();
  s.id = r.id();
  s.type = r.u8();
  return r.ok && decode_counts(r, s);
}

}  // namespace detail

// The summaries of the range object REF names, from its bytes DATA, checked against
// REF (size, CRC-64, count, first and last) and in strictly increasing order.
// Fails: errc::corrupt_payload (truncated, damaged, stale: not the object REF names).
inline result<std::vector<usage_summary>> decode_usage_range(const usage_range_ref& ref,
                                                             byte_view data) {
  if (data.size() != ref.size || detail::crc64(data) != ref.crc) return fail(errc::corrupt_payload);
  detail::index_reader r{data};
  for (char c : detail::usage_range_magic)
    if (r.u8() != static_cast<std::uint8_t>(c)) return fail(errc::corrupt_payload);
  if (r.u64() != ref.count) return fail(errc::corrupt_payload);
  std::vector<usage_summary> out(ref.count);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!detail::decode_summary(r, out[i]) || (i > 0 && !(out[i - 1].where < out[i].where)))
      return fail(errc::corrupt_payload);
  if (r.at != data.size() || out.front().where != ref.first || out.back().where != ref.last)
    return fail(errc::corrupt_payload);
  return out;
}

// The reference a head keeps to the range object SEQUENCE holding SUMMARIES, DATA
// being encode_usage_range(SUMMARIES). REQUIRES: SUMMARIES not empty.
inline usage_range_ref usage_range_ref_of(std::uint32_t sequence,
                                          std::span<const usage_summary> summaries,
                                          byte_view data) {
  return {sequence,
          static_cast<std::uint32_t>(summaries.size()),
          data.size(),
          detail::crc64(data),
          summaries.front().where,
          summaries.back().where};
}

// What looking for the newest head found: the head, or why there is none to use
// (NOTE: one line for the report; empty when a head was found).
struct usage_index_lookup {
  std::optional<usage_index> index;
  std::string name;  // of the newest head listed
  std::string note;
  std::uint64_t bytes_read = 0;         // of the head and ranges, from the store
  std::uint32_t newest_generation = 0;  // the highest listed, usable or not (0: none)
  // The local directory (usage_index_options::local_copy) ranges are read from and
  // copied to; empty: none.
  std::filesystem::path local_dir;
  bool local = false;                  // the head came from the local copy
  std::uint64_t local_bytes_read = 0;  // of the local copy (head and ranges)
};

namespace detail {

// The file PATH whole, if it holds exactly SIZE bytes; else nothing.
inline std::optional<bytes> read_local_file(const std::filesystem::path& path, std::uint64_t size) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || std::filesystem::file_size(path, ec) != size ||
      ec)
    return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  bytes out(size);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  if (!in || static_cast<std::uint64_t>(in.gcount()) != size) return std::nullopt;
  return out;
}

// Writes DATA as DIR/NAME through a temporary file and a rename (a crash leaves the
// old file or the new one). Fails: errc::io_error.
inline result<void> write_local_file(const std::filesystem::path& dir, const std::string& name,
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
  return {};
}

// Whether NAME is a head's name (log-99999998-GGGGGGGG), or a range's
// (log-99999997-SSSSSSSS) when RANGE.
inline bool is_usage_index_name(const std::string& name, bool range = false) {
  const auto id = parse_segment_name(name);
  return id && id->sequence > 0 &&
         id->directory == (range ? usage_range_directory : usage_index_directory);
}

// The highest generation of a head held in DIR (0: none).
inline std::uint32_t local_generation(const std::filesystem::path& dir) {
  std::error_code ec;
  std::uint32_t held = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    if (const auto n = it->path().filename().string(); is_usage_index_name(n))
      held = std::max(held, parse_segment_name(n)->sequence);
  return held;
}

// The head NEWEST from the local copy in DIR, when it holds that head (the listed
// size and generation, sound checksums); else nothing, and NOTE says why (empty when
// DIR holds no head at all: a first pass).
inline std::optional<usage_index> read_local_head(const std::filesystem::path& dir,
                                                  const segment_info& newest, std::string& note,
                                                  std::uint64_t& bytes_read) {
  const auto path = dir / newest.name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (const auto held = local_generation(dir))
      note = "the local copy of the usage index in " + dir.string() + " is stale (generation " +
             std::to_string(held) + ", the store's " + std::to_string(newest.id.sequence) +
             "): read from the store";
    return std::nullopt;
  }
  note = "the local copy " + path.string() +
         " of the usage index is truncated or corrupt: read from the store";
  auto data = read_local_file(path, newest.size);
  if (!data) return std::nullopt;
  bytes_read += data->size();
  auto x = decode_usage_index(*data);
  if (!x || x->generation != newest.id.sequence) return std::nullopt;
  note.clear();
  return std::move(*x);
}

// Adds WHY to NOTE ("; " between notes).
inline void add_note(std::string& note, const std::string& why) {
  note = note.empty() ? why : note + "; " + why;
}

}  // namespace detail

// The newest head in STORE (the highest generation listed), read whole (one read),
// unless HEAD_TOO is false (then only the listing). With LOCAL (a directory,
// usage_index_options::local_copy), it is read from the local copy LOCAL/NAME when
// that is the same head (the listed size, sound checksums, the listed generation),
// and the store is only listed; a local copy that is stale or damaged costs one note
// and the store's copy is read. A head that is missing, damaged, or whose name and
// generation disagree is not an error: the lookup holds no index and NOTE says why.
// Fails: the store's errors other than errc::not_found and errc::out_of_range.
template <segment_store Store>
result<usage_index_lookup> read_usage_index(Store& store, bool head_too = true,
                                            const std::filesystem::path& local = {}) {
  usage_index_lookup out;
  out.local_dir = local;
  auto listed = store.list(usage_index_directory);
  if (!listed) return fail(listed.error());
  const segment_info* newest = nullptr;
  for (const auto& s : *listed)
    if (detail::is_usage_index_name(s.name) && (!newest || s.id.sequence > newest->id.sequence))
      newest = &s;
  if (!newest) {
    out.note = "no usage index in the store: full walk";
    return out;
  }
  out.newest_generation = newest->id.sequence;
  out.name = newest->name;
  if (!head_too) return out;
  if (!local.empty()) {
    out.index = detail::read_local_head(local, *newest, out.note, out.local_bytes_read);
    if ((out.local = out.index.has_value())) return out;
  }
  auto data = store.read(newest->name, 0, whole_object);
  if (!data) {
    const auto e = data.error();
    if (e != make_error_code(errc::not_found) && e != make_error_code(errc::out_of_range))
      return fail(e);
    detail::add_note(out.note, "usage index " + newest->name + " vanished: full walk");
    return out;
  }
  out.bytes_read += data->size();
  auto x = decode_usage_index(*data);
  if (!x) {
    detail::add_note(
        out.note, "usage index " + newest->name + " is truncated or corrupt: ignored, full walk");
    return out;
  }
  if (x->generation != newest->id.sequence) {
    detail::add_note(out.note, "usage index " + newest->name + " holds generation " +
                                   std::to_string(x->generation) + ": ignored, full walk");
    return out;
  }
  out.index = std::move(*x);
  return out;
}

// The summaries of the range REF of the head LOOKUP found: from LOOKUP.local_dir
// when it holds that object (else it is read from the store and, when the local
// directory is set, copied there). Nothing, with LOOKUP's note saying so, when the
// object is missing, truncated, damaged or stale (not what REF names): the caller
// then walks in full.
// Fails: the store's errors other than errc::not_found and errc::out_of_range.
template <segment_store Store>
result<std::optional<std::vector<usage_summary>>> read_usage_range(Store& store,
                                                                   usage_index_lookup& lookup,
                                                                   const usage_range_ref& ref) {
  using out_type = std::optional<std::vector<usage_summary>>;
  auto name = segment_name(usage_range_segment(ref.sequence));
  if (!name) return fail(name.error());
  if (!lookup.local_dir.empty())
    if (auto copy = detail::read_local_file(lookup.local_dir / *name, ref.size)) {
      lookup.local_bytes_read += copy->size();
      if (auto s = decode_usage_range(ref, *copy)) return out_type(std::move(*s));
    }
  auto data = store.read(*name, 0, ref.size);
  if (!data && data.error() != make_error_code(errc::not_found) &&
      data.error() != make_error_code(errc::out_of_range))
    return fail(data.error());
  if (data) lookup.bytes_read += data->size();
  auto s = data ? decode_usage_range(ref, *data)
                : result<std::vector<usage_summary>>(fail(errc::not_found));
  if (!s) {
    detail::add_note(lookup.note, "usage index range " + *name +
                                      (data ? " is truncated or corrupt" : " is missing") +
                                      ": ignored, full walk");
    return out_type();
  }
  if (!lookup.local_dir.empty()) (void)detail::write_local_file(lookup.local_dir, *name, *data);
  return out_type(std::move(*s));
}

// What write_usage_index did.
struct usage_index_written {
  std::uint64_t bytes = 0;  // of the head and the new ranges
  std::string note;         // the local copy could not be written, and why
};

namespace detail {

// Deletes every object of DIRECTORY in STORE that KEEP (sorted names) does not hold.
// Fails: the store's errors other than errc::not_found.
template <segment_store Store>
result<void> remove_all_but(Store& store, std::uint32_t directory,
                            const std::vector<std::string>& keep) {
  auto listed = store.list(directory);
  if (!listed) return fail(listed.error());
  for (const auto& s : *listed)
    if (!std::binary_search(keep.begin(), keep.end(), s.name)) {
      auto r = store.remove(s.name);
      if (!r && r.error() != make_error_code(errc::not_found)) return fail(r.error());
    }
  return {};
}

// Removes from DIR every head and range file that KEEP (sorted names) does not hold.
inline void remove_local_but(const std::filesystem::path& dir,
                             const std::vector<std::string>& keep) {
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    if (const auto n = it->path().filename().string();
        (is_usage_index_name(n) || is_usage_index_name(n, true)) &&
        !std::binary_search(keep.begin(), keep.end(), n)) {
      std::error_code ignored;
      std::filesystem::remove(it->path(), ignored);
    }
}

// The names of X and of every range it references, sorted.
inline std::vector<std::string> usage_index_names(const usage_index& x) {
  std::vector<std::string> out{segment_name(usage_index_segment(x.generation)).value_or("")};
  for (const auto& r : x.ranges)
    out.push_back(segment_name(usage_range_segment(r.sequence)).value_or(""));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace detail

// Writes the new range objects NEW_RANGES (name, bytes: the ranges of X that no
// earlier head referenced), then X as its generation's head; then, with LOCAL (a
// directory), the same bytes as local copies there (a failure is only a note: the
// next pass reads the store's copies); then deletes every other head and every range
// X does not reference, in the store and in LOCAL (a crash in between leaves both
// heads, each with its ranges; the newest is used).
// Fails: the store's errors.
template <segment_store Store>
result<usage_index_written> write_usage_index(
    Store& store, const usage_index& x,
    const std::vector<std::pair<std::string, bytes>>& new_ranges,
    const std::filesystem::path& local = {}) {
  auto name = segment_name(usage_index_segment(x.generation));
  if (!name) return fail(name.error());
  usage_index_written out;
  for (const auto& [n, data] : new_ranges) {
    CLOUDLOG_TRY_VOID(store.write(n, data));
    out.bytes += data.size();
  }
  const auto head = encode_usage_index(x);
  CLOUDLOG_TRY_VOID(store.write(*name, head));
  out.bytes += head.size();
  const auto keep = detail::usage_index_names(x);
  if (!local.empty()) {
    bool ok = true;
    for (const auto& [n, data] : new_ranges) ok = ok && detail::write_local_file(local, n, data);
    ok = ok && detail::write_local_file(local, *name, head);
    if (!ok) out.note = "could not write the local copy of the usage index in " + local.string();
    detail::remove_local_but(local, keep);
  }
  CLOUDLOG_TRY_VOID(detail::remove_all_but(store, usage_index_directory, keep));
  CLOUDLOG_TRY_VOID(detail::remove_all_but(store, usage_range_directory, keep));
  return out;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_CLEANER_USAGE_INDEX_HPP
