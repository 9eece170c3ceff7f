// SPDX-License-Identifier: BSL-1.0
// backend/detail/parallel_reads.hpp: every request read once, results in request
// order, on at most PARALLELISM threads at once, the caller's included.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cloudlog/backend/detail/parallel_reads.hpp"

using namespace cloudlog;

TEST_CASE("parallel_reads reads each request once, in order, within the parallelism",
          "[backend][parallel_reads]") {
  std::vector<read_request> reqs;
  for (int i = 0; i < 40; ++i)
    reqs.push_back(
        {"log-00000000-" + std::string(8 - std::to_string(i).size(), '0') + std::to_string(i),
         static_cast<std::uint64_t>(i), 1});
  for (std::size_t parallelism : {0, 1, 3, 8, 100}) {
    INFO(parallelism);
    std::atomic<int> running{0}, peak{0}, calls{0};
    std::mutex m;
    std::set<std::thread::id> threads;
    auto out =
        detail::parallel_reads(reqs, parallelism, [&](const read_request& r) -> result<bytes> {
          const int now = ++running;
          for (int p = peak; now > p && !peak.compare_exchange_weak(p, now);) {
          }
          {
            std::lock_guard lock(m);
            threads.insert(std::this_thread::get_id());
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          ++calls;
          --running;
          if (r.offset == 13) return fail(errc::not_found);
          return bytes(r.offset + 1, std::byte{1});
        });
    REQUIRE(out.size() == reqs.size());
    CHECK(calls == 40);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (i == 13) {
        CHECK(out[i].error() == errc::not_found);
      } else {
        REQUIRE(out[i]);
        CHECK(out[i]->size() == i + 1);
      }
    }
    const auto limit = static_cast<int>(std::max<std::size_t>(parallelism, 1));
    CHECK(peak <= std::min(limit, 40));
    CHECK(threads.size() <= static_cast<std::size_t>(std::min(limit, 40)));
    if (limit > 1) CHECK(peak > 1);
  }
  CHECK(detail::parallel_reads({}, 8, [](const read_request&) -> result<bytes> {
          return bytes{};
        }).empty());
}
