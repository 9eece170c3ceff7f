// SPDX-License-Identifier: BSL-1.0
// libFuzzer target, structure-aware: edits a real fixture store (../shared/fixtures,
// read in place, copied into a memory_store) and runs the reader over the whole
// tree and a dry-run clean on it.
// The input is a stage selector byte, then edits of 8 bytes each:
//   {u8 segment, u8 kind, u32 LE position, u16 LE value}
// kinds (mod 6): overwrite a byte; truncate; set an item header field (type, inum,
// size1..3) of the item picked by position to an edge value; overwrite a link
// location's field; delete the segment; copy it under the next sequence number.
// Each stage is loaded once per process into its own memory_store; an input's
// edits are made on copies of the segments it touches only, written into that
// store for the run and the stage's bytes written back after it.
// Properties: the reader and the cleaner report every failure as an error code
// (an exception or assertion is a crash); a dry run changes no byte of the store;
// with no edit, the tree reads back as the fixtures README says and the dry run succeeds.
// Everything runs on one thread (no thread per input: ASan keeps memory of each).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/log/segment.hpp"
#include "cloudlog/policy/policies.hpp"
#include "cloudlog/segment_name.hpp"
#include "support.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

namespace {

using objects = std::map<std::string, bytes, std::less<>>;

struct stage {
  objects segments;
  bool encrypted = false;
};

std::filesystem::path fixtures() {
  if (const char* env = std::getenv("CLOUDLOG_SHARED_DIR"))
    return std::filesystem::path(env) / "fixtures" / "bluesky-real";
  return std::filesystem::path(CLOUDLOG_SHARED_DIR) / "fixtures" / "bluesky-real";
}

const std::vector<stage>& stages() {
  static const auto all = [] {
    std::vector<stage> out;
    for (const char* s : {"nocrypto/stage1-write", "main/stage2-overwrite",
                          "main/stage8-merge3-clean4", "sparse/final"}) {
      stage st;
      st.encrypted = std::string_view(s).substr(0, 8) != "nocrypto";
      for (const auto& e : std::filesystem::directory_iterator(fixtures() / s)) {
        std::ifstream in(e.path(), std::ios::binary);
        std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        st.segments[e.path().filename().string()] = to_bytes(b);
      }
      FUZZ_CHECK(!st.segments.empty());
      out.push_back(std::move(st));
    }
    return out;
  }();
  return all;
}

const bluesky::cipher& key() {
  static const auto c = [] {
    auto k = bluesky::cipher::from_master(as_bytes("bluesky-fixture-passphrase"));
    FUZZ_CHECK(k.has_value());
    return std::move(*k);
  }();
  return c;
}

// The header offsets of BlueSky items (docs/format.md, section 1).
constexpr std::size_t field_at[] = {52, 69, 77, 81, 85};
constexpr std::size_t field_size[] = {1, 8, 4, 4, 4};
constexpr std::uint64_t edge[] = {0,          1,    2,    15,     16,         17,
                                  89,         0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff,
                                  0xfffffff0, '1',  '2',  '3',    '4',        4096};

// A segment of an edited stage: the stage's bytes until an edit copies them.
class segment_copy {
 public:
  explicit segment_copy(const bytes& base) : base_(&base) {}
  const bytes& get() const { return own_ ? *own_ : *base_; }
  bytes& edit() {
    if (!own_) own_ = *base_;
    return *own_;
  }
  bool edited() const { return own_.has_value(); }

 private:
  const bytes* base_;
  std::optional<bytes> own_;
};
using edited_objects = std::map<std::string, segment_copy, std::less<>>;

std::vector<std::uint64_t> item_offsets(const bytes& seg) {
  std::vector<std::uint64_t> out;
  for (const auto& it : segment_items<layout>(seg)) {
    if (!it) break;
    out.push_back(it->offset());
  }
  return out;
}

void put_le(bytes& b, std::size_t at, std::size_t n, std::uint64_t v) {
  for (std::size_t i = 0; i < n && at + i < b.size(); ++i)
    b[at + i] = static_cast<std::byte>(v >> (8 * i));
}

std::size_t apply_edits(edited_objects& segs, const std::uint8_t* p, std::size_t n) {
  std::size_t applied = 0;
  for (; n >= 8 && !segs.empty(); p += 8, n -= 8, ++applied) {
    auto it = std::next(segs.begin(), p[0] % segs.size());
    const bytes& b = it->second.get();
    std::uint32_t pos;
    std::uint16_t val;
    std::memcpy(&pos, p + 2, 4);
    std::memcpy(&val, p + 6, 2);
    switch (p[1] % 6) {
      case 0:
        if (!b.empty()) it->second.edit()[pos % b.size()] = static_cast<std::byte>(val);
        break;
      case 1:
        it->second.edit().resize(pos % (b.size() + 1));
        break;
      case 2: {
        const auto items = item_offsets(b);
        if (items.empty()) break;
        const auto f = val % 5;
        put_le(it->second.edit(), items[pos % items.size()] + field_at[f], field_size[f],
               edge[(val >> 3) % std::size(edge)]);
        break;
      }
      case 3: {  // a link location: the last 16 * k bytes of some item
        const auto items = item_offsets(b);
        if (items.empty()) break;
        const auto at = items[pos % items.size()];
        auto v = parse_item<layout>(b, at);
        if (!v || v->link_locations_size() == 0) break;
        const auto locs = at + v->size() - v->link_locations_size();
        const auto which = (val >> 2) % (v->link_locations_size() / 16);
        const auto value = edge[(pos >> 8) % std::size(edge)];
        put_le(it->second.edit(), locs + which * 16 + (val % 4) * 4, 4, value);
        break;
      }
      case 4:
        segs.erase(it);
        break;
      case 5: {
        auto id = parse_segment_name(it->first);
        if (!id) break;
        ++id->sequence;
        if (auto name = segment_name(*id)) {
          segment_copy copy(b);
          copy.edit();  // its own bytes: the original may be edited after
          segs.insert_or_assign(*name, std::move(copy));
        }
        break;
      }
    }
  }
  return applied;
}

// A == B, with memcmp: a byte loop would be traced compare by compare (slow).
bool same(const objects& a, const edited_objects& b) {
  if (a.size() != b.size()) return false;
  auto j = b.begin();
  for (auto i = a.begin(); i != a.end(); ++i, ++j) {
    const auto& jb = j->second.get();
    if (i->first != j->first || i->second.size() != jb.size() ||
        (!jb.empty() && std::memcmp(i->second.data(), jb.data(), jb.size()) != 0))
      return false;
  }
  return true;
}

// The memory_store of each stage, loaded once per process.
memory_store& store_of(std::size_t stage) {
  static auto stores = [] {
    std::vector<std::unique_ptr<memory_store>> out;
    for (const auto& st : stages()) {
      out.push_back(std::make_unique<memory_store>());
      out.back()->restore(st.segments);
    }
    return out;
  }();
  return *stores[stage];
}

// Makes STORE hold SEGS (the stage's segments as edited) from the stage's ORIGINAL.
void install(memory_store& store, const objects& original, const edited_objects& segs) {
  for (const auto& [name, copy] : segs)
    if (copy.edited()) FUZZ_CHECK(store.write(name, copy.get()).has_value());
  for (const auto& [name, b] : original)
    if (!segs.contains(name)) FUZZ_CHECK(store.remove(name).has_value());
}

// Gives STORE back the stage's ORIGINAL segments after SEGS was installed.
void reset(memory_store& store, const objects& original, const edited_objects& segs) {
  for (const auto& [name, copy] : segs) {
    if (!copy.edited()) continue;
    auto o = original.find(name);
    FUZZ_CHECK(o != original.end() ? store.write(name, o->second).has_value()
                                   : store.remove(name).has_value());
  }
  for (const auto& [name, b] : original)
    if (!segs.contains(name)) FUZZ_CHECK(store.write(name, b).has_value());
}

template <class Reader>
void walk(Reader& r, std::uint64_t inum, int depth, int& budget, bool clean_store,
          const std::string& path) {
  if (depth > 8 || --budget < 0) return;
  auto rec = r.load_inode(inum);
  if (!rec) {
    FUZZ_CHECK(!clean_store);
    FUZZ_CHECK(!rec.error().what.empty());  // every failure says what and where
    return;
  }
  switch (rec->node.type) {
    case file_type::directory:
      for (const auto& e : rec->node.entries)
        walk(r, e.inum, depth + 1, budget, clean_store, path + "/" + e.name);
      break;
    case file_type::regular: {
      auto data = r.read_file(*rec, 0, 1 << 20);
      FUZZ_CHECK(data || !clean_store);
      FUZZ_CHECK(data || !data.error().what.empty());
      if (data) FUZZ_CHECK(data->size() <= rec->node.size);
      if (clean_store && path == "/hello.txt") FUZZ_CHECK(as_chars(*data) == "Hello, BlueSky!\n");
      break;
    }
    case file_type::symlink:
      if (clean_store && path == "/link") FUZZ_CHECK(rec->node.target == "hello.txt");
      break;
    default:
      break;
  }
}

template <class Cipher>
void read_all(memory_store& store, const Cipher& c, bool clean_store) {
  auto r = reader<memory_store, Cipher>::open(store, c);
  if (!r) {
    FUZZ_CHECK(!clean_store);
    FUZZ_CHECK(r.error().code.value() != 0 && !r.error().what.empty());
    return;
  }
  int budget = 64;
  walk(*r, root_inum, 0, budget, clean_store, "");
  if (clean_store) FUZZ_CHECK(r->lookup("/subdir/nested.txt").has_value());
  (void)r->lookup("/subdir/nested.txt");
  (void)r->lookup("/no/such");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto which = data[0] % stages().size();
  const auto& st = stages()[which];
  edited_objects segs;
  for (const auto& [name, b] : st.segments) segs.emplace(name, segment_copy(b));
  const bool clean_store = apply_edits(segs, data + 1, size - 1) == 0;

  auto& store = store_of(which);
  install(store, st.segments, segs);
  if (st.encrypted)
    read_all(store, key(), clean_store);
  else
    read_all(store, no_cipher{}, clean_store);

  clean_options dry;
  dry.dry_run = true;
  // The walk's fetches on this thread (the planner's fan-out is reads_ahead + 1):
  // ASan keeps memory of every thread that has ended, so threads started per input
  // made a long run's memory grow ~0.4 KB an input (docs/reliability.md).
  dry.reads_ahead = 0;
  auto report = clean(bluesky::format{}, store, threshold_policy{}, dry);
  FUZZ_CHECK(report || !clean_store);
  if (!report) FUZZ_CHECK(report.error().code.value() != 0);
  FUZZ_CHECK(same(store.snapshot(), segs));  // a dry run writes and deletes nothing
  reset(store, st.segments, segs);
  return 0;
}
