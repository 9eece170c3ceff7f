// SPDX-License-Identifier: BSL-1.0
// The policy lab (policy/simulator.hpp): its sanity checks against published
// results, and the policies' standing on the workloads of docs/policies.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "cloudlog/policy/any_policy.hpp"
#include "cloudlog/policy/policies.hpp"
#include "cloudlog/policy/simulator.hpp"

using namespace cloudlog;

namespace {

// A small log: 1024 segments of 32 blocks, 3 + 5 rounds of writes.
sim_options small(double utilization) {
  sim_options o;
  o.segments = 1024;
  o.blocks = 32;
  o.utilization = utilization;
  o.warmup_rounds = 3;
  o.measure_rounds = 5;
  return o;
}

sim_workload hot_cold_90_10() {
  sim_workload w;
  w.kind = workload_kind::hot_cold;
  w.hot_fraction = 0.1;
  w.hot_share = 0.9;
  return w;
}

double wa(const auto& policy, const sim_workload& w, const sim_options& o) {
  auto r = simulate(policy, w, o);
  REQUIRE(r);
  return r->write_amplification();
}

}  // namespace

TEST_CASE("Desnoyers' model matches its published values", "[policy][simulator]") {
  // A_FIFO at alpha = 1.25 (utilization 0.8) is 2.69; greedy with n_p = 64 a little less.
  CHECK(desnoyers_greedy(0.8, 1u << 20) == Approx(2.69).epsilon(0.01));
  CHECK(desnoyers_greedy(0.8, 64) < desnoyers_greedy(0.8, 1u << 20));
  CHECK(desnoyers_greedy(0.5, 64) < desnoyers_greedy(0.9, 64));
}

TEST_CASE("Greedy on uniform writes is within 5% of Desnoyers' model at 0.6, 0.8 and 0.9",
          "[policy][simulator]") {
  // One log head for GC output and the least free space the log can run with (one
  // segment being filled, one free), as the model assumes.
  const greedy_policy greedy{{}, age_placement{1}};
  for (double u : {0.6, 0.8, 0.9}) {
    auto o = small(u);
    o.reserve = 2;
    o.batch = 1;
    const double model = desnoyers_greedy(u, o.blocks);
    const double measured = wa(greedy, sim_workload{}, o);
    INFO("utilization " << u << ": simulated " << measured << ", model " << model);
    CHECK(measured == Approx(model).epsilon(0.05));
  }
}

TEST_CASE("Cost-benefit with age-sorted, separately headed GC output cleans hot/cold bimodally",
          "[policy][simulator]") {
  // Sprite LFS (Rosenblum and Ousterhout, 1992, figure 6): cold segments are
  // cleaned at high utilization, hot ones at low, and few in between.
  auto o = small(0.8);
  o.age_sort = true;
  auto r = simulate(cost_benefit_policy{{}, age_placement{1}}, hot_cold_90_10(), o);
  REQUIRE(r);
  const auto& h = r->victim_histogram;
  const auto total = std::accumulate(h.begin(), h.end(), std::uint64_t{0});
  const auto low_peak = std::max_element(h.begin(), h.begin() + 10);
  const auto high_peak = std::max_element(h.begin() + 10, h.end());
  const auto valley = std::min_element(low_peak, high_peak);
  const auto low_mass = std::accumulate(h.begin(), h.begin() + 10, std::uint64_t{0});
  INFO("victims by utilization (0.05 bins):" << [&] {
    std::string s;
    for (auto n : h) s += " " + std::to_string(n);
    return s;
  }());
  CHECK(low_mass > total / 5);          // a hot mode...
  CHECK(total - low_mass > total / 5);  // ...and a cold one
  CHECK(*valley * 4 < std::min(*low_peak, *high_peak));
}

TEST_CASE("On 90/10 hot/cold at 0.8, cost-benefit beats greedy and lifetime reaches WA <= 1.8",
          "[policy][simulator]") {
  const auto o = small(0.8);
  const auto w = hot_cold_90_10();
  const double greedy = wa(greedy_policy{}, w, o);
  const double cost_benefit = wa(cost_benefit_policy{}, w, o);
  const double lifetime = wa(lifetime_policy{}, w, o);
  INFO("greedy " << greedy << ", cost-benefit " << cost_benefit << ", lifetime " << lifetime);
  CHECK(cost_benefit < greedy);
  CHECK(lifetime < cost_benefit);
  CHECK(lifetime <= 1.8);
}

TEST_CASE("Lifetime loses at most 3% to greedy on uniform writes", "[policy][simulator]") {
  for (double u : {0.6, 0.8, 0.9}) {
    const auto o = small(u);
    const double greedy = wa(greedy_policy{}, sim_workload{}, o);
    const double lifetime = wa(lifetime_policy{}, sim_workload{}, o);
    INFO("utilization " << u << ": greedy " << greedy << ", lifetime " << lifetime);
    CHECK(lifetime <= greedy * 1.03);
  }
}

TEST_CASE("The lab is deterministic and runs Zipf and trace workloads through any_policy",
          "[policy][simulator]") {
  auto o = small(0.7);
  o.segments = 128;
  sim_workload zipf;
  zipf.kind = workload_kind::zipf;
  zipf.theta = 0.9;
  const any_policy policy = lifetime_policy{};
  auto a = simulate(policy, zipf, o);
  auto b = simulate(policy, zipf, o);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->gc_blocks == b->gc_blocks);
  CHECK(a->write_amplification() > 1.0);
  CHECK(a->user_blocks == static_cast<std::uint64_t>(5 * std::uint64_t(0.7 * 128 * 32)));
  sim_workload trace;
  trace.kind = workload_kind::trace;
  for (std::uint64_t i = 0; i < 1000; ++i) trace.trace.push_back(i * 7);
  auto t = simulate(policy, trace, o);
  REQUIRE(t);
  CHECK(t->write_amplification() >= 1.0);
}

TEST_CASE("The lab refuses a geometry or workload outside its domain", "[policy][simulator]") {
  const greedy_policy g{};
  auto bad_u = small(1.0);
  CHECK(simulate(g, {}, bad_u).error() == errc::invalid_argument);
  auto tiny = small(0.5);
  tiny.segments = 4;
  CHECK(simulate(g, {}, tiny).error() == errc::invalid_argument);
  sim_workload w = hot_cold_90_10();
  w.hot_share = 1.5;
  CHECK(simulate(g, w, small(0.5)).error() == errc::invalid_argument);
  sim_workload empty_trace;
  empty_trace.kind = workload_kind::trace;
  CHECK(simulate(g, empty_trace, small(0.5)).error() == errc::invalid_argument);
  // A policy that never cleans runs the log out of space.
  CHECK(simulate(threshold_policy{0.0}, {}, small(0.8)).error() == errc::budget_exhausted);
}

TEST_CASE("Burst mode cleans to the target after every burst, as the tools' loop does",
          "[policy][simulator]") {
  // The geometry of benchmarks/steady_state.sh: 2048 blocks of user data (64 MiB in
  // 32 KiB blocks), 64-block user segments, 128-block GC segments, 10% bursts.
  sim_options o;
  o.segments = 64;
  o.blocks = 64;
  o.gc_blocks = 128;
  o.utilization = 0.5;
  o.burst = 0.1;
  o.target_utilization = 0.8;
  o.warmup_rounds = 1;
  o.measure_rounds = 4;
  auto r = simulate(greedy_policy{}, sim_workload{}, o);
  REQUIRE(r);
  // N / (N / 0.8 + 0.1 N) = 0.741 before each pass, give or take the partly full
  // segments and the victim that overshoots the target.
  INFO("u before " << r->mean_utilization_before_pass() << ", WA " << r->write_amplification());
  CHECK(r->passes_measured == 40);
  CHECK(r->mean_utilization_before_pass() > 0.70);
  CHECK(r->mean_utilization_before_pass() < 0.78);
  CHECK(r->write_amplification() > 1.5);
  CHECK(r->write_amplification() < 3.5);
  // The bursts let greedy find the hot data dead by the time it cleans: on 90/10 it
  // does better than with cleaning interleaved with the writes at the same mean
  // utilization.
  const auto w = hot_cold_90_10();
  auto burst = simulate(greedy_policy{}, w, o);
  auto interleaved = small(0.75);
  REQUIRE(burst);
  INFO("90/10 greedy: burst " << burst->write_amplification() << ", interleaved "
                              << wa(greedy_policy{}, w, interleaved));
  CHECK(burst->write_amplification() < wa(greedy_policy{}, w, interleaved));
  auto bad = o;
  bad.burst = 1.5;
  CHECK(simulate(greedy_policy{}, w, bad).error() == errc::invalid_argument);
  bad.burst = 0.1;
  bad.target_utilization = 1.0;
  CHECK(simulate(greedy_policy{}, w, bad).error() == errc::invalid_argument);
}
