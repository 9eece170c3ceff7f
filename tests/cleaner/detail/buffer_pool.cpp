// SPDX-License-Identifier: BSL-1.0
// The buffer pool behind read_buffers and segment_buffers
// (cleaner/detail/buffer_pool.hpp): which kept buffer a take gets, which a full
// pool keeps, and populate_pages leaving memory as it was.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cloudlog/cleaner/detail/buffer_pool.hpp"

namespace {

// A buffer of this test's own pool: its capacity and which one it is.
struct tagged {
  std::size_t size = 0;
  int tag = 0;
  std::size_t capacity() const noexcept { return size; }
};
using pool = cloudlog::detail::buffer_pool<tagged, 3>;

}  // namespace

TEST_CASE("buffer_pool hands out the smallest kept buffer that fits, or none",
          "[cleaner][engine][buffer_pool]") {
  while (pool::take(0)) {
  }  // kept by earlier cases of this process
  pool::give({300, 1});
  pool::give({100, 2});
  pool::give({200, 3});
  CHECK_FALSE(pool::take(301));
  auto b = pool::take(150);
  REQUIRE(b);
  CHECK(b->tag == 3);
  b = pool::take(0);
  REQUIRE(b);
  CHECK(b->tag == 2);
  b = pool::take(300);
  REQUIRE(b);
  CHECK(b->tag == 1);
  CHECK_FALSE(pool::take(0));
}

TEST_CASE("a full buffer_pool keeps the largest buffers it was given",
          "[cleaner][engine][buffer_pool]") {
  while (pool::take(0)) {
  }
  for (int k = 1; k <= 3; ++k) pool::give({static_cast<std::size_t>(k) * 100, k});
  pool::give({50, 4});   // smaller than all kept: dropped
  pool::give({100, 5});  // as small as the smallest: dropped
  pool::give({400, 6});  // takes the place of the smallest (100)
  std::vector<int> tags;
  while (auto b = pool::take(0)) tags.push_back(b->tag);
  CHECK(tags == std::vector<int>{2, 3, 6});
}

TEST_CASE("populate_pages leaves the bytes of the range as they were",
          "[cleaner][engine][buffer_pool]") {
  std::vector<std::byte> memory(3 * 4096 + 123, std::byte{0x5a});
  const auto base = reinterpret_cast<std::uintptr_t>(memory.data());
  cloudlog::detail::populate_pages(base, base + memory.size());
  cloudlog::detail::populate_pages(base + 10, base + 20);  // no whole page: nothing
  cloudlog::detail::populate_pages(base + 20, base + 10);  // empty
  for (auto b : memory) REQUIRE(b == std::byte{0x5a});
}
