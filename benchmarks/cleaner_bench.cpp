// SPDX-License-Identifier: BSL-1.0
// cleaner_bench: one cleaning pass over a generated BlueSky store of at least 1 GiB
// with about 50% garbage (file backend), key-less and with verification, beside
// the I/O floor measured in the same run: reading the victims and writing objects
// of the sizes the pass wrote, with the same fsyncs (docs/performance.md, "cleaner").
//
// The store is generated once into $CLOUDLOG_BENCH_DIR (default /tmp/cloudlog-bench)
// and reused; each iteration cleans a hard-linked copy (segments are immutable,
// and the cleaner only creates and deletes files, so the copy is exact and free).
// $CLOUDLOG_BENCH_SCALE scales the store (1.0: 128 files x 8 MiB, every byte
// overwritten once, so 2 GiB stored and half of it garbage).
// $CLOUDLOG_BENCH_PRESET=cleanbench|smallfiles generates that workload preset
// instead (bluesky_fs workload --preset, scaled likewise): the pass against the
// equal-durability floor on the original's own benchmarks. $CLOUDLOG_BENCH_FLUSH_EVERY
// overrides the workload's flush interval (cleanbench flushes after every 512 KiB
// write, so each segment is wholly live or wholly dead and a pass only deletes).
// $CLOUDLOG_BENCH_ITERATIONS (default 3) passes are timed, each followed by its
// floor; besides the means, pass_over_floor_min and _median are taken over the
// iterations' own ratios (the machine is shared: a ratio within one iteration is
// the least disturbed figure), and load1 is the 1-minute load average at the end.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/workload.hpp"
#include "cloudlog/policy/policies.hpp"

namespace {

namespace bs = cloudlog::bluesky;
namespace fs = std::filesystem;

const bs::cipher& bench_cipher() {
  static const auto c =
      bs::cipher::from_master(cloudlog::as_bytes("cloudlog-benchmark-passphrase-32b")).value();
  return c;
}

double env_double(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : fallback;
}

fs::path bench_root() {
  const char* v = std::getenv("CLOUDLOG_BENCH_DIR");
  return v ? fs::path(v) : fs::path("/tmp/cloudlog-bench");
}

// $CLOUDLOG_BENCH_PRESET, or "" for the default store.
std::string bench_preset() {
  const char* v = std::getenv("CLOUDLOG_BENCH_PRESET");
  return v ? std::string(v) : std::string();
}

// The pristine store: generated on first use, reused while its parameters match.
const fs::path& pristine() {
  static const fs::path dir = [] {
    const double scale = env_double("CLOUDLOG_BENCH_SCALE", 1.0);
    const auto preset = bench_preset();
    const fs::path d =
        bench_root() / ((preset.empty() ? "store" : preset) + "-scale-" + std::to_string(scale) +
                        "-flush-" + std::to_string(env_double("CLOUDLOG_BENCH_FLUSH_EVERY", 0)));
    if (fs::exists(d / "COMPLETE")) return d;
    fs::remove_all(d);
    auto store = cloudlog::file_store::create(d).value();
    auto fsys =
        bs::filesystem<cloudlog::file_store, bs::cipher>::open(store, bench_cipher()).value();
    bs::workload_options o;
    o.files = 128;
    o.file_size = 8u << 20;
    o.directories = 8;
    o.write_size = 512u << 10;
    o.overwrite_fraction = 1.0;
    o.flush_every = 16;
    o.seed = 2026;
    if (!preset.empty()) {
      auto p = bs::workload_preset(preset);
      if (!p) {
        std::fprintf(stderr, "unknown CLOUDLOG_BENCH_PRESET %s\n", preset.c_str());
        std::exit(1);
      }
      o = *p;
      o.seed = 2026;
    }
    if (std::getenv("CLOUDLOG_BENCH_FLUSH_EVERY"))
      o.flush_every = static_cast<std::uint64_t>(env_double("CLOUDLOG_BENCH_FLUSH_EVERY", 1));
    o.scale = scale;
    auto r = bs::run_workload(fsys, o);
    if (!r) {
      std::fprintf(stderr, "workload failed: %s\n", r.error().text().c_str());
      std::exit(1);
    }
    std::ofstream(d / "COMPLETE") << "ok\n";
    return d;
  }();
  return dir;
}

// A hard-linked copy of the pristine store.
fs::path fresh_copy() {
  const fs::path d = bench_root() / "work";
  fs::remove_all(d);
  fs::create_directories(d);
  for (const auto& e : fs::directory_iterator(pristine()))
    if (e.path().filename().string().rfind("log-", 0) == 0)
      fs::create_hard_link(e.path(), d / e.path().filename());
  return d;
}

std::uint64_t peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}
// CPU seconds of the whole process (every thread) so far.
double process_cpu_s() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double load_average() {
  double l = 0;
  std::ifstream("/proc/loadavg") >> l;
  return l;
}
void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

// The sizes of the objects the pass wrote into DIR (its output segments and its
// commit): every name that is not in the pristine store.
std::vector<std::uint64_t> written_objects(const fs::path& dir) {
  std::vector<std::uint64_t> sizes;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.rfind("log-", 0) == 0 && !fs::exists(pristine() / name))
      sizes.push_back(e.file_size());
  }
  return sizes;
}

// The I/O floor at equal durability: read every victim whole, then write objects
// of SIZES, the pass's own, one after another with file_store's durability
// (temporary file, fsync, rename, directory fsync): the same fsyncs as the pass.
double io_floor(const fs::path& dir, const cloudlog::clean_report& plan,
                const std::vector<std::uint64_t>& sizes) {
  auto store = cloudlog::file_store::open(dir).value();
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t sink = 0;
  for (const auto& v : plan.plan.victims) {
    auto b = store.read(cloudlog::segment_name(v.id).value(), 0, cloudlog::whole_object).value();
    sink += b.size();
  }
  const auto largest = sizes.empty() ? 0 : *std::max_element(sizes.begin(), sizes.end());
  cloudlog::bytes chunk(largest, std::byte{0x5a});
  std::uint32_t seq = 90'000'000;
  for (const auto n : sizes) {
    auto w = store.write(cloudlog::segment_name({7, seq++}).value(),
                         cloudlog::byte_view(chunk).first(n));
    if (!w) std::exit(1);
  }
  benchmark::DoNotOptimize(sink);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class Verifier>
void clean_pass(benchmark::State& state, const Verifier& verify) {
  // Greedy with default options (target utilization 0.8). bluesky_cleaner's default
  // policy, lifetime, finds nothing to do on a freshly written preset store (every
  // segment is young).
  const cloudlog::greedy_policy policy{};
  cloudlog::clean_options options;
  // $CLOUDLOG_BENCH_WRITES: output segments written in the background (default 4; 0: none).
  if (std::getenv("CLOUDLOG_BENCH_WRITES"))
    options.writes_in_flight = static_cast<std::size_t>(env_double("CLOUDLOG_BENCH_WRITES", 4));
  double floor_total = 0, pass_total = 0;
  std::vector<double> ratios, passes, floors;
  double pass_cpu = 0, floor_cpu = 0;  // CPU seconds of every thread
  cloudlog::clean_report last;
  std::uint64_t peak_kib = 0, base_kib = 0;
  std::size_t objects_written = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_copy();
    auto store = cloudlog::file_store::open(dir).value();
    reset_peak_rss();
    base_kib = peak_rss_kib();
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    const auto c0 = process_cpu_s();
    auto r = cloudlog::clean(bs::format{}, store, policy, options, verify);
    const double pass =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    pass_cpu += process_cpu_s() - c0;
    state.PauseTiming();
    peak_kib = peak_rss_kib();
    if (!r || r->status != cloudlog::clean_status::cleaned) {
      std::fprintf(
          stderr, "the pass did not clean: %s\n",
          r ? std::string(cloudlog::to_string(r->status)).c_str() : r.error().text().c_str());
      state.SkipWithError("the pass did not clean");
      return;
    }
    last = *r;
    pass_total += pass;
    const auto sizes = written_objects(dir);
    objects_written = sizes.size();
    const auto c1 = process_cpu_s();
    const double floor = io_floor(dir, *r, sizes);
    floor_cpu += process_cpu_s() - c1;
    floor_total += floor;
    passes.push_back(pass);
    floors.push_back(floor);
    ratios.push_back(pass / floor);
    state.SetIterationTime(pass);
    state.ResumeTiming();
  }
  const auto n = static_cast<double>(state.iterations());
  std::uint64_t victim_bytes = 0, victim_live = 0;
  for (const auto& v : last.plan.victims) {
    victim_bytes += v.size;
    victim_live += v.live;
  }
  const double pass = pass_total / n, floor = floor_total / n;
  state.counters["store_GiB"] = static_cast<double>(last.stats.bytes_total) / (1u << 30);
  state.counters["garbage_pct"] = 100.0 * static_cast<double>(last.stats.bytes_wasted) /
                                  static_cast<double>(last.stats.bytes_total);
  state.counters["victim_MiB"] = static_cast<double>(victim_bytes) / (1u << 20);
  state.counters["victim_MiB_per_s"] = static_cast<double>(victim_bytes) / (1u << 20) / pass;
  state.counters["relocated_MiB_per_s"] =
      static_cast<double>(last.plan.bytes_to_relocate) / (1u << 20) / pass;
  state.counters["read_MiB"] = static_cast<double>(last.stats.bytes_read) / (1u << 20);
  state.counters["written_MiB"] = static_cast<double>(last.stats.bytes_written) / (1u << 20);
  state.counters["relocated_over_live_in_victims"] =
      static_cast<double>(last.plan.bytes_to_relocate) / static_cast<double>(victim_live);
  state.counters["written_over_live_in_victims"] =
      static_cast<double>(last.stats.bytes_written) / static_cast<double>(victim_live);
  state.counters["floor_s"] = floor;
  state.counters["objects_written"] = static_cast<double>(objects_written);
  state.counters["load_s"] = last.stats.seconds_load;
  state.counters["walk_s"] = last.stats.seconds_walk;
  state.counters["relocate_s"] = last.stats.seconds_relocate;
  state.counters["commit_s"] = last.stats.seconds_commit;
  state.counters["gets"] = static_cast<double>(last.stats.requests.get.requests);
  state.counters["needed_runs"] = static_cast<double>(last.stats.needed_runs);
  state.counters["read_over_strict"] =
      static_cast<double>(last.stats.bytes_read) / static_cast<double>(last.stats.bytes_minimum);
  state.counters["pass_over_floor"] = pass / floor;
  std::sort(ratios.begin(), ratios.end());
  state.counters["pass_over_floor_min"] = ratios.front();
  state.counters["pass_over_floor_median"] = ratios[ratios.size() / 2];
  state.counters["pass_min_s"] = *std::min_element(passes.begin(), passes.end());
  state.counters["floor_min_s"] = *std::min_element(floors.begin(), floors.end());
  state.counters["load1"] = load_average();
  // CPU of the whole process (the pass's threads included), which the machine's
  // load disturbs far less than wall time.
  state.counters["pass_cpu_s"] = pass_cpu / n;
  state.counters["floor_cpu_s"] = floor_cpu / n;
  state.counters["live_objects"] = static_cast<double>(last.stats.items_live);
  state.counters["peak_MiB"] = static_cast<double>(peak_kib) / 1024;
  state.counters["peak_growth_MiB"] = static_cast<double>(peak_kib - base_kib) / 1024;
  state.counters["bound_MiB"] =
      100.0 + 100.0 * static_cast<double>(last.stats.items_live) / (1u << 20);
}

void BM_clean_keyless(benchmark::State& state) {
  clean_pass(state, cloudlog::accept_all{});
}
void BM_clean_verified(benchmark::State& state) {
  clean_pass(state, [](cloudlog::byte_view item) {
    return bench_cipher().verify(item) == cloudlog::tag_status::ok;
  });
}

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<benchmark::IterationCount>(env_double("CLOUDLOG_BENCH_ITERATIONS", 3));
  for (auto [name, fn] : {std::pair{"BM_clean_keyless", &BM_clean_keyless},
                          std::pair{"BM_clean_verified", &BM_clean_verified}})
    benchmark::RegisterBenchmark(name, fn)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(n);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
