// SPDX-License-Identifier: BSL-1.0
// The read planner's property on a real BlueSky store, for any store: a dry run
// reads at most 1.15x the metadata walked (+ 256 KiB), a pass at most 1.15x
// (metadata walked + live bytes of its victims) (+ 256 KiB), each in at most 1.2x
// its needed runs of GETs (issue 13). Used by read_planner.cpp (file store) and
// remote.cpp (s3rver).
#ifndef CLOUDLOG_TESTS_CLEANER_READS_ONCE_HPP
#define CLOUDLOG_TESTS_CLEANER_READS_ONCE_HPP

#include <catch2/catch.hpp>

#include <cstdint>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/workload.hpp"
#include "cloudlog/policy/policies.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/error_text.hpp"

namespace cloudlog::test {

// Writes the workload O into STORE with the fixture key.
template <segment_store Store>
void write_workload(Store& store, const bluesky::workload_options& o) {
  const auto key = fixture_cipher();
  auto fs = bluesky::filesystem<Store, bluesky::cipher>::open(store, key);
  REQUIRE(fs);
  auto rep = bluesky::run_workload(*fs, o);
  INFO(test::error_text(rep));
  REQUIRE(rep);
}

// A dry run then a pass with default options (lifetime policy, target 0.8) on
// STORE; checks both against the strict minimum and the needed runs.
template <segment_store Store>
void check_reads_once(Store& store) {
  const lifetime_policy policy{};
  const double slack = 256 << 10;
  clean_options dry;
  dry.dry_run = true;
  auto d = clean(bluesky::format{}, store, policy, dry);
  REQUIRE(d);
  const auto& ds = d->stats;
  INFO("dry run: read " << ds.bytes_read << ", walked " << ds.bytes_walked << ", GETs "
                        << ds.requests.get.requests << ", needed runs " << ds.needed_runs);
  CHECK(ds.bytes_minimum == ds.bytes_walked);
  CHECK(static_cast<double>(ds.bytes_read) <= 1.15 * static_cast<double>(ds.bytes_walked) + slack);
  CHECK(static_cast<double>(ds.requests.get.requests) <= 1.2 * static_cast<double>(ds.needed_runs));

  auto r = clean(bluesky::format{}, store, policy, clean_options{});
  REQUIRE(r);
  REQUIRE(r->status == clean_status::cleaned);
  const auto& s = r->stats;
  std::uint64_t victims_live = 0;
  for (const auto& v : r->plan.victims) victims_live += v.live;
  INFO("pass: read " << s.bytes_read << ", walked " << s.bytes_walked << ", victims' live "
                     << victims_live << ", GETs " << s.requests.get.requests << ", needed runs "
                     << s.needed_runs);
  CHECK(s.bytes_minimum == s.bytes_walked + victims_live);
  CHECK(victims_live > 0);
  CHECK(static_cast<double>(s.bytes_read) <=
        1.15 * static_cast<double>(s.bytes_walked + victims_live) + slack);
  CHECK(static_cast<double>(s.requests.get.requests) <= 1.2 * static_cast<double>(s.needed_runs));
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_CLEANER_READS_ONCE_HPP
