// policy_sim: the policy lab's sweep (docs/policies.md). Runs the library's policies,
// unchanged, on a simulated log (cloudlog/policy/simulator.hpp) and prints one CSV
// row per (policy, workload, segment size, utilization).
//
//   policy_sim [--policies greedy,cost-benefit,...] [--workloads uniform,hot-cold,zipf]
//              [--trace FILE] [--utilizations 0.5,0.6,...] [--blocks 64,256,1024]
//              [--segments S] [--warmup R] [--rounds R] [--hot-fraction F]
//              [--hot-share R] [--zipf THETA] [--seed N] [--age-sort] [--single-head]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cloudlog/policy/any_policy.hpp"
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
  std::string trace_file;
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
    if (!has_value) return usage(("missing value for " + a).c_str());
    const std::string v = value();
    if (a == "--policies") {
      policies = split(v);
    } else if (a == "--workloads") {
      workloads = split(v);
    } else if (a == "--trace") {
      trace_file = v;
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
  std::printf(
      "policy,workload,segments,blocks,utilization,wa,reads_per_user,victim_u,model_greedy");
  for (int b = 0; b < 20; ++b) std::printf(",v%02d", b * 5);
  std::printf("\n");
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
      auto policy = make_policy(pn);
      if (!policy) return usage(("unknown policy " + pn).c_str());
      for (auto b : blocks) {
        for (double u : utils) {
          auto o = base;
          o.blocks = b;
          o.utilization = u;
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
          std::printf("\n");
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
