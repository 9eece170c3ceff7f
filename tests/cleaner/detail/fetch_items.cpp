// SPDX-License-Identifier: BSL-1.0
// cleaner/detail/fetch_items.hpp: read plans that merge ranges of one segment, and
// fetching items through them, over the in-tree test format (tests/support/tree).
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "cleaner/tree_fixture.hpp"
#include "cloudlog/cleaner/detail/fetch_items.hpp"
#include "support/tree/format.hpp"

namespace {
using cloudlog::location;
using cloudlog::segment_id;
using cloudlog::test::read_reachable;
using cloudlog::test::tree_store;
}  // namespace

TEST_CASE("plan_reads merges reads of one segment across small gaps, never across segments",
          "[cleaner][engine][fetch_items]") {
  const std::vector<location> locs{
      {0, 1, 500, 100}, {0, 1, 0, 100}, {0, 1, 150, 50}, {0, 2, 0, 10}, {0, 1, 5000, 10}};
  const auto plan = cloudlog::detail::plan_reads(locs, 300, 1u << 20);
  // [0,200) and [500,600) merge (gaps 50 and 300); 5000 is too far; segment 2 apart.
  REQUIRE(plan.runs.size() == 3);
  CHECK(plan.runs[0].seg == segment_id{0, 1});
  CHECK(plan.runs[0].begin == 0);
  CHECK(plan.runs[0].end == 600);
  CHECK(plan.runs[1].begin == 5000);
  CHECK(plan.runs[2].seg == segment_id{0, 2});
  CHECK(plan.run_of == std::vector<std::size_t>{0, 0, 0, 2, 1});
  // A run is capped at MAX_RUN bytes.
  CHECK(cloudlog::detail::plan_reads(locs, 300, 400).runs.size() == 4);
  // Gap 0 merges only touching or overlapping items.
  CHECK(cloudlog::detail::plan_reads(locs, 0, 1u << 20).runs.size() == 5);
}

TEST_CASE("fetch_items returns each item's own bytes, whatever the merging",
          "[cleaner][engine][fetch_items]") {
  tree_store t(4);
  const auto expect = read_reachable(t.store);
  auto locs = expect.blobs;
  locs.push_back(expect.root);
  std::reverse(locs.begin(), locs.end());
  for (std::uint64_t gap : {std::uint64_t{0}, std::uint64_t{4096}, std::uint64_t{1} << 20}) {
    const auto got = cloudlog::detail::fetch_items(t.store, locs, gap);
    REQUIRE(got.size() == locs.size());
    for (std::size_t i = 0; i < locs.size(); ++i) {
      const auto name = cloudlog::segment_name(locs[i].segment()).value();
      REQUIRE(got[i]);
      CHECK(*got[i] == t.store.read(name, locs[i].offset, locs[i].size).value());
    }
  }
  // A segment that does not exist: the read's error, for its items only.
  const std::vector<location> missing{{0, 999, 0, 10}, expect.root};
  const auto got = cloudlog::detail::fetch_items(t.store, missing, 1u << 20);
  CHECK(!got[0]);
  CHECK(got[1]);
}
