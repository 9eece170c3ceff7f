// SPDX-License-Identifier: BSL-1.0
// cleaner/detail/output_log.hpp: output segments closed at the target, the root
// placed last, finished groups handed over.
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
#include "cloudlog/cleaner/detail/output_log.hpp"

namespace {
using cloudlog::location;
}  // namespace

TEST_CASE("output_log closes a segment at the target and places the root in the newest one",
          "[cleaner][engine][output_log]") {
  cloudlog::detail::output_log out(1, 10, 100);
  const cloudlog::bytes item(60);
  auto a = out.append(0, 0, item);  // opens sequence 10
  CHECK(a.where == location{1, 10, 0, 60});
  CHECK(!a.full);
  auto b = out.append(1, 0, item);  // group 1: sequence 11
  CHECK(b.where == location{1, 11, 0, 60});
  auto c = out.append(0, 0, item);  // fills sequence 10
  CHECK(c.where == location{1, 10, 60, 60});
  REQUIRE(c.full);
  CHECK(c.full->sequence == 10);
  CHECK(c.full->data.size() == 120);
  // The root goes into a new segment: group 0's last open one is not the newest.
  const auto root = out.place_root(0, item);
  CHECK(root == location{1, 12, 0, 60});
  const auto open = out.take_open();
  REQUIRE(open.size() == 1);
  CHECK(open[0].sequence == 11);
  CHECK(out.root_segment().sequence == 12);
}

TEST_CASE("output_log hands over the open segments of the groups it is told are finished",
          "[cleaner][engine][output_log]") {
  cloudlog::detail::output_log out(1, 10, 1000);
  const cloudlog::bytes item(60);
  out.append(0, 0, item);  // sequence 10
  out.append(0, 1, item);  // 11
  out.append(1, 0, item);  // 12
  out.append(2, 0, item);  // 13
  // Groups 1 and 2 still take items: group 0's two segments (both classes) go.
  const auto sealed = out.take_open_but({1, 2});
  REQUIRE(sealed.size() == 2);
  CHECK(sealed[0].sequence == 10);
  CHECK(sealed[1].sequence == 11);
  CHECK(out.take_open_but({1, 2}).empty());
  // Group 0 opens a new segment if an item comes after all; the rest stay.
  CHECK(out.append(0, 0, item).where == location{1, 14, 0, 60});
  const auto rest = out.take_open();
  REQUIRE(rest.size() == 3);
  CHECK(rest[0].sequence == 12);
  CHECK(rest[2].sequence == 14);
}

TEST_CASE("output_log fills a recycled buffer, emptied, before it allocates a new one",
          "[cleaner][engine][output_log]") {
  cloudlog::detail::output_log out(1, 10, 100);
  const cloudlog::bytes item(60, std::byte{7});
  out.append(0, 0, item);
  auto full = out.append(0, 0, item).full;
  REQUIRE(full);
  const auto* memory = full->data.data();
  out.recycle(std::move(full->data));
  out.recycle(cloudlog::bytes(10));    // smaller than the target: dropped
  auto next = out.append(0, 0, item);  // sequence 11, in the recycled buffer
  CHECK(next.where == location{1, 11, 0, 60});
  const auto open = out.take_open();
  REQUIRE(open.size() == 1);
  CHECK(open[0].data == item);
  CHECK(open[0].data.data() == memory);
  // At most max_spare buffers are held: the next segments open in them (capacity
  // 200), then in a new allocation (the target and the first item: 160).
  constexpr auto most = cloudlog::detail::output_log::max_spare;
  for (std::size_t k = 0; k < most + 2; ++k) {
    cloudlog::bytes b;
    b.reserve(200);
    out.recycle(std::move(b));
  }
  for (std::uint32_t g = 0; g < most + 1; ++g) out.append(g + 5, 0, item);
  std::size_t recycled = 0;
  for (const auto& seg : out.take_open()) recycled += seg.data.capacity() == 200 ? 1 : 0;
  CHECK(recycled == most);
}

TEST_CASE("segment_buffers keeps the buffers a pass gave back, for the next pass to fill",
          "[cleaner][engine][output_log]") {
  using cloudlog::detail::segment_buffers;
  while (segment_buffers::take(0).capacity() > 0) {
  }  // kept by earlier cases of this process
  std::vector<const std::byte*> given;
  for (std::size_t k = 0; k < segment_buffers::kept_buffers + 1; ++k) {
    cloudlog::bytes b(300, std::byte{1});
    given.push_back(b.data());
    segment_buffers::give(std::move(b));
  }
  CHECK(segment_buffers::take(1000).capacity() == 0);  // none large enough
  std::set<const std::byte*> taken;
  for (std::size_t k = 0; k < segment_buffers::kept_buffers; ++k) {
    std::size_t faulted = 1;
    auto b = segment_buffers::take(300, &faulted);
    CHECK(b.empty());
    CHECK(faulted == 300);  // its 300 bytes were written: their pages are in
    taken.insert(b.data());
  }
  std::size_t none = 1;
  CHECK(segment_buffers::take(300, &none).capacity() == 0);
  CHECK(none == 0);
  CHECK(taken.size() == segment_buffers::kept_buffers);
  CHECK(taken.count(given.back()) == 0);
  // An output log hands its spare buffers over, and a later log opens a segment in one.
  cloudlog::detail::output_log first(1, 10, 100);
  cloudlog::bytes spare;
  spare.reserve(500);
  const auto* memory = spare.data();
  first.recycle(std::move(spare));
  first.release_spare();
  cloudlog::detail::output_log second(1, 20, 100);
  second.append(0, 0, cloudlog::bytes(60, std::byte{7}));
  const auto open = second.take_open();
  REQUIRE(open.size() == 1);
  CHECK(open[0].data.data() == memory);
  while (segment_buffers::take(0).capacity() > 0) {
  }
}
