// SPDX-License-Identifier: BSL-1.0
// Root discovery (root.hpp, docs/format.md section 4.1): damage after the last
// checkpoint is never a reason to go back to an older one; a flush interrupted
// before its checkpoint is. Every tool that finds a root uses the one rule: the
// reader, the writer (and so merge and workload) and the cleaner.
#include <catch2/catch.hpp>

#include <set>

#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/root.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

namespace {

constexpr auto type_at = header_offset_v<layout, layout::type_member>;

// What every root-finding tool makes of STORE, against the root ROOT it had before
// the store was damaged and the file contents WANT: each either refuses, or starts
// from ROOT itself and reads every file as it was. Nothing is ever written.
template <class Cipher>
void check_no_tool_goes_back(memory_store& store, const Cipher& c, const location& root,
                             const test::expected_tree& want, const root_rule& rule) {
  const auto before = store.snapshot();
  auto r = reader<memory_store, Cipher>::open(store, c, rule);
  if (r) {
    CHECK(r->found().checkpoint.where == root);
    CHECK(r->found().skipped.empty());
    for (const auto& [path, contents] : want.files) {
      auto n = r->lookup(path);
      if (!n) continue;  // an error is a refusal, never other contents
      auto rec = r->load_inode(*n);
      if (!rec) continue;
      auto got = r->read_file(*rec);
      if (got) CHECK(*got == contents);
    }
  }
  auto fs = filesystem<memory_store, Cipher>::open(store, c, {rule.segment_target});
  if (fs) CHECK(fs->skipped_segments().empty());
  format f;
  f.writer_segment_target = rule.segment_target;
  auto ctx = f.load(store);
  if (ctx) CHECK(ctx->root() == root);
  CHECK(store.snapshot() == before);
}

// The newest directory-0 segment of STORE: its info and bytes.
std::pair<segment_info, bytes> newest_of(memory_store& store) {
  auto seg = store.list(proxy_directory).value().back();
  return {seg, store.read(seg.name, 0, whole_object).value()};
}

}  // namespace

TEST_CASE(
    "a flipped type byte of the newest checkpoint is damage: no tool goes back to the "
    "older checkpoint (issue 17, defect 1)",
    "[formats][bluesky][root][fixtures]") {
  const auto key = test::fixture_cipher();
  memory_store store;
  const auto stage = test::fixtures_dir() / "main" / "stage3-clean1";
  test::load_stage(store, stage);
  auto [seg, data] = newest_of(store);
  const auto at = test::last_item_offset(data) + type_at;
  CHECK(seg.name == "log-00000000-00000001");
  CHECK(at == 99253);  // the byte the report names, derived from the segment
  data[at] ^= std::byte{1};
  REQUIRE(store.write(seg.name, data));
  const auto before = store.snapshot();

  auto r = reader<memory_store, bluesky::cipher>::open(store, key);
  REQUIRE_FALSE(r);
  CHECK(r.error() == make_error_code(errc::damaged_log));
  CHECK_THAT(r.error().what,
             Catch::Contains("log-00000000-00000001 @" + std::to_string(at - type_at)) &&
                 Catch::Contains("unknown type") &&
                 Catch::Contains("the newest older checkpoint ends log-00000000-00000000"));
  auto fs = filesystem<memory_store, bluesky::cipher>::open(store, key);
  REQUIRE_FALSE(fs);
  CHECK(fs.error() == make_error_code(errc::damaged_log));
  auto ctx = format{}.load(store);
  REQUIRE_FALSE(ctx);
  CHECK(ctx.error() == make_error_code(errc::damaged_log));
  CHECK(store.snapshot() == before);

  // The operator's explicit way back: a fresh checkpoint after the damage, at the
  // older root; what only the damaged segment held is gone, as the flag says.
  auto back = filesystem<memory_store, bluesky::cipher>::recover_to(store, key, 0);
  REQUIRE(back);
  CHECK(back->skipped_segments().size() == 1);
  auto after = reader<memory_store, bluesky::cipher>::open(store, key);
  REQUIRE(after);
  CHECK(after->newest_segment().name == "log-00000000-00000002");
  CHECK(after->found().skipped.empty());
  CHECK(format{}.load(store).has_value());
}

TEST_CASE("recovery names a segment that ends with a checkpoint", "[formats][bluesky][root]") {
  const auto key = test::fixture_cipher();
  memory_store store;
  test::load_stage(store, test::fixtures_dir() / "main" / "stage6-merge2");
  const auto before = store.snapshot();
  auto none = filesystem<memory_store, bluesky::cipher>::recover_to(store, key, 9);
  REQUIRE_FALSE(none);
  CHECK(none.error() == make_error_code(errc::no_checkpoint));
  CHECK_THAT(none.error().what, Catch::Contains("sequence 9"));
  CHECK(store.snapshot() == before);
}

TEST_CASE(
    "flipping any byte of the newest checkpoint or inode-map blocks, or truncating the "
    "newest segment anywhere, never makes a tool start from an older root",
    "[formats][bluesky][root][property][fixtures]") {
  const auto key = test::fixture_cipher();
  const no_cipher none;
  for (const auto& stage : test::fixture_stages()) {
    DYNAMIC_SECTION(stage.parent_path().filename().string() << "/" << stage.filename().string()) {
      memory_store store;
      test::load_stage(store, stage);
      const auto want = test::expected_for(stage);
      const bool keyed = !test::is_nocrypto(stage);
      const root_rule rule{};
      const auto root = format{}.load(store).value().root();
      auto [seg, data] = newest_of(store);
      const auto items = parse_segment<layout>(data).value();
      std::vector<std::size_t> bytes_to_flip;
      std::set<std::uint64_t> cuts{0};
      for (const auto& v : items) {
        const bool kept = v.type() == type_byte(item_type::checkpoint) ||
                          v.type() == type_byte(item_type::inode_map);
        for (std::size_t b = v.offset(); kept && b < v.offset() + v.size(); ++b)
          bytes_to_flip.push_back(b);
        for (auto d : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{type_at},
                       std::uint64_t{header_size_v<layout>}, v.size() / 2, v.size() - 1})
          cuts.insert(v.offset() + d);
        if (kept)  // inside the checkpoint and inode-map blocks: every length
          for (std::size_t b = v.offset(); b < v.offset() + v.size(); ++b) cuts.insert(b);
      }
      REQUIRE(bytes_to_flip.size() > 100);
      auto check = [&]() {
        if (keyed)
          check_no_tool_goes_back(store, key, root, want, rule);
        else
          check_no_tool_goes_back(store, none, root, want, rule);
      };
      for (auto b : bytes_to_flip)
        for (auto mask : {std::byte{0x01}, std::byte{0xff}}) {
          auto bad = data;
          bad[b] ^= mask;
          REQUIRE(store.write(seg.name, bad));
          INFO("byte " << b << " of " << seg.name << " xor " << std::to_integer<int>(mask));
          check();
        }
      for (auto cut : cuts) {
        if (cut >= data.size()) continue;
        REQUIRE(store.write(seg.name, bytes(data.begin(), data.begin() + cut)));
        INFO(seg.name << " cut to " << cut << " bytes");
        check();
      }
    }
  }
}

TEST_CASE(
    "a writer's store stays safe under damage to its newest segment, also with small "
    "segments and a multi-segment newest flush",
    "[formats][bluesky][root][property]") {
  // A store written with 20 KB segments whose newest flush spans several of them:
  // a truncated or damaged last segment must not pass for an interrupted flush.
  const no_cipher none;
  const filesystem_options opt{.segment_target = 20000};
  const root_rule rule{opt.segment_target, std::nullopt};
  memory_store store;
  test::expected_tree want;
  {
    auto fs = filesystem<memory_store, no_cipher>::open(store, none, opt).value();
    for (int i = 0; i < 6; ++i) {
      const auto path = "/f" + std::to_string(i);
      bytes b(9000 + 7000 * static_cast<std::size_t>(i));
      for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<std::byte>(k * (i + 3));
      REQUIRE(fs.write(fs.create(path).value(), 0, b));
      want.files[path] = b;
      if (i == 2) REQUIRE(fs.flush());
    }
    REQUIRE(fs.flush()->segments > 2);
  }
  const auto root = format{.writer_segment_target = opt.segment_target}.load(store).value().root();
  auto [seg, data] = newest_of(store);
  const auto items = parse_segment<layout>(data).value();
  for (const auto& v : items)
    for (std::size_t b = v.offset(); b < v.offset() + v.size(); ++b) {
      for (auto mask : {std::byte{0x01}, std::byte{0xff}}) {
        if (v.type() != type_byte(item_type::checkpoint) &&
            v.type() != type_byte(item_type::inode_map) && b != v.offset() + type_at)
          continue;  // flips of data and inode bytes other than the type: not root matters
        auto bad = data;
        bad[b] ^= mask;
        REQUIRE(store.write(seg.name, bad));
        INFO("byte " << b << " xor " << std::to_integer<int>(mask));
        check_no_tool_goes_back(store, none, root, want, rule);
      }
    }
  std::set<std::uint64_t> cuts{0};
  for (const auto& v : items) {
    for (auto d : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{header_size_v<layout>},
                   v.size() / 2, v.size() - 1})
      cuts.insert(v.offset() + d);
    if (v.offset() + v.size() + 4096 >= data.size())  // the last items: every length
      for (auto b = v.offset(); b < v.offset() + v.size(); ++b) cuts.insert(b);
  }
  for (auto cut : cuts) {
    REQUIRE(store.write(seg.name, bytes(data.begin(), data.begin() + cut)));
    INFO("cut to " << cut);
    check_no_tool_goes_back(store, none, root, want, rule);
  }
}
