// SPDX-License-Identifier: BSL-1.0
// remote_cleaner_bench: cleaning passes over a BlueSky store on S3 (s3rver on
// loopback), with and without 20 ms added per request by a delaying TCP relay:
// requests by kind, bytes read against the minimum needed (the metadata walked plus
// the victims' bytes), and wall time (docs/performance.md, "cleaner on S3").
// The same store (generated in memory, seeded) is uploaded to a fresh bucket per
// pass. $CLOUDLOG_BENCH_ROUNDS rounds (default 5) each time one pass without and
// one with the added latency, alternating which goes first; the ratio (with / without)
// is reported per round (median, min) and of the medians, beside load1 (the
// 1-minute load average at the end: the machine is shared).
// $CLOUDLOG_RELAY_LOG=1: each held request, each reply's first line, and each phase
// of a pass (and its end) on one clock, on stderr; $CLOUDLOG_RELAY_DELAY_MS: the relay's delay (20
// by default; 0 measures what the relay itself costs); $CLOUDLOG_BENCH_FILES: the store's size
// (files of 2 MiB, 32 by default); $CLOUDLOG_BENCH_STEADY=N: N earlier passes merged
// into it first (none by default).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/s3_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"
#include "cloudlog/formats/bluesky/workload.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/servers.hpp"

namespace {

namespace bs = cloudlog::bluesky;
using namespace std::chrono_literals;

// $CLOUDLOG_RELAY_LOG: log each held request, each reply and each phase of a pass.
bool relay_log() {
  static const bool on = std::getenv("CLOUDLOG_RELAY_LOG") != nullptr;
  return on;
}

// WHAT and the first line of TEXT (at most 100 bytes) on stderr, after the time in
// seconds on the steady clock: the relay's requests and the pass's phases on one clock.
void log_event(const char* what, std::string_view text) {
  text = text.substr(0, std::min<std::size_t>(text.find('\r'), 100));
  std::fprintf(
      stderr, "%s %.3f %.*s\n", what,
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(),
      static_cast<int>(text.size()), text.data());
}

// A TCP relay on 127.0.0.1 that forwards to TARGET_PORT and holds back the first
// bytes of every request (client bytes after a response, or the first ones) for
// DELAY: one added round trip per request, as a distant endpoint would.
class delaying_relay {
 public:
  delaying_relay(int target_port, std::chrono::milliseconds delay)
      : target_(target_port), delay_(delay) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_, 64);
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~delaying_relay() {
    stop_ = true;
    ::shutdown(listen_, SHUT_RDWR);
    ::close(listen_);
    acceptor_.join();
  }
  int port() const { return port_; }
  // Requests held back so far.
  std::uint64_t delayed() const { return delayed_.load(); }
  // Connections accepted so far (a store reusing its connections opens few).
  std::uint64_t connections() const { return connections_.load(); }

 private:
  void accept_loop() {
    while (!stop_) {
      const int c = ::accept(listen_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      std::thread([this, c] { relay(c); }).detach();
    }
  }
  void relay(int client) {
    const int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(target_));
    if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(client);
      ::close(server);
      return;
    }
    for (int fd : {client, server}) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    auto answered = std::make_shared<std::atomic<bool>>(true);
    std::thread back([=] {
      char buf[1 << 16];
      for (ssize_t n; (n = ::read(server, buf, sizeof buf)) > 0;) {
        if (!answered->exchange(true) && relay_log())
          log_event("reply", {buf, static_cast<std::size_t>(n)});
        if (::write(client, buf, static_cast<std::size_t>(n)) != n) break;
      }
      ::shutdown(client, SHUT_WR);
    });
    char buf[1 << 16];
    for (ssize_t n; (n = ::read(client, buf, sizeof buf)) > 0;) {
      if (answered->exchange(false)) {
        ++delayed_;
        // $CLOUDLOG_RELAY_LOG: each held request's time and first line, and its
        // reply's, to see which requests wait for one another.
        if (relay_log()) log_event("relay", {buf, static_cast<std::size_t>(n)});
        std::this_thread::sleep_for(delay_);
      }
      if (::write(server, buf, static_cast<std::size_t>(n)) != n) break;
    }
    ::shutdown(server, SHUT_WR);
    back.join();
    ::close(client);
    ::close(server);
  }

  int target_;
  std::chrono::milliseconds delay_;
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> delayed_{0};
  std::atomic<std::uint64_t> connections_{0};
  std::thread acceptor_;
};

// $NAME as a count of at least LEAST, else FALLBACK.
std::size_t env_count(const char* name, std::size_t fallback, int least = 1) {
  const char* v = std::getenv(name);
  return v ? static_cast<std::size_t>(std::max(least, std::atoi(v))) : fallback;
}

std::size_t rounds() {
  return env_count("CLOUDLOG_BENCH_ROUNDS", 5);
}

// $CLOUDLOG_BENCH_FILES: the store's files (default 32, of 2 MiB each, every byte
// overwritten once): the pass's size, against its fixed chain of round trips.
std::size_t files() {
  return env_count("CLOUDLOG_BENCH_FILES", 32);
}

std::vector<std::string> bucket_names() {
  std::vector<std::string> b;
  for (std::size_t r = 0; r < rounds(); ++r)
    for (const char* kind : {"plain", "delayed"}) b.push_back(kind + std::to_string(r));
  return b;
}

struct fixture {
  cloudlog::test::s3rver_process server{bucket_names()};
  std::map<std::string, cloudlog::bytes, std::less<>> objects;

  fixture() {
    cloudlog::memory_store mem;
    const auto cipher =
        bs::cipher::from_master(cloudlog::as_bytes("cloudlog-benchmark-passphrase-32b")).value();
    auto fsys = bs::filesystem<cloudlog::memory_store, bs::cipher>::open(mem, cipher).value();
    bs::workload_options o;
    o.files = files();
    o.file_size = 2u << 20;
    o.directories = 4;
    o.write_size = 128u << 10;
    o.overwrite_fraction = 1.0;
    o.flush_every = 8;
    o.seed = 7;
    if (!bs::run_workload(fsys, o)) std::abort();
    // $CLOUDLOG_BENCH_STEADY=N: N rounds of a pass, the proxy's merge and half the
    // bytes overwritten again first, so the store holds merged cleaner generations
    // (the load lists and probes them), as after a daemon's earlier passes.
    const auto steady = env_count("CLOUDLOG_BENCH_STEADY", 0, 0);
    o.create_files = false;
    o.overwrite_fraction = 0.5;
    for (std::size_t k = 0; k < steady; ++k) {
      if (!cloudlog::clean(bs::format{}, mem, cloudlog::threshold_policy{}, {})) std::abort();
      if (!bs::merge_cleaner_output(fsys)) std::abort();
      o.seed = 8 + k;
      if (!bs::run_workload(fsys, o)) std::abort();
    }
    objects = mem.snapshot();
    for (const auto& bucket : bucket_names()) {
      auto s = open(bucket, server.port());
      for (const auto& [name, data] : objects)
        if (!s.write(name, data)) std::abort();
    }
  }
  static cloudlog::s3_store open(const std::string& bucket, int port) {
    cloudlog::s3_options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(port);
    o.credentials = {"S3RVER", "S3RVER", ""};
    o.proxy_from_environment = false;
    o.request_timeout = 60s;
    return cloudlog::s3_store::open(bucket, "", o).value();
  }
};

fixture& shared() {
  static fixture f;
  return f;
}

double load_average() {
  double l = 0;
  std::ifstream("/proc/loadavg") >> l;
  return l;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One pass over BUCKET through PORT: its wall time and report (nullopt if it did not clean).
std::optional<std::pair<double, cloudlog::clean_report>> timed_pass(const std::string& bucket,
                                                                    int port) {
  auto store = fixture::open(bucket, port);
  const auto t0 = std::chrono::steady_clock::now();
  cloudlog::clean_options options;
  // $CLOUDLOG_BENCH_FAN_OUT: the cost model's fan-out (read_cost_model::fan_out;
  // the store's is 1: the planner's reads_ahead + 1 batches).
  // $CLOUDLOG_BENCH_LEVEL_FAN_OUT: its level_fan_out (a walk level, the first
  // relocation batch; the store's is 8; 1: the planner's own, as before it).
  auto cost = cloudlog::read_cost_of<cloudlog::s3_store>();
  cost.fan_out = env_count("CLOUDLOG_BENCH_FAN_OUT", cost.fan_out);
  cost.level_fan_out = env_count("CLOUDLOG_BENCH_LEVEL_FAN_OUT", cost.level_fan_out);
  if (cost != cloudlog::read_cost_of<cloudlog::s3_store>()) options.read_cost = cost;
  // $CLOUDLOG_RELAY_LOG: the phases on the relay log's clock, to tell which phase
  // each wave of requests belongs to.
  if (relay_log())
    options.on_phase = [](const cloudlog::clean_progress& p) { log_event("phase", p.phase); };
  auto r = cloudlog::clean(bs::format{}, store, cloudlog::threshold_policy{}, options);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (relay_log()) log_event("phase", "end");
  if (!r || r->status != cloudlog::clean_status::cleaned) return std::nullopt;
  return std::pair{s, std::move(*r)};
}

void BM_s3_pass_rounds(benchmark::State& state) {
  auto& f = shared();
  delaying_relay relay(f.server.port(),
                       std::chrono::milliseconds(env_count("CLOUDLOG_RELAY_DELAY_MS", 20, 0)));
  std::vector<double> plain, delayed, ratio;
  cloudlog::clean_report last;
  for (auto _ : state) {
    for (std::size_t r = 0; r < rounds(); ++r) {
      std::optional<std::pair<double, cloudlog::clean_report>> a, b;
      if (r % 2 == 0) {
        a = timed_pass("plain" + std::to_string(r), f.server.port());
        b = timed_pass("delayed" + std::to_string(r), relay.port());
      } else {
        b = timed_pass("delayed" + std::to_string(r), relay.port());
        a = timed_pass("plain" + std::to_string(r), f.server.port());
      }
      if (!a || !b) {
        state.SkipWithError("a pass did not clean");
        return;
      }
      plain.push_back(a->first);
      delayed.push_back(b->first);
      ratio.push_back(b->first / a->first);
      last = std::move(b->second);
    }
  }
  const auto* r = &last;
  std::uint64_t victims = 0, live = 0;
  for (const auto& v : r->plan.victims) {
    victims += v.size;
    live += v.live;
  }
  const auto& q = r->stats.requests;
  state.counters["list"] = static_cast<double>(q.list.requests);
  state.counters["get"] = static_cast<double>(q.get.requests);
  state.counters["put"] = static_cast<double>(q.put.requests);
  state.counters["delete"] = static_cast<double>(q.remove.requests);
  state.counters["read_MiB"] = static_cast<double>(r->stats.bytes_read) / (1 << 20);
  // The strict minimum (docs/design.md, "Reads are planned"): metadata walked + live
  // bytes of the victims, and the ranged reads the planner needed.
  state.counters["strict_min_MiB"] = static_cast<double>(r->stats.bytes_minimum) / (1 << 20);
  state.counters["read_over_strict"] =
      static_cast<double>(r->stats.bytes_read) / static_cast<double>(r->stats.bytes_minimum);
  state.counters["needed_runs"] = static_cast<double>(r->stats.needed_runs);
  state.counters["victims"] = static_cast<double>(r->plan.victims.size());
  state.counters["delayed_requests"] =
      static_cast<double>(relay.delayed()) / static_cast<double>(rounds());
  state.counters["delayed_connections"] =
      static_cast<double>(relay.connections()) / static_cast<double>(rounds());
  state.counters["plain_s_median"] = median(plain);
  state.counters["plain_s_min"] = *std::min_element(plain.begin(), plain.end());
  state.counters["delayed_s_median"] = median(delayed);
  state.counters["delayed_s_min"] = *std::min_element(delayed.begin(), delayed.end());
  state.counters["ratio_median"] = median(ratio);
  state.counters["ratio_min"] = *std::min_element(ratio.begin(), ratio.end());
  state.counters["ratio_max"] = *std::max_element(ratio.begin(), ratio.end());
  state.counters["ratio_of_medians"] = median(delayed) / median(plain);
  state.counters["load1"] = load_average();
  for (std::size_t i = 0; i < ratio.size(); ++i)
    std::fprintf(stderr, "round %zu: %.3f s without, %.3f s with 20 ms per request: %.2fx\n", i + 1,
                 plain[i], delayed[i], ratio[i]);
}

// One iteration: each round's passes change their buckets.
BENCHMARK(BM_s3_pass_rounds)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
