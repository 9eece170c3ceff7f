// SPDX-License-Identifier: BSL-1.0
// cleaner/detail/walk.hpp: the walk phase over the in-tree test format
// (tests/support/tree); what it must find is read through the format's own reader.
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
#include "cloudlog/cleaner/detail/read_planner.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "support/tree/format.hpp"

namespace {
using cloudlog::location;
using cloudlog::test::read_reachable;
using cloudlog::test::total_size;
using cloudlog::test::tree_store;
using cloudlog::test::walk_and_tabulate;
}  // namespace

TEST_CASE("walk finds the root, every directory and every live blob, reading only the interior",
          "[cleaner][engine][walk]") {
  tree_store t(6);
  const auto expect = read_reachable(t.store);
  const auto w = walk_and_tabulate(t.store);
  const auto& nodes = w.live.nodes;
  REQUIRE(nodes.size() == 1 + expect.directories.size() + expect.blobs.size());
  CHECK(nodes[0].where == expect.root);
  CHECK(nodes[0].parent == cloudlog::detail::live_node::none);
  std::vector<location> leaves, interior;
  for (const auto& n : nodes) (n.leaf ? leaves : interior).push_back(n.where);
  CHECK(leaves.size() == expect.blobs.size());
  CHECK(leaves == expect.blobs);  // breadth-first, in link order
  CHECK(w.live.bytes_walked == expect.root.size + total_size(expect.directories));
  // Children are stored contiguously after their parent.
  for (std::uint32_t i = 0; i < nodes.size(); ++i)
    for (auto c = nodes[i].first_child; c < nodes[i].first_child + nodes[i].child_count; ++c)
      CHECK(nodes[c].parent == i);
}

TEST_CASE("walk fails with dangling_link when a link does not lead to the item it names",
          "[cleaner][engine][walk]") {
  tree_store t(3);
  const auto expect = read_reachable(t.store);
  // Point the root at a directory's place but one byte off: the item there does not parse
  // as the linked one.
  auto ctx = tree::format{}.load(t.store);
  REQUIRE(ctx);
  auto dir = expect.directories.front();
  const auto name = cloudlog::segment_name(dir.segment()).value();
  auto data = t.store.read(name, 0, cloudlog::whole_object).value();
  data[dir.offset + 7] ^=
      std::byte{0xff};  // in the id the root's link names (after magic, type, flags)
  REQUIRE(t.store.write(name, data));
  cloudlog::detail::read_planner planner(cloudlog::local_read_cost);
  auto live = cloudlog::detail::walk(tree::format{}, t.store, ctx->root(), planner);
  REQUIRE(!live);
  CHECK(live.error() == cloudlog::errc::dangling_link);
}
