// SPDX-License-Identifier: BSL-1.0
// The engine instantiated for BlueSky, on copies of the real fixture stages: it
// relocates the items the original cleaner relocated, measures the bytes the
// original's benchlog (main/cleaner-benchlog.txt) recorded, and deletes what it deleted.
#include <catch2/catch.hpp>

#include <functional>
#include <set>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"
#include "cloudlog/policy/policies.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/benchlog.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {

const std::vector<test::benchlog_run>& benchlog() {
  static const auto runs = test::parse_benchlog(test::fixtures_dir() / "main/cleaner-benchlog.txt");
  return runs;
}

std::filesystem::path stage(const char* name) {
  return test::fixtures_dir() / "main" / name;
}

// Ids of the items of TYPE in the segment files of DIR named NAMES (or all of directory 1).
std::set<object_id> ids_of(const std::filesystem::path& dir, bs::item_type type,
                           std::uint32_t directory = 1) {
  std::set<object_id> out;
  auto store = file_store::open(dir).value();
  const auto listed = store.list(directory).value();
  for (const auto& seg : listed) {
    auto data = store.read(seg.name, 0, whole_object).value();
    const auto items = parse_segment<bs::layout>(data).value();
    for (const auto& v : items)
      if (v.type() == bs::type_byte(type)) out.insert(v.id());
  }
  return out;
}

std::set<std::string> names(file_store& store) {
  std::set<std::string> out;
  for (auto d : {0u, 1u}) {
    const auto listed = store.list(d).value();
    for (const auto& s : listed) out.insert(s.name);
  }
  return out;
}
std::set<std::string> names(file_store&& store) {
  return names(store);
}

// The original cleaner's mode: threshold 0.6, one age class, whole-file relocation,
// no utilization target.
const threshold_policy original_policy{0.6, {}, age_placement{1}};
clean_options original_mode() {
  clean_options o;
  o.mode = relocation_mode::whole_parent;
  o.target_utilization = 1.0;
  return o;
}

}  // namespace

TEST_CASE("Original mode on stage2 relocates exactly the items the original did in stage3",
          "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage2-overwrite"), dir.path());
  auto store = file_store::open(dir.path()).value();
  auto r = clean(bs::format{}, store, original_policy, original_mode());
  REQUIRE(r);
  CHECK(r->status == clean_status::cleaned);
  REQUIRE(r->plan.victims.size() == 1);
  CHECK(r->plan.victims[0].id == segment_id{0, 0});
  // The original cleaner's run 1 on the same stage (cleaner-benchlog.txt).
  const auto& run = benchlog().at(0);
  CHECK(r->stats.bytes_used == run.bytes_used);
  CHECK(r->stats.bytes_wasted == run.bytes_wasted);
  CHECK(r->stats.bytes_freed == run.bytes_freed);
  const auto original = stage("stage3-clean1");
  CHECK(ids_of(dir.path(), bs::item_type::data) == ids_of(original, bs::item_type::data));
  CHECK(ids_of(dir.path(), bs::item_type::inode) == ids_of(original, bs::item_type::inode));
  CHECK(ids_of(dir.path(), bs::item_type::data).size() == 6);
  CHECK(ids_of(dir.path(), bs::item_type::inode).size() == 6);
  // Three segments, the checkpoint last in the highest one, vv (0, 1), range [0, 4095].
  REQUIRE(r->written.size() == 3);
  CHECK(r->written.back().id == segment_id{1, 2});
  auto last = store.read(r->written.back().name, 0, whole_object).value();
  auto items = parse_segment<bs::layout>(last).value();
  REQUIRE(items.back().type() == bs::type_byte(bs::item_type::checkpoint));
  CHECK(items.back().header().crypt_auth == bs::tag_bytes{});
  auto cp = bs::decode_checkpoint(items.back().payload()).value();
  CHECK(cp.version_vector == std::vector<bs::version_entry>{{0, 1}});
  CHECK(cp.ranges == std::vector<bs::inode_range>{{0, 4095}});
  // Every link of the new checkpoint and of the inode maps it names resolves: the
  // item at the location has the id the link carries.
  std::size_t resolved = 0;
  std::function<void(const item_view<bs::layout>&)> follow = [&](const item_view<bs::layout>& v) {
    if (v.type() == bs::type_byte(bs::item_type::inode)) return;
    for (const auto& l : v.links()) {
      REQUIRE(l.where);
      auto seg = store.read(segment_name(l.where->segment()).value(), 0, whole_object).value();
      auto child = parse_item<bs::layout>(seg, l.where->offset);
      REQUIRE(child);
      CHECK(child->id() == l.id);
      CHECK(child->size() == l.where->size);
      ++resolved;
      follow(*child);
    }
  };
  follow(items.back());
  CHECK(resolved == 1 + 6);
  // The proxy's segments are untouched.
  CHECK(store.read("log-00000000-00000000", 0, whole_object).value() ==
        test::read_file(stage("stage2-overwrite") / "log-00000000-00000000"));
}

TEST_CASE("Default mode relocates only the live items inside the victims",
          "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage2-overwrite"), dir.path());
  auto store = file_store::open(dir.path()).value();
  auto r = clean(bs::format{}, store, threshold_policy{}, clean_options{});
  REQUIRE(r);
  CHECK(r->status == clean_status::cleaned);
  // Live data in 0/0: hello.txt's block, big.bin's last block, nested.txt's block.
  CHECK(r->stats.items_relocated == 3);
  CHECK(r->plan.bytes_to_relocate == 105 + 1785 + 110);
  const auto data = ids_of(dir.path(), bs::item_type::data);
  CHECK(data.size() == 3);
  for (const auto& id : data) CHECK(ids_of(stage("stage3-clean1"), bs::item_type::data).count(id));
  // Every inode is rewritten: five lived in 0/0, big.bin's has a block that moved.
  CHECK(ids_of(dir.path(), bs::item_type::inode) ==
        ids_of(stage("stage3-clean1"), bs::item_type::inode));
}

TEST_CASE("Unmerged cleaner output makes the engine wait, deleting nothing",
          "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage3-clean1"), dir.path());
  auto store = file_store::open(dir.path()).value();
  const auto before = names(store);
  auto r = clean(bs::format{}, store, original_policy, original_mode());
  REQUIRE(r);
  CHECK(r->status == clean_status::waiting_for_writer);
  CHECK(r->written.empty());
  CHECK(names(store) == before);
}

TEST_CASE("delete_only on stage4 deletes the unreferenced generation and nothing else",
          "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage4-merge1-vacuous"), dir.path());
  auto store = file_store::open(dir.path()).value();
  const auto before = names(store);
  auto options = original_mode();
  options.delete_only = true;
  auto r = clean(bs::format{}, store, original_policy, options);
  REQUIRE(r);
  CHECK(r->status == clean_status::nothing_to_do);
  CHECK(r->plan.victims.empty());
  CHECK(r->written.empty());
  CHECK(r->stats.items_relocated == 0);
  CHECK(r->stats.bytes_written == 0);
  CHECK(r->stats.requests.put.requests == 0);
  // The same segments the full pass 2 deletes (the original's run 2 frees as much).
  CHECK(r->stats.segments_deleted == 2);
  CHECK(r->stats.bytes_freed == benchlog().at(1).bytes_freed);
  auto after = names(store);
  CHECK(after.size() == before.size() - 2);
  for (const auto& d : r->plan.deletions) CHECK_FALSE(after.count(d.name));
  // And a full pass afterwards cleans as pass 2 does, with nothing left to delete.
  auto full = clean(bs::format{}, store, original_policy, original_mode());
  REQUIRE(full);
  CHECK(full->status == clean_status::cleaned);
  CHECK(full->stats.segments_deleted == 0);
  const auto original = stage("stage5-clean2");
  CHECK(ids_of(dir.path(), bs::item_type::data) == ids_of(original, bs::item_type::data));
}

TEST_CASE("delete_only before the merge deletes nothing and waits for the writer",
          "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage3-clean1"), dir.path());
  auto store = file_store::open(dir.path()).value();
  const auto before = names(store);
  auto options = original_mode();
  options.delete_only = true;
  auto r = clean(bs::format{}, store, original_policy, options);
  REQUIRE(r);
  CHECK(r->status == clean_status::waiting_for_writer);
  CHECK(r->stats.segments_deleted == 0);
  CHECK(names(store) == before);
}

TEST_CASE("Pass 2 on stage4 deletes the unreferenced generation and recleans as the original",
          "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage4-merge1-vacuous"), dir.path());
  auto store = file_store::open(dir.path()).value();
  auto r = clean(bs::format{}, store, original_policy, original_mode());
  REQUIRE(r);
  CHECK(r->status == clean_status::cleaned);
  // The original cleaner's run 2 on the same stage (cleaner-benchlog.txt).
  const auto& run = benchlog().at(1);
  CHECK(r->stats.bytes_used == run.bytes_used);
  CHECK(r->stats.bytes_wasted == run.bytes_wasted);
  CHECK(r->stats.bytes_freed == run.bytes_freed);
  CHECK(r->stats.segments_deleted == 2);
  const auto original = stage("stage5-clean2");
  CHECK(ids_of(dir.path(), bs::item_type::data) == ids_of(original, bs::item_type::data));
  CHECK(ids_of(dir.path(), bs::item_type::inode) == ids_of(original, bs::item_type::inode));
  CHECK(names(store) == names(*file_store::open(original)));
  // The items are views into BYTES, which must outlive them.
  const auto bytes = store.read("log-00000001-00000005", 0, whole_object).value();
  auto last = parse_segment<bs::layout>(bytes);
  auto cp = bs::decode_checkpoint(last.value().back().payload()).value();
  CHECK(cp.version_vector == std::vector<bs::version_entry>{{0, 2}, {1, 2}});
}

TEST_CASE("Pass 3 on stage6 deletes every dead segment older than the version vector",
          "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage6-merge2"), dir.path());
  auto store = file_store::open(dir.path()).value();
  auto r = clean(bs::format{}, store, original_policy, original_mode());
  REQUIRE(r);
  // Nothing is below the threshold: we write no checkpoint-only generation (the
  // original did, 1/6), but delete exactly what it deleted.
  CHECK(r->status == clean_status::nothing_to_do);
  // The original cleaner's run 3 on the same stage (cleaner-benchlog.txt).
  const auto& run = benchlog().at(2);
  CHECK(r->stats.bytes_used == run.bytes_used);
  CHECK(r->stats.bytes_wasted == run.bytes_wasted);
  CHECK(r->stats.bytes_freed == run.bytes_freed);
  auto expected = names(*file_store::open(stage("stage7-clean3")));
  expected.erase("log-00000001-00000006");
  CHECK(names(store) == expected);
}

TEST_CASE("Pass 4 after merge 3 deletes the old cleaner checkpoint segment",
          "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage7-clean3"), dir.path());
  std::filesystem::copy_file(stage("stage8-merge3-clean4") / "log-00000000-00000004",
                             dir.path() / "log-00000000-00000004");
  auto store = file_store::open(dir.path()).value();
  auto r = clean(bs::format{}, store, original_policy, original_mode());
  REQUIRE(r);
  // The original cleaner's run 4 on the same stage (cleaner-benchlog.txt).
  const auto& run = benchlog().at(3);
  CHECK(r->stats.bytes_used == run.bytes_used);
  CHECK(r->stats.bytes_wasted == run.bytes_wasted);
  CHECK(r->stats.bytes_freed == run.bytes_freed);
  CHECK_FALSE(store.read("log-00000001-00000005", 0, 1));
}

TEST_CASE("A dry run plans and leaves the store byte-identical", "[cleaner][bluesky][fixtures]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage4-merge1-vacuous"), dir.path());
  auto store = file_store::open(dir.path()).value();
  clean_options o = original_mode();
  o.dry_run = true;
  auto r = clean(bs::format{}, store, original_policy, o);
  REQUIRE(r);
  CHECK(r->plan.victims.size() == 1);
  CHECK(r->plan.deletions.size() == 2);
  CHECK(r->plan.bytes_to_free_now == 101896);
  CHECK(r->stats.requests.put.requests == 0);
  CHECK(r->stats.requests.remove.requests == 0);
  for (const auto& f : test::stage_segments(stage("stage4-merge1-vacuous")))
    CHECK(store.read(f.filename().string(), 0, whole_object).value() == test::read_file(f));
  CHECK(names(store).size() == 6);
}

namespace {
bs::cipher fixture_cipher(std::string_view passphrase = "bluesky-fixture-passphrase") {
  return bs::cipher::from_master(as_bytes(passphrase)).value();
}
}  // namespace

TEST_CASE("With the key, every relocated item is verified first and the result is the same",
          "[cleaner][bluesky][fixtures][crypto]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage2-overwrite"), dir.path());
  auto store = file_store::open(dir.path()).value();
  const auto cipher = fixture_cipher();
  std::size_t verified = 0;
  auto r = clean(bs::format{}, store, original_policy, original_mode(), [&](byte_view item) {
    ++verified;
    return cipher.verify(item) == tag_status::ok;
  });
  REQUIRE(r);
  CHECK(r->stats.items_rejected == 0);
  CHECK(verified == 12);  // six blocks, six inodes
  CHECK(ids_of(dir.path(), bs::item_type::data) ==
        ids_of(stage("stage3-clean1"), bs::item_type::data));
}

TEST_CASE("With the key, a tampered live item is not relocated, is reported, and stays",
          "[cleaner][bluesky][fixtures][crypto]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage2-overwrite"), dir.path());
  // Flip one payload bit of hello.txt's block (0/0 @ 0, 105 bytes): its tag no longer verifies.
  auto seg = test::read_file(dir.path() / "log-00000000-00000000");
  seg[89 + 3] ^= std::byte{0x01};
  std::filesystem::remove(dir.path() / "log-00000000-00000000");
  auto store = file_store::open(dir.path()).value();
  REQUIRE(store.write("log-00000000-00000000", seg));
  const auto cipher = fixture_cipher();
  auto r = clean(bs::format{}, store, original_policy, original_mode(),
                 [&](byte_view item) { return cipher.verify(item) == tag_status::ok; });
  REQUIRE(r);
  REQUIRE(r->rejected.size() == 1);
  CHECK(r->rejected[0].segment == "log-00000000-00000000");
  CHECK(r->rejected[0].offset == 0);
  CHECK(r->rejected[0].code == errc::bad_tag);
  CHECK(ids_of(dir.path(), bs::item_type::data).size() == 5);
  CHECK(store.read("log-00000000-00000000", 0, whole_object).value() == seg);
}

TEST_CASE("With a wrong key nothing sealed is relocated", "[cleaner][bluesky][fixtures][crypto]") {
  test::temp_dir dir;
  test::copy_stage(stage("stage2-overwrite"), dir.path());
  auto store = file_store::open(dir.path()).value();
  const auto cipher = fixture_cipher("not-the-fixture-passphrase");
  auto r = clean(bs::format{}, store, original_policy, original_mode(),
                 [&](byte_view item) { return cipher.verify(item) == tag_status::ok; });
  REQUIRE(r);
  CHECK(r->stats.items_relocated == 0);
  CHECK(r->rejected.size() == 12);
  CHECK(ids_of(dir.path(), bs::item_type::data).empty());
  CHECK(ids_of(dir.path(), bs::item_type::inode).empty());
}

TEST_CASE(
    "From stage2: our clean, merge, clean, merge leave every file readable and no dead "
    "proxy segment",
    "[cleaner][bluesky][fixtures][merge]") {
  for (auto mode : {relocation_mode::whole_parent, relocation_mode::live_items}) {
    test::temp_dir dir;
    test::copy_stage(stage("stage2-overwrite"), dir.path());
    auto store = file_store::open(dir.path()).value();
    const auto cipher = test::fixture_cipher();
    const auto expected = test::expected_for(stage("stage2-overwrite"));
    clean_options o;
    o.mode = mode;
    using fs_type = bs::filesystem<file_store, bs::cipher>;
    auto check_files = [&] {
      auto fs = fs_type::open(store, cipher).value();
      for (const auto& [path, content] : expected.files) CHECK(fs.read(path).value() == content);
      for (const auto& [path, target] : expected.symlinks)
        CHECK(fs.readlink(path).value() == target);
    };
    for (int pass = 0; pass < 2; ++pass) {
      INFO("pass " << pass);
      REQUIRE(clean(bs::format{}, store, original_policy, o));
      check_files();
      auto fs = fs_type::open(store, cipher).value();
      auto m = bs::merge_cleaner_output(fs);
      REQUIRE(m);
      CHECK(m->merged == (pass == 0));
      check_files();
    }
    // What stages 7 and 8 show: the proxy keeps only its newest segments, which hold
    // live items; every file block lives in the cleaner's log.
    clean_options plan_only;
    plan_only.dry_run = true;
    auto r = clean(bs::format{}, store, original_policy, plan_only);
    REQUIRE(r);
    for (const auto& row : r->plan.table) {
      INFO(segment_name(row.id).value());
      if (row.id.directory == bs::proxy_directory) CHECK(row.live > 0);
    }
    CHECK_FALSE(store.read("log-00000000-00000000", 0, 1));  // 97% garbage in stage2: gone
    check_files();
  }
}
