// SPDX-License-Identifier: BSL-1.0
// simple_store against our simple_store_server on loopback: the segment_store laws,
// the original protocol's GET/PUT bytes, the extensions, name refusal, atomic
// writes, connection reuse and parallel reads.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/conformance.hpp"
#include "cloudlog/backend/caching_store.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/simple_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "support/fixtures.hpp"
#include "support/servers.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

namespace {

simple_store client_of(const test::simple_server_process& s, unsigned parallelism = 8) {
  simple_options o;
  o.port = static_cast<std::uint16_t>(s.port());
  o.parallelism = parallelism;
  o.retries = {3, 5ms, 20ms};
  return simple_store::open(o).value();
}

using test::raw_connection;

std::size_t temp_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("simple_store obeys the segment_store laws on simple_store_server", "[remote][simple]") {
  test::simple_server_process server;
  auto store = client_of(server);
  test::check_segment_store_laws(store);
}

TEST_CASE("simple_store_server answers GET and PUT exactly as the original protocol",
          "[remote][simple][protocol]") {
  test::simple_server_process server;
  raw_connection c(server.port());
  c.send("PUT log-00000000-00000001 10\n0123456789");
  CHECK(c.receive(2) == "0\n");
  c.send("GET log-00000000-00000001 0 0\n");  // length 0: to the end
  CHECK(c.receive(13) == "10\n0123456789");
  c.send("GET log-00000000-00000001 4 3\n");
  CHECK(c.receive(5) == "3\n456");
  c.send("GET log-00000000-00000001 7 100\n");
  CHECK(c.receive(5) == "3\n789");
  c.send("GET log-00000000-00000001 10 0\n");  // at the end
  CHECK(c.receive(2) == "0\n");
  c.send("GET log-00000000-00000001 50 5\n");  // past the end: still 0, as the original
  CHECK(c.receive(2) == "0\n");
  c.send("GET log-00000000-00000077 0 0\n");
  CHECK(c.receive(3) == "-1\n");
  // The file on disk is the object, byte for byte.
  CHECK(as_chars(test::read_file(server.data() / "log-00000000-00000001")) == "0123456789");
}

TEST_CASE("simple_store_server answers the DELETE, LIST and STAT extensions",
          "[remote][simple][protocol]") {
  test::simple_server_process server;
  raw_connection c(server.port());
  c.send("PUT log-00000000-00000002 3\nabcPUT log-00000001-00000000 1\nz");
  CHECK(c.receive(4) == "0\n0\n");
  c.send("LIST log-00000000-\n");
  CHECK(c.receive(26) == "1\nlog-00000000-00000002 3\n");
  c.send("LIST\n");
  CHECK(c.receive(50) == "2\nlog-00000000-00000002 3\nlog-00000001-00000000 1\n");
  c.send("STAT log-00000000-00000002\n");
  CHECK(c.receive(2) == "3\n");
  c.send("STAT log-00000000-00000009\n");
  CHECK(c.receive(3) == "-1\n");
  c.send("DELETE log-00000000-00000002\n");
  CHECK(c.receive(2) == "0\n");
  c.send("DELETE log-00000000-00000002\n");  // already gone: still success
  CHECK(c.receive(2) == "0\n");
  CHECK(!std::filesystem::exists(server.data() / "log-00000000-00000002"));
}

TEST_CASE("simple_store_server refuses names with '/', '..', NUL or a leading dot",
          "[remote][simple][protocol]") {
  test::simple_server_process server;
  std::ofstream(server.data().parent_path() / "secret") << "outside";
  raw_connection c(server.port());
  c.send("GET ../secret 0 0\n");
  CHECK(c.receive(3) == "-1\n");
  c.send("PUT a/b 3\nabc");
  CHECK(c.receive(3) == "-1\n");
  c.send("PUT ..x 3\nabc");
  CHECK(c.receive(3) == "-1\n");
  c.send(std::string("PUT a\0b 3\nabc", 13));
  CHECK(c.receive(3) == "-1\n");
  c.send("PUT .hidden 3\nabc");
  CHECK(c.receive(3) == "-1\n");
  c.send("DELETE ../secret\n");
  CHECK(c.receive(3) == "-1\n");
  c.send("STAT ../secret\n");
  CHECK(c.receive(3) == "-1\n");
  // The connection is still in step after refusals that carried a body.
  c.send("PUT ok-name 2\nhi");
  CHECK(c.receive(2) == "0\n");
  CHECK(std::filesystem::exists(server.data().parent_path() / "secret"));
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(server.data()))
    names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"ok-name"});
}

TEST_CASE("simple_store_server leaves no object and no temporary file when a PUT breaks off",
          "[remote][simple][atomic]") {
  test::simple_server_process server;
  auto store = client_of(server);
  REQUIRE(store.write("log-00000000-00000001", test::pattern(1000, 1)));
  {
    raw_connection c(server.port());
    c.send("PUT log-00000000-00000001 100000\n");
    c.send(std::string(5000, 'x'));
    c.close_write();
    CHECK(c.receive(1).empty());  // the server closes without answering
  }
  std::this_thread::sleep_for(100ms);
  CHECK(temp_files(server.data()) == 0);
  // The old object is intact.
  CHECK(store.read("log-00000000-00000001", 0, whole_object).value() == test::pattern(1000, 1));
}

TEST_CASE("simple_store keeps its connection open and reuses it", "[remote][simple]") {
  test::simple_server_process server;
  auto store = client_of(server);
  for (std::uint32_t i = 0; i < 20; ++i) {
    REQUIRE(store.write(segment_name({0, i}).value(), test::pattern(100, i)));
    REQUIRE(store.read(segment_name({0, i}).value(), 5, 10));
  }
  REQUIRE(store.list(0).value().size() == 20);
  REQUIRE(store.remove("log-00000000-00000003"));
  CHECK(store.read("log-00000000-00000003", 0, 1).error() == errc::not_found);
  CHECK(store.connections_opened() == 1);
}

TEST_CASE("simple_store reconnects when the server closed an idle connection", "[remote][simple]") {
  test::simple_server_process server({"--idle-timeout", "1"});
  auto store = client_of(server);
  REQUIRE(store.write("log-00000000-00000001", test::pattern(10, 1)));
  std::this_thread::sleep_for(1500ms);
  CHECK(store.read("log-00000000-00000001", 0, whole_object).value() == test::pattern(10, 1));
  CHECK(store.connections_opened() == 2);
}

TEST_CASE("simple_store read_many reads in parallel over several connections", "[remote][simple]") {
  test::simple_server_process server;
  auto store = client_of(server, 4);
  std::vector<read_request> reqs;
  for (std::uint32_t i = 0; i < 32; ++i) {
    REQUIRE(store.write(segment_name({0, i}).value(), test::pattern(200'000, i)));
    reqs.push_back({segment_name({0, i}).value(), i, 1000});
  }
  REQUIRE(store.connections_opened() == 1);
  // With the server paused no read can finish, so each of read_many's 4 readers
  // must be waiting on a connection of its own: the idle one and 3 new ones. (A
  // check made after the reads would depend on how the threads were scheduled.)
  server.pause();
  std::vector<result<bytes>> r;
  std::thread reading([&] { r = store.read_many(reqs); });
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (store.connections_opened() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(50ms);  // a fifth connection would show up now
  const auto while_paused = store.connections_opened();
  server.resume();
  reading.join();
  CHECK(while_paused == 4);
  REQUIRE(r.size() == 32);
  for (std::uint32_t i = 0; i < 32; ++i) {
    const auto p = test::pattern(200'000, i);
    CHECK(r[i].value() == bytes(p.begin() + i, p.begin() + i + 1000));
  }
  CHECK(store.connections_opened() == 4);
}

TEST_CASE("simple_store_server serves many clients at once", "[remote][simple]") {
  test::simple_server_process server;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (std::uint32_t t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      auto store = client_of(server);
      for (std::uint32_t i = 0; i < 20; ++i) {
        const auto name = segment_name({t, i}).value();
        const auto data = test::pattern(10'000 + i, t * 100 + i);
        if (!store.write(name, data) || store.read(name, 0, whole_object).value() != data)
          ++failures;
      }
    });
  for (auto& c : clients) c.join();
  CHECK(failures == 0);
  auto store = client_of(server);
  for (std::uint32_t t = 0; t < 8; ++t) CHECK(store.list(t).value().size() == 20);
  CHECK(temp_files(server.data()) == 0);
}

TEST_CASE("simple_store fails fast with errc::unreachable when nothing listens",
          "[remote][simple][errors]") {
  int port;
  {
    test::simple_server_process probe;
    port = probe.port();
    probe.stop();
  }
  simple_options o;
  o.port = static_cast<std::uint16_t>(port);
  o.retries = {3, 10ms, 50ms};
  auto store = simple_store::open(o).value();
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(store.read("log-00000000-00000001", 0, 1).error() == errc::unreachable);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  o.host = "";
  CHECK(simple_store::open(o).error() == errc::invalid_argument);
}

TEST_CASE("simple_store times out on a server that never answers, retries, and gives up",
          "[remote][simple][errors]") {
  // A listening socket nobody serves: connections complete (the backlog), answers never come.
  const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(silent, 16) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len);
  simple_options o;
  o.port = ntohs(addr.sin_port);
  o.io_timeout = 200ms;
  o.retries = {3, 5ms, 10ms};
  auto store = simple_store::open(o).value();
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(store.read("log-00000000-00000001", 0, 10).error() == errc::timeout);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 600ms);  // three attempts of 200 ms each
  CHECK(took < 3s);
  CHECK(store.connections_opened() == 3);  // a timed-out connection is never reused
  ::close(silent);
}

TEST_CASE("simple_protocol parses tokens, numbers and names strictly", "[remote][simple][unit]") {
  using namespace simple_protocol;
  CHECK(tokens("GET  a 1\t2\r") == std::vector<std::string_view>{"GET", "a", "1", "2"});
  CHECK(number("0") == 0u);
  CHECK(number("18446744073709551") == 18446744073709551u);
  CHECK(!number("-1"));
  CHECK(!number("1x"));
  CHECK(!number(""));
  CHECK(!number("99999999999999999999"));
  CHECK(name_ok("log-00000000-00000001"));
  CHECK(!name_ok("a/b"));
  CHECK(!name_ok("a..b"));
  CHECK(!name_ok(".tmp-x"));
  CHECK(!name_ok(std::string_view("a\0b", 3)));
  CHECK(!name_ok(""));
}

TEST_CASE("the decorators stacked over a real simple_store obey the segment_store laws",
          "[remote][decorators][simple]") {
  test::simple_server_process server;
  test::temp_dir dir;
  auto client = client_of(server);
  const retry_policy quick{5, 1ms, 4ms};
  retrying_store retrying(client, quick);
  stats_store counted(retrying);
  auto store = make_caching_store(counted, {dir.path(), 8 << 20}).value();
  test::check_segment_store_laws(store);
}
