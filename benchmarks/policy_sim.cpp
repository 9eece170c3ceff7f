// SPDX-License-Identifier: BSL-1.0
// policy_sim: the policy lab's sweep (docs/policies.md). Runs the library's policies,
// unchanged, on a simulated log (cloudlog/policy/simulator.hpp) and prints one CSV
// row per (policy, workload, segment size, utilization).
//
//   policy_sim [--policies greedy,cost-benefit,...] [--workloads uniform,hot-cold,zipf]
//              [--trace FILE] [--utilizations 0.5,0.6,...] [--blocks 64,256,1024]
//              [--segments S] [--warmup R] [--rounds R] [--hot-fraction F]
//              [--hot-share R] [--zipf THETA] [--seed N] [--age-sort] [--single-head]
//              [--write-back] [--burst F [--target U] [--gc-blocks N] [--block-bytes N]
//               [--prices FILE] [--round-days D] [--horizon D]]
//
// --write-back absorbs a block written again before its user segment is sealed (the
// proxy's cache between flushes). --burst F is the real tools' loop (benchmarks/steady_state.sh): F
// of the user data written between passes, each pass cleaning to --target (default 0.8); the user
// data is still utilization x S x B blocks, and the last column, u_before, is the mean utilization
// before a pass (docs/policies.md, "Lab and engine"). In burst mode each burst takes --round-days
// (default 1) and the run is priced (policy/cost_model.hpp; --prices FILE overrides S3 Standard's
// defaults): the cleaner's GETs, PUTs and transfer (usd_requests) and the storage held
// (usd_storage, the mean of before and after each pass), in dollars per month per
// TB of user data. `cost-aware` is the policy of policy/cost_aware.hpp with those
// prices, --horizon days (default 30) and the geometry's segment sizes.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cloudlog/policy/any_policy.hpp"
#include "cloudlog/policy/cost_aware.hpp"
#include "cloudlog/policy/cost_model.hpp"
#include "cloudlog/policy/policies.hpp"
#include "cloudlog/policy/simulator.hpp"

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

std::optional<double> number(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') return std::nullopt;
  return v;
}

// NAME or NAME:CLASSES (the number of age classes of the placement).
std::optional<cloudlog::any_policy> make_policy(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  cloudlog::age_placement placement{};
  if (colon != std::string::npos) {
    auto n = number(spec.substr(colon + 1));
    if (!n || *n < 1) return std::nullopt;
    placement.classes = static_cast<std::uint32_t>(*n);
  }
  if (name == "greedy") return cloudlog::greedy_policy{{}, placement};
  if (name == "cost-benefit") return cloudlog::cost_benefit_policy{{}, placement};
  if (name == "lifetime") return cloudlog::lifetime_policy{};
  if (name == "threshold") return cloudlog::threshold_policy{0.6, {}, placement};
  if (name == "age-threshold") return cloudlog::age_threshold_policy{4, 0.8, {}, placement};
  return std::nullopt;
}

int usage(const char* why) {
  std::fprintf(stderr, "error: %s (see the comment at the top of benchmarks/policy_sim.cpp)\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> policies{"greedy", "cost-benefit"};
  std::vector<std::string> workloads{"uniform", "hot-cold", "zipf"};
  std::vector<double> utils{0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};
  std::vector<std::uint64_t> blocks{64, 256};
  cloudlog::sim_options base;
  cloudlog::sim_workload w;
  std::string trace_file, prices_file;
  double round_days = 1, horizon = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    auto value = [&]() -> std::string { return has_value ? argv[++i] : ""; };
    if (a == "--age-sort") {
      base.age_sort = true;
      continue;
    }
    if (a == "--single-head") {
      base.separate_gc_head = false;
      continue;
    }
    if (a == "--write-back") {
      base.write_back = true;
      continue;
    }
    if (!has_value) return usage(("missing value for " + a).c_str());
    const std::string v = value();
    if (a == "--policies") {
      policies = split(v);
    } else if (a == "--workloads") {
      workloads = split(v);
    } else if (a == "--trace") {
      trace_file = v;
    } else if (a == "--prices") {
      prices_file = v;
    } else if (a == "--utilizations" || a == "--blocks") {
      std::vector<double> xs;
      for (const auto& s : split(v)) {
        auto x = number(s);
        if (!x) return usage(("not a number: " + s).c_str());
        xs.push_back(*x);
      }
      if (a == "--blocks") {
        blocks.clear();
        for (double x : xs) blocks.push_back(static_cast<std::uint64_t>(x));
      } else {
        utils = xs;
      }
    } else {
      auto x = number(v);
      if (!x) return usage(("not a number: " + v).c_str());
      if (a == "--segments")
        base.segments = static_cast<std::uint64_t>(*x);
      else if (a == "--warmup")
        base.warmup_rounds = *x;
      else if (a == "--rounds")
        base.measure_rounds = *x;
      else if (a == "--hot-fraction")
        w.hot_fraction = *x;
      else if (a == "--hot-share")
        w.hot_share = *x;
      else if (a == "--zipf")
        w.theta = *x;
      else if (a == "--seed")
        base.seed = static_cast<std::uint64_t>(*x);
      else if (a == "--reserve")
        base.reserve = static_cast<std::uint64_t>(*x);
      else if (a == "--batch")
        base.batch = static_cast<std::uint64_t>(*x);
      else if (a == "--burst")
        base.burst = *x;
      else if (a == "--target")
        base.target_utilization = *x;
      else if (a == "--gc-blocks")
        base.gc_blocks = static_cast<std::uint64_t>(*x);
      else if (a == "--block-bytes")
        base.block_bytes = static_cast<std::uint64_t>(*x);
      else if (a == "--round-days")
        round_days = *x;
      else if (a == "--horizon")
        horizon = *x;
      else
        return usage(("unknown option " + a).c_str());
    }
  }
  if (!trace_file.empty()) {
    std::ifstream in(trace_file);
    if (!in) return usage(("cannot read " + trace_file).c_str());
    for (std::uint64_t b; in >> b;) w.trace.push_back(b);
    workloads = {"trace"};
  }
  cloudlog::price_table prices;
  if (!prices_file.empty()) {
    std::ifstream in(prices_file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto p = cloudlog::parse_price_table(text);
    if (!in || !p) return usage(("not a readable price file: " + prices_file).c_str());
    prices = *p;
  }
  std::printf(
      "policy,workload,segments,blocks,utilization,wa,reads_per_user,victim_u,model_greedy");
  for (int b = 0; b < 20; ++b) std::printf(",v%02d", b * 5);
  std::printf(",u_before,usd_requests,usd_storage,usd_total\n");
  for (const auto& wl : workloads) {
    if (wl == "uniform")
      w.kind = cloudlog::workload_kind::uniform;
    else if (wl == "hot-cold")
      w.kind = cloudlog::workload_kind::hot_cold;
    else if (wl == "zipf")
      w.kind = cloudlog::workload_kind::zipf;
    else if (wl == "trace")
      w.kind = cloudlog::workload_kind::trace;
    else
      return usage(("unknown workload " + wl).c_str());
    for (const auto& pn : policies) {
      const bool cost_aware = pn == "cost-aware";
      auto policy = cost_aware ? std::optional<cloudlog::any_policy>(cloudlog::greedy_policy{})
                               : make_policy(pn);
      if (!policy) return usage(("unknown policy " + pn).c_str());
      for (auto b : blocks) {
        for (double u : utils) {
          auto o = base;
          o.blocks = b;
          o.utilization = u;
          if (cost_aware) {
            cloudlog::cost_aware_policy c;
            c.prices = prices;
            c.horizon_days = horizon;
            c.read_request_bytes = o.read_request_bytes;
            c.output_segment_bytes = (o.gc_blocks ? o.gc_blocks : b) * o.block_bytes;
            policy = c;
          }
          auto r = cloudlog::simulate(*policy, w, o);
          if (!r) {
            std::fprintf(stderr, "%s %s B=%llu u=%.2f: %s\n", pn.c_str(), wl.c_str(),
                         static_cast<unsigned long long>(b), u, r.error().message().c_str());
            continue;
          }
          std::printf("%s,%s,%llu,%llu,%.3f,%.4f,%.4f,%.4f,%.4f", pn.c_str(), wl.c_str(),
                      static_cast<unsigned long long>(o.segments),
                      static_cast<unsigned long long>(b), u, r->write_amplification(),
                      r->reads_per_user_byte(), r->mean_victim_utilization(),
                      cloudlog::desnoyers_greedy(u, b));
          for (auto h : r->victim_histogram)
            std::printf(",%llu", static_cast<unsigned long long>(h));
          std::printf(",%.4f", r->mean_utilization_before_pass());
          // Dollars per month per TB of user data (burst mode; 0 otherwise).
          const double days = static_cast<double>(r->passes_measured) * round_days;
          const double user_bytes = static_cast<double>(static_cast<std::uint64_t>(
                                        u * static_cast<double>(o.segments * b))) *
                                    static_cast<double>(o.block_bytes);
          const double per = days > 0 ? 1e12 / user_bytes * 30 / days : 0;
          const double req = (static_cast<double>(r->read_requests) * prices.get_per_1000 +
                              static_cast<double>(r->gc_segments) * prices.put_list_per_1000) /
                                 1000 +
                             static_cast<double>(r->gc_blocks * o.block_bytes) /
                                 cloudlog::bytes_per_gb * prices.transfer_out_gb;
          const double stored_bytes =
              r->passes_measured
                  ? static_cast<double>(r->stored_before_sum + r->stored_after_sum) / 2 /
                        static_cast<double>(r->passes_measured) * static_cast<double>(o.block_bytes)
                  : 0;
          const double sto = stored_bytes / cloudlog::bytes_per_gb *
                             prices.storage_price().value_or(0) * days / 30;
          std::printf(",%.4f,%.4f,%.4f\n", req * per, sto * per, (req + sto) * per);
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
