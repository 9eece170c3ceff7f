// SPDX-License-Identifier: BSL-1.0
// verify_filesystem: walks every fixture stage and counts what it checked.
#include <catch2/catch.hpp>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/verify.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/error_text.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

TEST_CASE("verify walks every fixture stage and counts what it checked",
          "[formats][bluesky][verify][fixtures]") {
  const auto key = test::fixture_cipher();
  const no_cipher none;
  for (const auto& stage : test::fixture_stages()) {
    INFO(stage.string());
    auto store = file_store::open(stage);
    REQUIRE(store);
    const bool sparse = stage.parent_path().filename() == "sparse";
    auto check = [&](auto& r) {
      auto rep = verify_filesystem(r);
      INFO(test::error_text(rep));
      REQUIRE(rep);
      CHECK(rep->inodes == (sparse ? 7 : 6));
      CHECK(rep->files == (sparse ? 4 : 3));
      CHECK(rep->directories == 2);
      CHECK(rep->symlinks == 1);
      CHECK(rep->data_blocks == (sparse ? 7 : 6));
      CHECK(rep->holes == (sparse ? 3 : 0));
      CHECK(rep->file_bytes == (sparse ? 200037 : 100037));
      CHECK(rep->unreachable == 0);
      CHECK(rep->checkpoint == r.current_root().self.where);
    };
    if (test::is_nocrypto(stage)) {
      auto r = reader<file_store, no_cipher>::open(*store, none);
      REQUIRE(r);
      check(*r);
    } else {
      auto r = reader<file_store, bluesky::cipher>::open(*store, key);
      REQUIRE(r);
      check(*r);
    }
  }
}

TEST_CASE("verify stops at the first bad tag and says where", "[formats][bluesky][verify]") {
  const auto key = test::fixture_cipher();
  memory_store mem;
  test::load_stage(mem, test::fixtures_dir() / "sparse" / "final");
  // The sparse file's one data block, in the cleaner's 1/4 (offset 100571).
  auto seg = mem.read("log-00000001-00000004", 0, whole_object).value();
  seg[100571 + 89 + 100] ^= std::byte{2};
  REQUIRE(mem.write("log-00000001-00000004", seg));
  // Still the proxy's view: the proxy checkpoint links 0/0's copy, so verify passes...
  auto r = reader<memory_store, bluesky::cipher>::open(mem, key);
  REQUIRE(r);
  auto ok = verify_filesystem(*r);
  REQUIRE(ok);
  // ...until the data it references is the damaged one.
  auto seg0 = mem.read("log-00000000-00000000", 0, whole_object).value();
  auto items = parse_segment<layout>(seg0).value();
  const auto& data7 = *std::find_if(items.begin(), items.end(), [](const auto& it) {
    return it.type() == type_byte(item_type::data) && it.owner() == 7;
  });
  seg0[data7.offset() + 89 + 1] ^= std::byte{1};
  REQUIRE(mem.write("log-00000000-00000000", seg0));
  auto r2 = reader<memory_store, bluesky::cipher>::open(mem, key);
  REQUIRE(r2);
  auto bad = verify_filesystem(*r2);
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == make_error_code(errc::bad_tag));
  CHECK_THAT(bad.error().what,
             Catch::Contains("block 2 of inode 7") && Catch::Contains("log-00000000-00000000"));
}
