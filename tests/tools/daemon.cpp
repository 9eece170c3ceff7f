// SPDX-License-Identifier: BSL-1.0
// bluesky_cleaner --daemon run as a user would: it cleans while a proxy keeps
// writing and merging, stops cleanly on SIGTERM (exit 0, the store verifies), and
// its lease keeps a second cleaner out (exit 7) until the lease expires, and a
// usage index that disagrees with a full walk stops it (exit 8, nothing deleted).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "cloudlog/cleaner/usage_index.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/usage_index_damage.hpp"
#include "tools/tools.hpp"

using namespace cloudlog;
using test::cleaner;
using test::fs_tool;
using namespace std::chrono_literals;

namespace {

// A tool running in the background, its output in a file; signal it and collect
// its exit status.
class spawned {
 public:
  spawned(const std::vector<std::string>& args, std::filesystem::path log)
      : log_(std::move(log)), program_(std::filesystem::canonical(args.at(0))) {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~spawned() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Waits (at most 20 s) until the tool catches SIG (the program runs, not the
  // fork before its exec, which has this test's handlers, and bit SIG - 1 of
  // SigCgt in /proc/PID/status is set) or has ended: a signal sent earlier, while
  // a loaded machine is still starting it, would kill it instead.
  void wait_until_catching(int sig) const {
    const auto proc = "/proc/" + std::to_string(pid_);
    for (int i = 0; i < 2000; ++i) {
      std::error_code ec;
      const bool running = std::filesystem::read_symlink(proc + "/exe", ec) == program_;
      std::ifstream in(proc + "/status");
      std::string line;
      bool ended = !in, caught = false;
      while (std::getline(in, line)) {
        if (line.rfind("State:", 0) == 0) ended = line.find('Z') != std::string::npos;
        if (line.rfind("SigCgt:", 0) == 0)
          caught = std::stoull(line.substr(7), nullptr, 16) >> (sig - 1) & 1;
      }
      if (ended || (running && caught)) return;
      std::this_thread::sleep_for(10ms);
    }
    FAIL("the tool did not install its handler of signal " << sig << " in 20 s");
  }
  // Sends SIG and waits (at most 20 s) for the exit status (128 + signal if killed).
  int signal_and_wait(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    for (int i = 0; i < 2000; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  std::string log() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::filesystem::path log_;
  std::filesystem::path program_;
  pid_t pid_ = -1;
};

struct store_dir {
  test::temp_dir dir;
  std::filesystem::path store = dir.path() / "store";
  std::filesystem::path key = dir.path() / "key";
  store_dir() {
    std::ofstream(key) << "daemon-test-passphrase";
    REQUIRE(fs({"workload", "--files", "6", "--file-size", "256K", "--write-size", "32K",
                "--overwrite-fraction", "0.5", "--flush-every", "4", "--seed", "1"})
                .exit_code == 0);
  }
  std::string uri() const { return "file:" + store.string(); }
  test::process_result fs(std::vector<std::string> args) const {
    args.insert(args.begin(), {fs_tool(), "--store", uri(), "--key-file", key.string()});
    return test::run(args);
  }
  bool lease_exists() const { return std::filesystem::exists(store / "log-99999999-00000000"); }
  void wait_for_lease() const {
    for (int i = 0; i < 500 && !lease_exists(); ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(lease_exists());
  }
};

}  // namespace

TEST_CASE("The daemon cleans while the proxy writes and merges, and stops on SIGTERM",
          "[tools][daemon]") {
  store_dir s;
  spawned daemon(
      {cleaner(), "--store", s.uri(), "--daemon", "--interval", "0.2", "--garbage-threshold", "0",
       "--policy", "greedy", "--max-read", "512K", "--lease-settle", "0.05", "--json"},
      s.dir.path() / "daemon.log");
  s.wait_for_lease();
  for (int round = 0; round < 6; ++round) {
    INFO(round);
    auto w = s.fs({"workload", "--no-create", "--files", "6", "--file-size", "256K", "--write-size",
                   "32K", "--overwrite-fraction", "0.3", "--flush-every", "4", "--seed",
                   std::to_string(10 + round)});
    REQUIRE(w.exit_code == 0);
    std::this_thread::sleep_for(300ms);
    auto m = s.fs({"merge"});
    INFO(m.err);
    REQUIRE(m.exit_code == 0);
  }
  std::this_thread::sleep_for(500ms);
  const int code = daemon.signal_and_wait(SIGTERM);
  const auto log = daemon.log();
  INFO(log);
  CHECK(code == 0);
  CHECK(log.find("\"status\":\"cleaned\"") != std::string::npos);
  CHECK(log.find("error") == std::string::npos);
  // Every line is a JSON object with the schema version and a timestamp; the last
  // one is the daemon's final object.
  const auto ls = test::lines(log);
  REQUIRE_FALSE(ls.empty());
  for (const auto& l : ls) {
    const auto j = nlohmann::json::parse(l);
    CHECK(j["schema_version"] == 1);
    CHECK(j["timestamp"].get<std::string>().size() == 24);
  }
  const auto last = nlohmann::json::parse(ls.back());
  CHECK(last["kind"] == "daemon_end");
  CHECK(last["status"] == "interrupted");
  CHECK(last["passes"].get<int>() > 0);
  CHECK(last["releases"].is_number_unsigned());  // delete-only passes, when idle after a merge
  CHECK_FALSE(s.lease_exists());
  REQUIRE(s.fs({"merge"}).exit_code == 0);
  auto v = s.fs({"verify"});
  INFO(v.err);
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("OK: every tag verified") != std::string::npos);
}

TEST_CASE("A second cleaner is refused while the lease is live and allowed once it expires",
          "[tools][daemon][lease]") {
  store_dir s;
  {
    spawned daemon({cleaner(), "--store", s.uri(), "--daemon", "--interval", "0.2",
                    "--garbage-threshold", "0.99", "--lease-ttl", "3", "--lease-settle", "0.05"},
                   s.dir.path() / "daemon.log");
    s.wait_for_lease();
    std::this_thread::sleep_for(200ms);  // past the daemon's settle time
    auto r = test::run({cleaner(), "--store", s.uri(), "--lease-settle", "0.05"});
    INFO(r.err);
    CHECK(r.exit_code == 7);
    CHECK(test::lines(r.err).size() == 1);
    CHECK(r.err.find("holds the lease") != std::string::npos);
    // A dry run takes no lease: it may always look.
    CHECK(test::run({cleaner(), "--store", s.uri(), "--dry-run"}).exit_code == 0);
    // The daemon crashes (SIGKILL): its lease stays behind...
    CHECK(daemon.signal_and_wait(SIGKILL) == 128 + SIGKILL);
  }
  REQUIRE(s.lease_exists());
  CHECK(test::run({cleaner(), "--store", s.uri(), "--lease-settle", "0.05"}).exit_code == 7);
  // ... until it expires.
  std::this_thread::sleep_for(3200ms);
  auto r = test::run({cleaner(), "--store", s.uri(), "--lease-settle", "0.05"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(s.lease_exists());
}

TEST_CASE("SIGINT stops a one-pass cleaner between batches with what moved committed",
          "[tools][daemon]") {
  store_dir s;
  // A pass that has nothing to wait for ends quickly; the point is the exit code and
  // that the store still verifies after a signal at any moment of the run.
  spawned one({cleaner(), "--store", s.uri(), "--policy", "greedy", "--lease-settle", "0.05"},
              s.dir.path() / "one.log");
  one.wait_until_catching(SIGINT);
  std::this_thread::sleep_for(150ms);
  const int code = one.signal_and_wait(SIGINT);
  INFO(one.log());
  CHECK((code == 0 || code == 6));
  REQUIRE(s.fs({"merge"}).exit_code == 0);
  CHECK(s.fs({"verify"}).exit_code == 0);
}

TEST_CASE("--idle keeps the daemon from cleaning while the proxy writes", "[tools][daemon]") {
  store_dir s;
  spawned daemon(
      {cleaner(), "--store", s.uri(), "--daemon", "--interval", "0.2", "--garbage-threshold", "0",
       "--policy", "greedy", "--idle", "30", "--yield", "--lease-settle", "0.05"},
      s.dir.path() / "daemon.log");
  s.wait_for_lease();
  REQUIRE(s.fs({"workload", "--no-create", "--files", "6", "--file-size", "256K", "--write-size",
                "32K", "--overwrite-fraction", "0.2", "--flush-every", "4", "--seed", "5"})
              .exit_code == 0);
  std::this_thread::sleep_for(600ms);
  const int code = daemon.signal_and_wait(SIGTERM);
  const auto log = daemon.log();
  INFO(log);
  CHECK(code == 0);
  CHECK(log.find("check(s), 0 pass(es) (0 yielded), 0 release(s), 0 item(s)") != std::string::npos);
  // The cleaner wrote nothing: no segment in its directory.
  for (const auto& e : std::filesystem::directory_iterator(s.store))
    CHECK(e.path().filename().string().rfind("log-00000001-", 0) != 0);
}

TEST_CASE("A usage index that disagrees with a full walk stops the daemon: exit 8, nothing deleted",
          "[tools][daemon][usage_index]") {
  store_dir s;
  REQUIRE(test::run({cleaner(), "--store", s.uri(), "--lease-settle", "0.05"}).exit_code == 0);
  REQUIRE(s.fs({"merge"}).exit_code == 0);
  // The record, rewritten with sound checksums around a wrong tree (every leaf a
  // byte off) and due for the cross-check (--index-check-every 6).
  std::filesystem::path record;
  for (const auto& e : std::filesystem::directory_iterator(s.store))
    if (e.path().filename().string().rfind("log-99999998-", 0) == 0) record = e.path();
  REQUIRE(!record.empty());
  bytes data;
  {
    std::ifstream in(record, std::ios::binary);
    for (char c; in.get(c);) data.push_back(std::byte(static_cast<unsigned char>(c)));
  }
  const auto file = [&](const std::string& n) {
    std::ifstream in(s.store / n, std::ios::binary);
    bytes out;
    for (char c; in.get(c);) out.push_back(std::byte(static_cast<unsigned char>(c)));
    return out;
  };
  const auto put = [&](const std::string& n, const bytes& out) {
    std::ofstream(s.store / n, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
  };
  REQUIRE(test::skew_usage_summaries(record.filename().string(), data, file, put, 5));
  // What the store holds but the cleaner's own state (index, lease, history).
  const auto segments = [&] {
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(s.store)) {
      const auto n = e.path().filename().string();
      if (n.rfind("log-99999997-", 0) != 0 && n.rfind("log-99999998-", 0) != 0 &&
          n.rfind("log-99999999-", 0) != 0)
        names.insert(n);
    }
    return names;
  };
  const auto before = segments();
  auto r = test::run({cleaner(), "--store", s.uri(), "--daemon", "--interval", "0.05",
                      "--garbage-threshold", "0", "--policy", "greedy", "--max-checks", "5",
                      "--index-check-every", "6", "--lease-settle", "0.05", "--json"});
  INFO(r.err << r.out);
  CHECK(r.exit_code == 8);
  CHECK(r.err.find("usage index disagreed with a full walk") != std::string::npos);
  const auto last = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1);
  const auto end = nlohmann::json::parse(last);
  CHECK(end["kind"] == "daemon_end");
  CHECK(end["index_mismatch"] == true);
  CHECK(end["checks"] == 1);
  CHECK(end["passes"] == 0);
  CHECK(segments() == before);
  CHECK(!s.lease_exists());
}
