// SPDX-License-Identifier: BSL-1.0
// cleaner/report.hpp: what a pass reports is consistent with itself and with the
// store (over the in-tree tree format): the table's totals, the strict read
// minimum, the written segments (root last), and the status names.
#include <catch2/catch.hpp>

#include <random>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/cleaner/report.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

using namespace cloudlog;

namespace {
// A tree store whose older segments hold garbage: ROUNDS commits of ten overwrites.
void fill(memory_store& store, tree::writer& w, int rounds) {
  std::mt19937 rng(11);
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 10; ++k) {
      bytes data(300 + rng() % 1200);
      for (auto& b : data) b = static_cast<std::byte>(rng());
      w.put(rng() % 4, rng() % 8, std::move(data));
    }
    REQUIRE(w.commit(store));
  }
}
}  // namespace

TEST_CASE("Status names are the ones the tools print", "[cleaner][report]") {
  CHECK(to_string(clean_status::cleaned) == "cleaned");
  CHECK(to_string(clean_status::nothing_to_do) == "nothing to do");
  CHECK(to_string(clean_status::waiting_for_writer) == "waiting for the writer");
}

TEST_CASE("A pass's report agrees with itself and with the store", "[cleaner][report]") {
  memory_store store;
  tree::writer w{4, 8};
  fill(store, w, 8);
  auto r = clean(tree::format{}, store, greedy_policy{});
  REQUIRE(r);
  const auto& st = r->stats;
  const auto& plan = r->plan;
  CHECK(r->status == clean_status::cleaned);
  CHECK_FALSE(r->interrupted);
  // The table accounts for every segment that was in the store.
  std::uint64_t table_size = 0, table_live = 0;
  for (const auto& row : plan.table) {
    table_size += row.size;
    table_live += row.live;
    CHECK(row.live <= row.size);
  }
  CHECK(st.bytes_total == table_size);
  CHECK(st.bytes_used == table_live);
  CHECK(st.bytes_wasted == st.bytes_total - st.bytes_used);
  // The strict minimum: the metadata walked plus the victims' live bytes.
  std::uint64_t victims_live = 0, victims_size = 0;
  for (const auto& v : plan.victims) {
    victims_live += v.live;
    victims_size += v.size;
  }
  CHECK(st.bytes_minimum == st.bytes_walked + victims_live);
  CHECK(st.bytes_read >= st.bytes_minimum);
  CHECK(plan.bytes_to_free_later == victims_size);
  // Written segments: counted, summed, the root's last (the newest sequence).
  REQUIRE(!r->written.empty());
  std::uint64_t written = 0;
  for (const auto& s : r->written) {
    written += s.size;
    CHECK(s.id.sequence <= r->written.back().id.sequence);
  }
  CHECK(st.segments_written == r->written.size());
  CHECK(st.bytes_written == written);
  CHECK(st.requests.put.requests >= r->written.size());
  // Deletions: what the plan lists is what was freed.
  std::uint64_t deleted = 0;
  for (const auto& d : plan.deletions) deleted += d.size;
  CHECK(st.bytes_freed == deleted);
  CHECK(st.segments_deleted == plan.deletions.size());
  CHECK(r->rejected.empty());
  CHECK(st.items_rejected == 0);
}
