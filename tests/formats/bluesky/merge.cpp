// SPDX-License-Identifier: BSL-1.0
// The merge of the cleaner's output (docs/format.md, section 12) on copies of the
// fixture stages: adopts what the original adopted in stage6, does real work on
// the first merge, survives null links, and enforces tags.
#include <catch2/catch.hpp>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/error_text.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

namespace {

using file_fs = filesystem<file_store, bluesky::cipher>;
using file_reader = reader<file_store, bluesky::cipher>;

std::filesystem::path stage(const char* group, const char* name) {
  return test::fixtures_dir() / group / name;
}

// Every file of the expected tree of FIXTURE reads back from STORE.
void check_reads_back(file_store& store, const bluesky::cipher& key,
                      const std::filesystem::path& fixture) {
  auto fs = file_fs::open(store, key);
  REQUIRE(fs);
  const auto want = test::expected_for(fixture);
  for (const auto& [path, contents] : want.files) {
    INFO(path);
    auto got = fs->read(path);
    INFO(test::error_text(got));
    REQUIRE(got);
    CHECK(*got == contents);
  }
  for (const auto& [path, target] : want.symlinks) CHECK(fs->readlink(path).value() == target);
}

}  // namespace

TEST_CASE("merging stage5 adopts the relocated blocks exactly as the original did in stage6",
          "[formats][bluesky][merge][fixtures]") {
  const auto key = test::fixture_cipher();
  test::temp_dir dir;
  test::copy_stage(stage("main", "stage5-clean2"), dir.path());
  auto store = file_store::open(dir.path());
  REQUIRE(store);
  auto fs = file_fs::open(*store, key);
  REQUIRE(fs);
  CHECK(fs->merged_cleaner_sequence() == 2u);
  auto rep = merge_cleaner_output(*fs);
  INFO(test::error_text(rep));
  REQUIRE(rep);
  CHECK(rep->merged);
  CHECK(rep->cleaner_sequence == 5u);
  CHECK(rep->blocks_adopted == 6);  // hello 1, big 4, nested 1
  // All six relocated inodes are the proxy's current versions: adopted where the
  // cleaner put them (1/3), none re-serialized; the flush writes imap + checkpoint.
  CHECK(rep->inodes_adopted == 6);
  CHECK(rep->inodes_rewritten == 0);
  CHECK(rep->flush.inode_items == 0);
  CHECK(rep->flush.bytes == 486);
  CHECK(rep->flush.checkpoints == 1);
  CHECK(std::filesystem::exists(dir.path() / "log-00000000-00000003"));

  auto ours = file_reader::open(*store, key);
  REQUIRE(ours);
  CHECK(ours->newest_segment().name == "log-00000000-00000003");
  CHECK(ours->current_root().payload.version_vector == std::vector<version_entry>{{1, 5}});
  auto original_store = file_store::open(stage("main", "stage6-merge2"));
  auto original = file_reader::open(*original_store, key);
  REQUIRE(original);
  for (std::uint64_t inum : {2, 3, 5}) {
    INFO("inode " << inum);
    const auto a = ours->load_inode(inum).value();
    const auto b = original->load_inode(inum).value();
    REQUIRE(a.blocks.size() == b.blocks.size());
    for (std::size_t i = 0; i < a.blocks.size(); ++i) {
      CHECK(a.blocks[i].id == b.blocks[i].id);
      CHECK(a.blocks[i].where == b.blocks[i].where);
      CHECK(a.blocks[i].where->segment() == segment_id{1, 4});
    }
  }
  check_reads_back(*store, key, stage("main", "stage5-clean2"));

  // The same generation is never merged twice.
  auto fs2 = file_fs::open(*store, key);
  REQUIRE(fs2);
  CHECK(fs2->merged_cleaner_sequence() == 5u);
  auto again = merge_cleaner_output(*fs2);
  REQUIRE(again);
  CHECK_FALSE(again->merged);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "log-00000000-00000004"));
}

TEST_CASE("the first merge is not vacuous (no unsigned -1 comparison)",
          "[formats][bluesky][merge][fixtures]") {
  const auto key = test::fixture_cipher();
  test::temp_dir dir;
  test::copy_stage(stage("main", "stage3-clean1"), dir.path());
  auto store = file_store::open(dir.path());
  REQUIRE(store);
  auto fs = file_fs::open(*store, key);
  REQUIRE(fs);
  CHECK_FALSE(fs->merged_cleaner_sequence());
  auto rep = merge_cleaner_output(*fs);
  INFO(test::error_text(rep));
  REQUIRE(rep);
  CHECK(rep->merged);
  CHECK(rep->cleaner_sequence == 2u);
  CHECK(rep->blocks_adopted == 6);  // the original's stage4 adopted nothing
  CHECK(rep->inodes_adopted == 6);
  auto r = file_reader::open(*store, key);
  REQUIRE(r);
  CHECK(r->current_root().payload.version_of(1) == 2u);
  for (std::uint64_t inum : {1, 2, 3, 4, 5, 6})
    CHECK(r->inode_map().at(inum).where.segment() == segment_id{1, 0});  // the relocated inodes
  for (std::uint64_t inum : {2, 3, 5}) {
    const auto rec = r->load_inode(inum).value();
    for (const auto& b : rec.blocks) CHECK(b.where->segment() == segment_id{1, 1});
  }
  check_reads_back(*store, key, stage("main", "stage3-clean1"));
}

TEST_CASE("merging sparse/final handles null links and the sparse file survives a reopen",
          "[formats][bluesky][merge][fixtures]") {
  const auto key = test::fixture_cipher();
  test::temp_dir dir;
  test::copy_stage(stage("sparse", "final"), dir.path());
  auto store = file_store::open(dir.path());
  REQUIRE(store);
  auto fs = file_fs::open(*store, key);
  REQUIRE(fs);
  auto rep = merge_cleaner_output(*fs);
  INFO(test::error_text(rep));
  REQUIRE(rep);
  CHECK(rep->merged);
  CHECK(rep->cleaner_sequence == 5u);
  CHECK(rep->blocks_adopted == 7);  // hello 1, big 4, nested 1, sparse 1
  auto r = file_reader::open(*store, key);
  REQUIRE(r);
  CHECK(r->current_root().payload.version_of(1) == 5u);
  const auto sparse = r->load_inode(7).value();
  REQUIRE(sparse.blocks.size() == 4);
  CHECK(sparse.blocks[0].is_null());
  CHECK(sparse.blocks[1].is_null());
  CHECK(sparse.blocks[2].where->segment() == segment_id{1, 4});
  CHECK(sparse.blocks[3].is_null());
  CHECK(r->read_file(sparse).value() == test::sparse_contents());
  check_reads_back(*store, key, stage("sparse", "final"));
}

TEST_CASE("a merge happens only for a newer, complete cleaner generation",
          "[formats][bluesky][merge][fixtures]") {
  const auto key = test::fixture_cipher();
  test::temp_dir dir;
  SECTION("already merged (stage4: vv (1,2), newest cleaner segment 1/2)") {
    test::copy_stage(stage("main", "stage4-merge1-vacuous"), dir.path());
    auto store = file_store::open(dir.path());
    auto fs = file_fs::open(*store, key);
    REQUIRE(fs);
    auto rep = merge_cleaner_output(*fs);
    REQUIRE(rep);
    CHECK_FALSE(rep->merged);
    CHECK(store->list(0).value().size() == 3);
  }
  SECTION("no cleaner output at all") {
    test::copy_stage(stage("main", "stage2-overwrite"), dir.path());
    auto store = file_store::open(dir.path());
    auto fs = file_fs::open(*store, key);
    auto rep = merge_cleaner_output(*fs);
    REQUIRE(rep);
    CHECK_FALSE(rep->merged);
  }
  SECTION("the cleaner is still writing: the newest segment does not end with a checkpoint") {
    test::copy_stage(stage("main", "stage5-clean2"), dir.path());
    std::filesystem::copy_file(dir.path() / "log-00000001-00000004",
                               dir.path() / "log-00000001-00000006");
    auto store = file_store::open(dir.path());
    auto fs = file_fs::open(*store, key);
    auto rep = merge_cleaner_output(*fs);
    REQUIRE(rep);
    CHECK_FALSE(rep->merged);
    CHECK(store->list(0).value().size() == 3);
  }
  SECTION("a checkpoint-only generation is acknowledged with nothing adopted (stage7)") {
    test::copy_stage(stage("main", "stage7-clean3"), dir.path());
    auto store = file_store::open(dir.path());
    auto fs = file_fs::open(*store, key);
    auto rep = merge_cleaner_output(*fs);
    REQUIRE(rep);
    CHECK(rep->merged);
    CHECK(rep->cleaner_sequence == 6u);
    CHECK(rep->blocks_adopted == 0);
    CHECK(rep->inodes_rewritten == 0);
    CHECK(rep->inodes_adopted == 0);
    auto r = file_reader::open(*store, key);
    REQUIRE(r);
    CHECK(r->newest_segment().name == "log-00000000-00000004");
    CHECK(r->current_root().payload.version_of(1) == 6u);
    check_reads_back(*store, key, stage("main", "stage7-clean3"));
  }
}

TEST_CASE("the per-block id match leaves blocks the proxy rewrote since",
          "[formats][bluesky][merge][fixtures]") {
  const auto key = test::fixture_cipher();
  test::temp_dir dir;
  test::copy_stage(stage("main", "stage5-clean2"), dir.path());
  auto store = file_store::open(dir.path());
  auto fs = file_fs::open(*store, key);
  REQUIRE(fs);
  auto model = test::big_overwritten();
  const bytes fresh(32768, std::byte{0x5a});
  std::copy(fresh.begin(), fresh.end(), model.begin());
  SECTION("flushed before the merge") {
    REQUIRE(fs->write("/big.bin", 0, fresh));
    REQUIRE(fs->remove("/subdir/nested.txt"));  // a deleted inode is ignored
    REQUIRE(fs->flush());
    auto rep = merge_cleaner_output(*fs);
    REQUIRE(rep);
    CHECK(rep->blocks_adopted == 4);    // hello 1, big 3 (not block 0), nested none
    CHECK(rep->inodes_rewritten == 2);  // big.bin and /subdir changed since
    CHECK(rep->inodes_adopted == 3);    // /, hello.txt, link: unchanged
  }
  SECTION("still dirty at the merge") {
    REQUIRE(fs->write("/big.bin", 0, fresh));
    auto rep = merge_cleaner_output(*fs);
    REQUIRE(rep);
    CHECK(rep->blocks_adopted == 5);    // every block but the dirty one
    CHECK(rep->inodes_rewritten == 1);  // big.bin, dirty
    CHECK(rep->inodes_adopted == 5);
  }
  auto again = file_fs::open(*store, key);
  REQUIRE(again);
  CHECK(again->read("/big.bin").value() == model);
  CHECK(again->read("/hello.txt").value() == to_bytes("Hello, BlueSky!\n"));
}

TEST_CASE(
    "with a key, the merge sets aside DATA and INODE items whose tags fail, and still "
    "acknowledges the generation (a tampered item never wedges cleaning)",
    "[formats][bluesky][merge][fixtures]") {
  const auto key = test::fixture_cipher();
  test::temp_dir dir;
  test::copy_stage(stage("main", "stage5-clean2"), dir.path());
  auto flip = [&](const char* name, std::size_t at) {
    auto data = test::read_file(dir.path() / name);
    data[at] ^= std::byte{1};
    std::filesystem::remove(dir.path() / name);
    auto store = file_store::open(dir.path());
    REQUIRE(store->write(name, data));
  };
  std::string what;
  SECTION("a relocated data block") {
    flip("log-00000001-00000004", 105 + 89 + 5);  // block 0 of big.bin
    what = "block 0 of inode 3 at log-00000001-00000004";
  }
  SECTION("a relocated inode") {
    flip("log-00000001-00000003", 89 + 3);  // the first relocated inode's payload
    what = "at log-00000001-00000003 @0";
  }
  auto store = file_store::open(dir.path());
  auto fs = file_fs::open(*store, key);
  REQUIRE(fs);
  const auto newest = store->list(1).value().back().id.sequence;
  auto rep = merge_cleaner_output(*fs);
  INFO(test::error_text(rep));
  REQUIRE(rep);
  CHECK(rep->merged);
  REQUIRE(rep->refused.size() == 1);
  CHECK_THAT(rep->refused.front(), Catch::Contains(what) && Catch::Contains("tag"));
  CHECK(fs->merged_cleaner_sequence() == newest);  // acknowledged: the cleaner goes on
  CHECK(store->list(0).value().size() == 4);
  // The proxy kept its own copy of what was set aside: every file reads as before.
  check_reads_back(*store, key, stage("main", "stage5-clean2"));
}
