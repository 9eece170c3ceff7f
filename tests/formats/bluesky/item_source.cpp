// SPDX-License-Identifier: BSL-1.0
// formats/bluesky/item_source.hpp: every item the BlueSky models read is fetched,
// checked against the link that names it and opened here: each request's outcome
// on its own (fetch_each) or the first failure with its text (fetch), a link to an
// item of another type refused, and the tag policy for cleaner-written items.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/item_source.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/error_text.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

TEST_CASE("item_source refuses a link to an item of another type",
          "[formats][bluesky][item_source]") {
  const auto key = test::fixture_cipher();
  memory_store mem;
  test::load_stage(mem, test::fixtures_dir() / "main" / "stage6-merge2");
  auto r0 = reader<memory_store, bluesky::cipher>::open(mem, key);
  REQUIRE(r0);
  auto& src = r0->source();
  const auto ref = r0->inode_map().at(2);
  auto got = src.fetch_one({ref, item_type::data, 2, 0});
  REQUIRE_FALSE(got);
  CHECK(got.error() == make_error_code(errc::unexpected_type));
}

TEST_CASE(
    "item_source accepts cleaner-written (directory 1) imap blocks and checkpoints "
    "with a zero tag",
    "[formats][bluesky][item_source]") {
  const auto key = test::fixture_cipher();
  // stage3's newest cleaner checkpoint links an imap block with a zero tag in 1/2.
  auto store = file_store::open(test::fixtures_dir() / "main" / "stage3-clean1");
  REQUIRE(store);
  item_source<file_store, bluesky::cipher> src(*store, key);
  auto seg = newest_segment(*store, 1).value().value();
  auto cp = checkpoint_at_end(*store, seg);
  REQUIRE(cp);
  REQUIRE(*cp);
  auto rt = open_checkpoint(src, **cp);
  INFO(test::error_text(rt));
  REQUIRE(rt);
  auto imap = load_inode_map(src, *rt);
  REQUIRE(imap);
  CHECK(imap->size() == 6);
}

TEST_CASE("fetch_each reports each request on its own; fetch stops at the first failure",
          "[formats][bluesky][item_source]") {
  const auto key = test::fixture_cipher();
  memory_store mem;
  test::load_stage(mem, test::fixtures_dir() / "main" / "stage6-merge2");
  auto r = reader<memory_store, bluesky::cipher>::open(mem, key);
  REQUIRE(r);
  const auto& map = r->inode_map();
  REQUIRE(map.size() >= 2);
  const auto first = map.begin(), second = std::next(map.begin());
  item_source<memory_store, bluesky::cipher> src(mem, key);
  const std::vector<fetch_request> rqs{
      {first->second, item_type::inode, first->first, 0},
      {second->second, item_type::data, second->first, 0},  // the link names an inode
      {second->second, item_type::inode, second->first, 0},
  };
  auto each = src.fetch_each(rqs);
  REQUIRE(each.size() == 3);
  for (std::size_t i : {0u, 2u}) {
    INFO(i);
    REQUIRE(each[i].item);
    CHECK(each[i].item->where == rqs[i].ref.where);
    CHECK(each[i].item->data.size() == rqs[i].ref.where.size);
    CHECK(each[i].error.what.empty());
  }
  REQUIRE_FALSE(each[1].item);
  CHECK(each[1].error == make_error_code(errc::unexpected_type));
  CHECK_THAT(each[1].error.what, Catch::Contains(segment_name_of(rqs[1].ref.where) + " @" +
                                                 std::to_string(rqs[1].ref.where.offset)) &&
                                     Catch::Contains("the item there is a"));
  // fetch: the same items, or the failure of the first that fails, with its text.
  auto all = src.fetch(rqs);
  REQUIRE_FALSE(all);
  CHECK(all.error() == make_error_code(errc::unexpected_type));
  CHECK(all.error().what == each[1].error.what);
  auto good = src.fetch(std::vector<fetch_request>{rqs[0], rqs[2]});
  REQUIRE(good);
  REQUIRE(good->size() == 2);
  CHECK(good->at(0).data == each[0].item->data);
  CHECK(good->at(1).data == each[2].item->data);
}
