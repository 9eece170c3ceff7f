// SPDX-License-Identifier: BSL-1.0
// store_bench: read_many throughput of the remote stores, one request at a time and in
// parallel: simple_store against simple_store_server, s3_store against s3rver (32 x
// 1 MiB), and s3_store against 20 ms of latency per request (64 x 64 KiB from a fake
// endpoint) (docs/backends.md, docs/performance.md "remote reads"). Every read is
// checked for its size; a failed read ends the run with exit 1.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend/conformance.hpp"
#include "cloudlog/backend/s3_store.hpp"
#include "cloudlog/backend/simple_store.hpp"
#include "remote/fake_http.hpp"
#include "support/servers.hpp"

namespace {

using namespace cloudlog;
using namespace std::chrono_literals;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "store_bench: %s\n", what);
  std::exit(1);
}

// Times STORE.read_many(REQS); every result must hold SIZE bytes.
template <class Store>
double timed_reads(Store& store, const std::vector<read_request>& reqs, std::size_t size) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = store.read_many(reqs);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
  for (auto& x : r)
    if (!x || x->size() != size) die("a read failed or came back short");
  return took.count();
}

// 32 objects of 1 MiB written through STORE; the requests that read them whole.
template <class Store>
std::vector<read_request> write_32_mib(Store& store, const bytes& data) {
  std::vector<read_request> reqs;
  for (std::uint32_t i = 0; i < 32; ++i) {
    if (!store.write(segment_name({0, i}).value(), data)) die("a write failed");
    reqs.push_back({segment_name({0, i}).value()});
  }
  return reqs;
}

s3_options local_options(const std::string& endpoint, unsigned parallelism) {
  s3_options o;
  o.endpoint = endpoint;
  o.credentials = {"S3RVER", "not-sent-anywhere-secret", ""};  // s3rver checks the key id only
  o.retries = {3, 10ms, 50ms};
  o.connect_timeout = 1000ms;
  o.request_timeout = 5000ms;
  o.proxy_from_environment = false;  // loopback only
  o.parallelism = parallelism;
  return o;
}

void simple_reads() {
  test::simple_server_process server;
  const auto data = test::pattern(1 << 20, 3);
  simple_options o;
  o.port = static_cast<std::uint16_t>(server.port());
  o.retries = {3, 5ms, 20ms};
  std::vector<read_request> reqs;
  {
    auto store = simple_store::open(o).value();
    reqs = write_32_mib(store, data);
  }
  for (unsigned parallelism : {1u, 8u}) {
    o.parallelism = parallelism;
    auto store = simple_store::open(o).value();
    const double s = timed_reads(store, reqs, data.size());
    std::printf(
        "simple read_many 32 x 1 MiB, parallelism %u: %.3f s, %.1f MiB/s, %llu connections\n",
        parallelism, s, 32 / s, static_cast<unsigned long long>(store.connections_opened()));
  }
}

void s3rver_reads() {
  test::s3rver_process server;
  const auto data = test::pattern(1 << 20, 3);
  for (unsigned parallelism : {1u, 8u}) {
    auto store = s3_store::open("test-bucket", "bench-" + std::to_string(parallelism) + "/",
                                local_options(server.endpoint(), parallelism))
                     .value();
    const auto reqs = write_32_mib(store, data);
    const double s = timed_reads(store, reqs, data.size());
    std::printf("s3rver read_many 32 x 1 MiB, parallelism %u: %.3f s, %.1f MiB/s, %llu requests\n",
                parallelism, s, 32 / s, static_cast<unsigned long long>(store.requests()));
  }
}

void latency_reads() {
  const std::string body(64 << 10, 'x');
  test::fake_http_server fake([&](const test::http_request_seen&) {
    return test::http_action::answer(200, body, "", 20ms);
  });
  std::vector<read_request> reqs;
  for (std::uint32_t i = 0; i < 64; ++i) reqs.push_back({segment_name({0, i}).value()});
  for (unsigned parallelism : {1u, 4u, 8u, 16u}) {
    auto store = s3_store::open("b", "", local_options(fake.endpoint(), parallelism)).value();
    const double s = timed_reads(store, reqs, body.size());
    std::printf("64 x 64 KiB GETs at 20 ms each, parallelism %2u: %.3f s (%.1f requests/s)\n",
                parallelism, s, 64 / s);
  }
}

}  // namespace

int main() {
  simple_reads();
  s3rver_reads();
  latency_reads();
  return 0;
}
