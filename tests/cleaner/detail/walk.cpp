// SPDX-License-Identifier: BSL-1.0
// cleaner/detail/walk.hpp: the walk phase over the in-tree test format
// (tests/support/tree); what it must find is read through the format's own reader.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "cleaner/tree_fixture.hpp"
#include "cloudlog/cleaner/detail/read_planner.hpp"
#include "cloudlog/cleaner/detail/walk.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

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

namespace {

// A memory store read as a remote one (remote_read_cost) whose reads take 200 ms
// (long enough for a level's reads to overlap on a loaded machine) and that
// records how many run at once.
struct slow_remote_reads : cloudlog::memory_store, cloudlog::test::concurrency_meter {
  static constexpr cloudlog::read_cost_model read_cost = cloudlog::remote_read_cost;
  cloudlog::result<cloudlog::bytes> read(std::string_view name, std::uint64_t offset,
                                         std::uint64_t length) {
    enter();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto r = memory_store::read(name, offset, length);
    leave();
    return r;
  }
};

}  // namespace

TEST_CASE("walk reads a level's runs on a remote store level_fan_out at once, not 3",
          "[cleaner][engine][walk]") {
  // 16 directories, each rewritten alone by its own commit: the directory level is
  // 16 runs in 16 segments.
  slow_remote_reads store;
  tree::writer writer(16, 1);
  for (std::uint32_t d = 0; d < 16; ++d) {
    writer.put(d, 0, cloudlog::bytes(100, std::byte{static_cast<unsigned char>(d)}));
    REQUIRE(writer.commit(store));
  }
  auto ctx = tree::format{}.load(store);
  REQUIRE(ctx);
  store.most = 0;
  cloudlog::detail::read_planner planner(cloudlog::remote_read_cost, cloudlog::whole_object,
                                         32u << 20, 3);
  REQUIRE(planner.level_fan_out() == cloudlog::remote_read_cost.level_fan_out);
  auto live = cloudlog::detail::walk(tree::format{}, store, ctx->root(), planner);
  REQUIRE(live);
  CHECK(live->nodes.size() == 1 + 16 + 16);
  // The planner's own fan-out (3) would have read them 3 at a time.
  CHECK(store.most.load() == static_cast<int>(cloudlog::remote_read_cost.level_fan_out));
  CHECK(planner.counts().runs == 1 + 16);  // the root, then one run per directory
}
