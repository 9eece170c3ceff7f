// SPDX-License-Identifier: BSL-1.0
// cost_aware_policy: cleans a segment only when the storage it frees over a horizon
// is worth more, in dollars, than the requests and transfer cleaning it costs
// (docs/backends.md, "What a pass costs").
#ifndef CLOUDLOG_POLICY_COST_AWARE_HPP
#define CLOUDLOG_POLICY_COST_AWARE_HPP

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "cloudlog/policy/cleaning_policy.hpp"
#include "cloudlog/policy/cost_model.hpp"

namespace cloudlog {

// Among segments worth cleaning, the most garbage per byte read first (greedy, the
// efficient choice). A segment is worth cleaning when
//   garbage / 1e9 * storage price * horizon_days / 30
// exceeds
//   ceil(live / read_request_bytes) GETs + live / output_segment_bytes PUTs
//   + live / 1e9 * transfer_out_gb,
// i.e. when what it stops paying for over the horizon beats what moving its live
// bytes costs once. Freeing a segment with no live byte costs nothing but its
// (free) DELETE: those are deleted by the engine, never chosen here.
struct cost_aware_policy {
  price_table prices{};
  // How long the saving counts (days).
  double horizon_days = 30;
  // The bytes one ranged GET fetches (coalesced reads: the engine's batch).
  std::uint64_t read_request_bytes = 1 << 20;
  // The size of the segments the cleaner writes (one PUT each).
  std::uint64_t output_segment_bytes = 4 << 20;
  cleaning_budget budget{};
  age_placement placement_{};

  // The dollars cleaning S saves over the horizon minus what it costs (> 0: worth it).
  double net_usd(const segment_usage& s) const {
    const double garbage = static_cast<double>(s.size - s.live);
    const double live = static_cast<double>(s.live);
    const double saved =
        garbage / bytes_per_gb * prices.storage_price().value_or(0) * horizon_days / 30;
    const double gets = static_cast<double>((s.live + read_request_bytes - 1) / read_request_bytes);
    const double puts = live / static_cast<double>(output_segment_bytes);
    const double cost = gets * prices.get_per_1000 / 1000 + puts * prices.put_list_per_1000 / 1000 +
                        live / bytes_per_gb * prices.transfer_out_gb;
    return saved - cost;
  }

  std::vector<segment_id> select(std::span<const segment_usage> table) const {
    return take_within_budget(rank_candidates(
                                  table, [&](const segment_usage& s) { return net_usd(s) > 0; },
                                  [](const segment_usage& s) { return 1.0 - s.utilization(); }),
                              budget);
  }
  std::uint32_t placement(std::uint64_t age) const { return placement_(age); }
  std::string_view name() const { return "cost-aware"; }
};
static_assert(cleaning_policy<cost_aware_policy>);

}  // namespace cloudlog

#endif  // CLOUDLOG_POLICY_COST_AWARE_HPP
