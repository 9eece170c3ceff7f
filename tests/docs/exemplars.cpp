// SPDX-License-Identifier: BSL-1.0
// The concept pages' exemplars, compiled from the pages themselves (tests/docs/
// CMakeLists.txt extracts them) and run: each is a model of its concept and does
// what its page says.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "backend/conformance.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/log/segment.hpp"
#include "exemplars/cipher.hpp"
#include "exemplars/cleaning_policy.hpp"
#include "exemplars/header_layout.hpp"
#include "exemplars/segment_store.hpp"

using namespace cloudlog;

TEST_CASE("the segment_store exemplar of the docs obeys the laws", "[docs][segment_store]") {
  exemplars::segment_store_page::tiny_store store;
  test::check_segment_store_laws(store);
}

TEST_CASE("the generic component of the segment_store page runs on any store",
          "[docs][segment_store]") {
  using exemplars::segment_store_page::bytes_in;
  exemplars::segment_store_page::tiny_store tiny;
  memory_store memory;
  for (std::uint32_t i = 0; i < 3; ++i) {
    REQUIRE(tiny.write(segment_name({0, i}).value(), test::pattern(100, i)));
    REQUIRE(memory.write(segment_name({0, i}).value(), test::pattern(50, i)));
  }
  CHECK(bytes_in(tiny, 0).value() == 3 * 89);  // the first 89 bytes of each
  CHECK(bytes_in(memory, 0).value() == 3 * 50);
  stats_store counted(memory);
  CHECK(bytes_in(counted, 0).value() == 150);
  CHECK(counted.stats().get.requests == 3);
}

TEST_CASE("the cipher exemplar of the docs is a cipher", "[docs][cipher]") {
  STATIC_REQUIRE(cipher<exemplars::cipher_page::cipher_exemplar>);
}

TEST_CASE("the cleaning_policy exemplar takes the most garbage first, within its budget",
          "[docs][cleaning_policy]") {
  using exemplars::cleaning_policy_page::most_garbage_policy;
  STATIC_REQUIRE(cleaning_policy<most_garbage_policy>);
  // Garbage 30, 60 (but half live: greedy's pick by ratio would differ), 10, none, all.
  const std::vector<segment_usage> table{{{0, 1}, 100, 70, 1},
                                         {{0, 2}, 200, 140, 1},
                                         {{0, 3}, 100, 90, 1},
                                         {{0, 4}, 100, 100, 1},
                                         {{0, 5}, 100, 0, 1}};
  const most_garbage_policy unlimited;
  CHECK(unlimited.select(table) == std::vector<segment_id>{{0, 2}, {0, 1}, {0, 3}});
  most_garbage_policy bounded;
  bounded.budget.max_read = 250;
  CHECK(bounded.select(table) == std::vector<segment_id>{{0, 2}});
  CHECK(unlimited.name() == "most-garbage");
  CHECK(unlimited.placement(1) <= unlimited.placement(1000));
}

TEST_CASE("the header_layout exemplar frames items of 39-byte headers", "[docs][header_layout]") {
  using namespace exemplars::header_layout_page;
  STATIC_REQUIRE(header_layout<layout>);
  item<layout> it;
  it.header.magic = magic;
  it.header.type = 2;
  it.header.owner = 7;
  it.payload = test::pattern(10, 1);
  bytes seg;
  REQUIRE(append_item(seg, it));
  REQUIRE(seg.size() == 39 + 10);
  auto items = parse_segment<layout>(seg);
  REQUIRE(items);
  REQUIRE(items->size() == 1);
  CHECK(items->front().type() == 2);
  CHECK(items->front().payload().size() == 10);
  seg[0] = std::byte{'X'};  // not the magic
  CHECK(!parse_segment<layout>(seg));
}
