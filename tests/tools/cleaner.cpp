// SPDX-License-Identifier: BSL-1.0
// bluesky_cleaner run as a user would: --help, dry runs that change nothing, --json
// that agrees with the store before and after, and one documented line and exit
// code for every error a user meets.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <set>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "cloudlog/version.hpp"

#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"
#include "tools/tools.hpp"

using namespace cloudlog;
using test::check_one_line_error;
using test::cleaner;
using test::fs_tool;
using test::snapshot;

namespace {

// Runs bluesky_cleaner with ARGS (and a short lease settle time, to keep tests fast).
test::process_result clean_tool(std::vector<std::string> args,
                                const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), cleaner());
  args.insert(args.end(), {"--lease-settle", "0.05"});
  return test::run(args, env);
}

// A small encrypted store with garbage, made by `bluesky_fs workload`; the key in DIR/key.
struct demo_store {
  test::temp_dir dir;
  std::filesystem::path store = dir.path() / "store";
  std::filesystem::path key = dir.path() / "key";
  demo_store() {
    std::ofstream(key) << "tools-test-passphrase";
    auto r = test::run({fs_tool(), "--store", uri(), "--key-file", key.string(), "workload",
                        "--files", "6", "--file-size", "256K", "--write-size", "32K",
                        "--overwrite-fraction", "0.6", "--flush-every", "4", "--seed", "3"});
    REQUIRE(r.exit_code == 0);
  }
  std::string uri() const { return "file:" + store.string(); }
};

// A TCP port on loopback nobody listens on (bound, then closed).
int closed_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("bluesky_cleaner --help explains every option and gives examples", "[tools][cleaner]") {
  auto r = test::run({cleaner(), "--help"});
  REQUIRE(r.exit_code == 0);
  for (const char* opt : {"--store",           "--policy",       "--target-utilization",
                          "lifetime",          "--threshold",    "--min-age",
                          "--age-classes",     "--max-read",     "--max-write",
                          "--garbage-target",  "--whole-file",   "--repack-inodes",
                          "--dry-run",         "--json",         "--key-file",
                          "--parallel",        "--endpoint-url", "--parallelism",
                          "--max-attempts",    "--cache-dir",    "--cache-size",
                          "--daemon",          "--interval",     "--garbage-threshold",
                          "--clean-every",     "--idle",         "--yield",
                          "--max-checks",      "--lease-ttl",    "--lease-settle",
                          "--verbose",         "--quiet",        "BLUESKY_KEY",
                          "AWS_ACCESS_KEY_ID", "Examples:",      "Exit codes:"}) {
    INFO(opt);
    CHECK(r.out.find(opt) != std::string::npos);
  }
  CHECK(r.out.find("--delete-only") != std::string::npos);
}

TEST_CASE("bluesky_fs --help and every command's --help exit 0 and name their options",
          "[tools][fs]") {
  auto r = test::run({fs_tool(), "--help"});
  REQUIRE(r.exit_code == 0);
  for (const char* s :
       {"--store", "--key-file", "--endpoint-url", "--parallelism", "--max-attempts", "dump", "ls",
        "cat", "readlink", "verify", "merge", "workload", "Examples:"}) {
    INFO(s);
    CHECK(r.out.find(s) != std::string::npos);
  }
  const std::map<std::string, std::vector<std::string>> commands{
      {"dump", {"--json"}},
      {"ls", {"--recursive"}},
      {"cat", {"path"}},
      {"readlink", {"path"}},
      {"verify", {"--json"}},
      {"merge", {"--json"}},
      {"workload",
       {"--preset", "--files", "--file-size", "--dirs", "--write-size", "--overwrite-fraction",
        "--rounds", "--flush-every", "--seed", "--scale", "--no-create", "--json"}}};
  for (const auto& [cmd, opts] : commands) {
    auto c = test::run({fs_tool(), "--store", "file:/nonexistent", cmd, "--help"});
    INFO(cmd);
    CHECK(c.exit_code == 0);
    for (const auto& o : opts) CHECK(c.out.find(o) != std::string::npos);
  }
}

TEST_CASE(
    "A dry run prints the summary first (the table with -v) and leaves the store "
    "byte-identical",
    "[tools][cleaner]") {
  demo_store d;
  const auto before = snapshot(d.store);
  auto r = clean_tool({"--store", d.uri(), "--dry-run", "--policy", "greedy"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Summary first, in human units: five lines, no table.
  const auto out = test::lines(r.out);
  REQUIRE(out.size() == 5);
  CHECK(out[0] == "status: planned (dry run: nothing changed)");
  CHECK(out[1].rfind("before: ", 0) == 0);
  CHECK(out[2].rfind("after:  about ", 0) == 0);
  CHECK(out[3].rfind("moves:  ", 0) == 0);
  CHECK(out[4].rfind("frees:  ", 0) == 0);
  // before: the store as it is, in KiB/MiB, with its segment count and unused share.
  std::uint64_t total = 0;
  for (const auto& [name, b] : before) total += b.size();
  CHECK(out[1].find(std::to_string(before.size()) + " segment(s)") != std::string::npos);
  CHECK(out[1].find("% unused") != std::string::npos);
  CHECK((out[1].find(" KiB stored") != std::string::npos ||
         out[1].find(" MiB stored") != std::string::npos));
  CHECK(r.out.find("once the proxy merges") != std::string::npos);
  CHECK(r.out.find(std::to_string(total)) == std::string::npos);  // no raw byte counts
  // -v adds the table, one row per segment with its action, and the exact counts.
  auto v = clean_tool({"--store", d.uri(), "--dry-run", "--policy", "greedy", "-v"});
  const auto vl = test::lines(v.out);
  REQUIRE(vl.size() == 5 + 1 + before.size() + 1);
  CHECK(vl[5].find("segment") == 0);
  CHECK(vl[5].find("util") != std::string::npos);
  CHECK(v.out.find("clean\n") != std::string::npos);
  CHECK(v.out.find("of " + std::to_string(total) + " B") != std::string::npos);
  CHECK(snapshot(d.store) == before);
  // --json too.
  auto j = clean_tool({"--store", d.uri(), "--dry-run", "--json"});
  REQUIRE(j.exit_code == 0);
  CHECK(nlohmann::json::parse(j.out)["dry_run"] == true);
  CHECK(snapshot(d.store) == before);
}

TEST_CASE("--json's figures agree with the store before and after the pass", "[tools][cleaner]") {
  demo_store d;
  const auto before = snapshot(d.store);
  auto r = clean_tool({"--store", d.uri(), "--policy", "greedy", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["status"] == "cleaned");
  CHECK(j["interrupted"] == false);
  CHECK(j["bytes_walked"].get<std::uint64_t>() > 0);
  std::uint64_t total = 0;
  for (const auto& [name, b] : before) total += b.size();
  CHECK(j["bytes_total"] == total);
  CHECK(j["bytes_used"].get<std::uint64_t>() + j["bytes_wasted"].get<std::uint64_t>() == total);
  CHECK(j["segments"].size() == before.size());
  for (const auto& s : j["segments"]) {
    char name[32];
    std::snprintf(name, sizeof name, "log-%08u-%08u", s["directory"].get<unsigned>(),
                  s["sequence"].get<unsigned>());
    REQUIRE(before.count(name));
    CHECK(s["size"] == before.at(name).size());
  }
  const auto after = snapshot(d.store);
  std::uint64_t written = 0;
  for (const auto& w : j["written"]) {
    const auto name = w.get<std::string>();
    REQUIRE(after.count(name));
    CHECK_FALSE(before.count(name));
    written += after.at(name).size();
  }
  CHECK(j["segments_written"] == j["written"].size());
  // The usage index's head (log-99999998-00000001, docs/tools.md) and its ranges
  // (log-99999997-*) are the other objects the pass wrote.
  const auto index_name = "log-99999998-00000001";
  REQUIRE(j["usage_index"]["generation_written"] == 1);
  REQUIRE(after.count(index_name));
  std::uint64_t index_bytes = 0, index_objects = 0;
  for (const auto& [name, data] : after)
    if (name.rfind("log-99999998-", 0) == 0 || name.rfind("log-99999997-", 0) == 0) {
      index_bytes += data.size();
      ++index_objects;
    }
  CHECK(index_objects >= 2);
  CHECK(j["usage_index"]["bytes_written"] == index_bytes);
  CHECK(j["bytes_written"] == written + index_bytes);
  std::uint64_t freed = 0;
  for (const auto& del : j["plan"]["deletions"]) {
    CHECK_FALSE(after.count(del.get<std::string>()));
    freed += before.at(del.get<std::string>()).size();
  }
  CHECK(j["bytes_freed"] == freed);
  CHECK(j["segments_deleted"] == j["plan"]["deletions"].size());
  // The pass history (log-99999999-00000001, the cleaner's namespace) is no segment.
  CHECK(after.count("log-99999999-00000001"));
  CHECK(after.size() - 1 - index_objects ==
        before.size() + j["written"].size() - j["plan"]["deletions"].size());
  CHECK(j["items_relocated"].get<std::uint64_t>() > 0);
  CHECK(j["requests"]["put"] == j["written"].size() + index_objects);
  // No lease is left behind, and the proxy reads everything after merging.
  CHECK_FALSE(after.count("log-99999999-00000000"));
  auto m = test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "merge"});
  CHECK(m.exit_code == 0);
  // The previous output is not merged yet on a second pass... now it is: clean deletes.
  auto again = clean_tool({"--store", d.uri(), "--json"});
  CHECK(again.exit_code == 0);
  CHECK(nlohmann::json::parse(again.out)["segments_deleted"].get<int>() > 0);
  auto v = test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "verify"});
  CHECK(v.exit_code == 0);
}

TEST_CASE("--delete-only deletes the victims once the merge released them, never before",
          "[tools][cleaner]") {
  demo_store d;
  auto pass = clean_tool({"--store", d.uri(), "--policy", "greedy", "--json"});
  INFO(pass.err);
  REQUIRE(pass.exit_code == 0);
  std::vector<std::string> victims;
  const auto planned = nlohmann::json::parse(pass.out);
  for (const auto& v : planned["plan"]["victims"]) {
    char name[32];
    std::snprintf(name, sizeof name, "log-%08u-%08u", v["directory"].get<unsigned>(),
                  v["sequence"].get<unsigned>());
    victims.push_back(name);
  }
  REQUIRE_FALSE(victims.empty());
  // Before the merge the victims hold the proxy's only reachable copies: the step
  // changes nothing and says it waits for the proxy.
  const auto unmerged = snapshot(d.store);
  auto early = clean_tool({"--store", d.uri(), "--delete-only", "--json"});
  CHECK(early.exit_code == 6);
  CHECK(nlohmann::json::parse(early.out)["segments_deleted"] == 0);
  // No segment changed; the pass only recorded itself in the cleaner's history.
  auto segments_of = [](auto s) {
    s.erase("log-99999999-00000001");
    return s;
  };
  CHECK(segments_of(snapshot(d.store)) == segments_of(unmerged));
  auto m = test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "merge"});
  REQUIRE(m.exit_code == 0);
  const auto merged = snapshot(d.store);
  for (const auto& v : victims) REQUIRE(merged.count(v));
  auto r = clean_tool({"--store", d.uri(), "--delete-only", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["status"] == "deleted_only");
  CHECK(j["plan"]["victims"].empty());
  CHECK(j["items_relocated"] == 0);
  CHECK(j["segments_written"] == 0);
  CHECK(j["bytes_written"] == 0);
  CHECK(j["requests"]["put"] == 0);
  CHECK(j["segments_deleted"].get<std::size_t>() >= victims.size());
  const auto after = snapshot(d.store);
  for (const auto& v : victims) CHECK_FALSE(after.count(v));
  std::uint64_t freed = 0;
  for (const auto& [name, b] : merged)
    if (!after.count(name)) freed += b.size();
  CHECK(j["bytes_freed"] == freed);
  CHECK(after.size() == merged.size() - j["segments_deleted"].get<std::size_t>());
  auto v = test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "verify"});
  CHECK(v.exit_code == 0);
  check_one_line_error(clean_tool({"--store", d.uri(), "--daemon", "--delete-only"}), 2,
                       "--daemon and --delete-only do not go together");
}

TEST_CASE(
    "Statuses are one snake_case vocabulary: a dry run plans, a deleting pass is not "
    "'nothing to do'",
    "[tools][cleaner][status]") {
  demo_store d;
  auto status_of = [](const test::process_result& r) {
    INFO(r.err);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["schema_version"] == 1);
    CHECK(j["kind"] == "pass");
    CHECK(j["timestamp"].get<std::string>().size() == 24);  // 2026-11-28T21:30:00.123Z
    return j["status"].get<std::string>();
  };
  // A dry run never says "cleaned", in JSON or in text.
  CHECK(status_of(clean_tool({"--store", d.uri(), "--dry-run", "--json"})) == "planned");
  auto text = clean_tool({"--store", d.uri(), "--dry-run"});
  CHECK(text.out.rfind("status: planned (dry run: nothing changed)\n", 0) == 0);
  CHECK(text.out.find("cleaned") == std::string::npos);
  CHECK(status_of(clean_tool({"--store", d.uri(), "--policy", "greedy", "--json"})) == "cleaned");
  CHECK(status_of(clean_tool({"--store", d.uri(), "--json", "--dry-run"})) == "waiting_for_writer");
  REQUIRE(
      test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "merge"}).exit_code ==
      0);
  // After the merge the first cleaner output and its victims are dead: a pass that
  // finds no victim only deletes, and says so.
  auto del =
      clean_tool({"--store", d.uri(), "--policy", "threshold", "--threshold", "0.0001", "--json"});
  const auto j = nlohmann::json::parse(del.out);
  CHECK(j["segments_deleted"].get<int>() > 0);
  CHECK(j["status"] == "deleted_only");
  auto none = clean_tool({"--store", d.uri(), "--policy", "threshold", "--threshold", "0.0001"});
  CHECK(none.out.find("status: nothing_to_do\n") != std::string::npos);
}

TEST_CASE("With --json an error is one JSON object on one stderr line",
          "[tools][cleaner][status]") {
  test::temp_dir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--store", "file:" + (dir.path() / "none").string(), "--json"},
           {"--store", "file:" + dir.path().string(), "--json", "--dry-rn"}}) {
    auto r = clean_tool(args);
    INFO(r.err);
    CHECK(r.out.empty());
    const auto ls = test::lines(r.err);
    REQUIRE(ls.size() == 1);
    const auto j = nlohmann::json::parse(ls[0]);
    CHECK(j["schema_version"] == 1);
    CHECK(j["kind"] == "error");
    CHECK(j["status"] == "error");
    CHECK(j["exit_code"] == r.exit_code);
    CHECK(r.exit_code != 0);
    CHECK_FALSE(j["error"].get<std::string>().empty());
  }
}

TEST_CASE("A pass before the proxy merged exits 6; -q prints nothing", "[tools][cleaner]") {
  demo_store d;
  REQUIRE(clean_tool({"--store", d.uri(), "--policy", "greedy", "-q"}).exit_code == 0);
  auto r = clean_tool({"--store", d.uri(), "--policy", "greedy", "-q"});
  CHECK(r.exit_code == 6);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  auto v = clean_tool({"--store", d.uri(), "--policy", "greedy", "-v"});
  CHECK(v.exit_code == 6);
  CHECK(v.out.find("\nsegment ") != std::string::npos);  // -v prints the table
  CHECK(v.err.find("bluesky_fs merge") != std::string::npos);
}

TEST_CASE("The cleaner verifies with the right key and refuses on a wrong one",
          "[tools][cleaner]") {
  demo_store d;
  auto ok = clean_tool({"--store", d.uri(), "--key-file", d.key.string(), "--dry-run"});
  CHECK(ok.exit_code == 0);
  const auto before = snapshot(d.store);
  // The key is checked first, against the newest checkpoint's items: a wrong one
  // ends a pass, a dry run, --json and the daemon alike with exit 4 before any
  // work, and the store is byte-identical afterwards (no segment, no lease).
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--policy", "greedy"}, {"--dry-run"}, {"--dry-run", "--json"}, {"--daemon"}}) {
    auto args = std::vector<std::string>{"--store", d.uri()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto bad = clean_tool(args, {"BLUESKY_KEY=not-the-key"});
    INFO(bad.err);
    CHECK(bad.exit_code == 4);
    CHECK(bad.out.empty());
    REQUIRE(test::lines(bad.err).size() == 1);
    CHECK(bad.err.find("wrong key") != std::string::npos);
    CHECK(bad.err.find("newest checkpoint") != std::string::npos);
    CHECK(snapshot(d.store) == before);
  }
  // The right key passes the check, after a pass and a merge too.
  REQUIRE(clean_tool({"--store", d.uri(), "--key-file", d.key.string(), "--policy", "greedy"})
              .exit_code == 0);
  REQUIRE(
      test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "merge"}).exit_code ==
      0);
  auto again = clean_tool({"--store", d.uri(), "--key-file", d.key.string(), "--dry-run"});
  INFO(again.err);
  CHECK(again.exit_code == 0);
}

TEST_CASE("Sizes take k/m/g/t in either case and decimals; out-of-range values are refused",
          "[tools][cleaner][input]") {
  demo_store d;
  for (const char* size : {"1.5G", "512m", "64KiB", "2t", "4096"}) {
    auto r = clean_tool({"--store", d.uri(), "--dry-run", "--max-read", size, "--json"});
    INFO(size << ": " << r.err);
    CHECK(r.exit_code == 0);
  }
  // 1.5K of budget reads less than 1.5G of budget: the size means what it says.
  const auto small = nlohmann::json::parse(clean_tool({"--store", d.uri(), "--dry-run", "--policy",
                                                       "greedy", "--max-read", "1.5K", "--json"})
                                               .out);
  const auto large = nlohmann::json::parse(clean_tool({"--store", d.uri(), "--dry-run", "--policy",
                                                       "greedy", "--max-read", "1.5G", "--json"})
                                               .out);
  CHECK(small["plan"]["bytes_to_read"].get<std::uint64_t>() <= 1536);
  CHECK(large["plan"]["bytes_to_read"].get<std::uint64_t>() >
        small["plan"]["bytes_to_read"].get<std::uint64_t>());
  const auto before = snapshot(d.store);
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused{
      {{"--threshold", "1.5"}, "--threshold"},      {{"--threshold", "-1"}, "--threshold"},
      {{"--parallel", "0"}, "--parallel"},          {{"--age-classes", "0"}, "--age-classes"},
      {{"--max-read", "1.5X"}, "not a byte count"}, {{"--max-read", "-5M"}, "not a byte count"},
      {{"--max-read", "1.5"}, "not a byte count"},  {{"--min-age", "-3"}, "negative"}};
  for (const auto& [args, needle] : refused) {
    auto all = std::vector<std::string>{"--store", d.uri()};
    all.insert(all.end(), args.begin(), args.end());
    INFO(args[0] << " " << args[1]);
    check_one_line_error(clean_tool(all), 2, needle);
  }
  // A misspelt flag: one error line, with the flag meant.
  auto typo = clean_tool({"--store", d.uri(), "--dry-rn"});
  check_one_line_error(typo, 2, "--dry-rn");
  CHECK(typo.err.find("did you mean --dry-run?") != std::string::npos);
  auto typo2 = clean_tool({"--store", d.uri(), "--max-raed", "1G"});
  check_one_line_error(typo2, 2, "did you mean --max-read?");
  CHECK(snapshot(d.store) == before);
}

TEST_CASE("Every user error is one line with its documented exit code", "[tools][cleaner]") {
  test::temp_dir empty;
  const std::string some = "file:" + empty.path().string();
  SECTION("bad usage") {
    check_one_line_error(clean_tool({"--store", some, "--policy", "nope"}), 2, "unknown policy");
    for (const char* bad : {"0", "1", "1.5", "-0.2", "nan"})
      check_one_line_error(clean_tool({"--store", some, "--target-utilization", bad}), 2,
                           "--target-utilization must be between 0 and 1");
    check_one_line_error(clean_tool({"--store", some, "--max-read", "lots"}), 2,
                         "not a byte count");
    check_one_line_error(clean_tool({"--store", "ftp://x"}), 2, "not a store URI");
    CHECK(clean_tool({"--store", some, "--bogus"}).exit_code == 2);
    CHECK(test::run({cleaner()}).exit_code == 2);
  }
  SECTION("no such store") {
    check_one_line_error(clean_tool({"--store", "file:/nonexistent/store"}), 3,
                         "no such directory");
  }
  SECTION("no checkpoint") {
    check_one_line_error(clean_tool({"--store", "file:" + empty.path().string()}), 5, "checkpoint");
  }
  SECTION("unreadable key file") {
    check_one_line_error(clean_tool({"--store", some, "--key-file", "/nonexistent/key"}), 2,
                         "--key-file");
  }
  SECTION("corrupt segment") {
    demo_store d;
    // Break the magic of every item in the segments the cleaner would clean: the
    // live ones among them are what it reads.
    auto plan = nlohmann::json::parse(
        clean_tool({"--store", d.uri(), "--policy", "greedy", "--dry-run", "--json"}).out);
    std::set<std::string> victims;
    for (const auto& v : plan["plan"]["victims"]) {
      char name[32];
      std::snprintf(name, sizeof name, "log-%08u-%08u", v["directory"].get<unsigned>(),
                    v["sequence"].get<unsigned>());
      victims.insert(name);
    }
    REQUIRE_FALSE(victims.empty());
    auto dump = test::run({fs_tool(), "--store", d.uri(), "dump", "--json"});
    REQUIRE(dump.exit_code == 0);
    std::map<std::string, bytes> damaged;
    for (const auto& line : test::lines(dump.out)) {
      const auto j = nlohmann::json::parse(line);
      const auto seg = j["segment"].get<std::string>();
      if (!victims.count(seg)) continue;
      if (!damaged.count(seg)) damaged[seg] = test::read_file(d.store / seg);
      const auto at = j["offset"].get<std::size_t>();
      for (std::size_t i = 0; i < 4; ++i) damaged[seg][at + i] = std::byte{'X'};
    }
    for (const auto& [seg, b] : damaged)
      std::ofstream(d.store / seg, std::ios::binary | std::ios::trunc)
          .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    const auto before = snapshot(d.store);
    auto r = clean_tool({"--store", d.uri(), "--policy", "greedy", "-q"});
    check_one_line_error(r, 4, "damaged");
    const auto after = snapshot(d.store);
    for (const auto& [name, b] : before) CHECK(after.count(name));
  }
  SECTION("unreachable simple:// endpoint: the hint is the simple store's, not S3's") {
    auto r = clean_tool(
        {"--store", "simple://127.0.0.1:" + std::to_string(closed_port()), "--max-attempts", "1"});
    check_one_line_error(r, 3, "is simple_store_server running? check HOST:PORT in the URI");
    CHECK(r.err.find("AWS") == std::string::npos);
    CHECK(r.err.find("--endpoint-url") == std::string::npos);
  }
  SECTION("unreachable s3:// endpoint") {
    check_one_line_error(
        clean_tool({"--store", "s3://bucket/fs", "--endpoint-url",
                    "http://127.0.0.1:" + std::to_string(closed_port()), "--max-attempts", "1"},
                   {"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_CONFIG_FILE=/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}),
        3, "--endpoint-url");
  }
}

TEST_CASE("S3 errors: a missing bucket and missing credentials", "[tools][cleaner][remote]") {
  test::s3rver_process s3;
  auto env = s3.aws_env();
  auto r = test::run(
      {cleaner(), "--store", "s3://no-such-bucket/fs", "--endpoint-url", s3.endpoint()}, env);
  check_one_line_error(r, 3, "create the bucket");
  const std::vector<std::string> no_creds{
      "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_CONFIG_FILE=/dev/null",
      "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "HOME=" + s3.dir().string()};
  auto c =
      clean_tool({"--store", "s3://test-bucket/fs", "--endpoint-url", s3.endpoint()}, no_creds);
  check_one_line_error(c, 3, "AWS_ACCESS_KEY_ID");
  // An empty bucket: no checkpoint.
  auto e = clean_tool({"--store", "s3://test-bucket/fs", "--endpoint-url", s3.endpoint()}, env);
  check_one_line_error(e, 5, "checkpoint");
}

TEST_CASE("--cache-dir keeps what the cleaner read in a local cache; the lease bypasses it",
          "[tools][cleaner]") {
  demo_store d;
  test::temp_dir cache;
  auto r = clean_tool(
      {"--store", d.uri(), "--policy", "greedy", "--cache-dir", cache.path().string(), "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::size_t cached = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache.path())) {
    const auto name = e.path().filename().string();
    CHECK(name.rfind("log-99999999", 0) != 0);
    if (name.rfind("log-00000000-", 0) == 0 && e.path().extension().empty()) ++cached;
  }
  CHECK(cached > 0);
  CHECK(clean_tool({"--store", d.uri(), "--cache-size", "lots"}).exit_code == 2);
  REQUIRE(
      test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "merge"}).exit_code ==
      0);
  CHECK(test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "verify"})
            .exit_code == 0);
}

TEST_CASE("--json prices the run: cost agrees with its request counts and the price table",
          "[tools][cleaner][cost]") {
  demo_store d;
  auto check_cost = [](const nlohmann::json& j, double put_price, double get_price,
                       double transfer_price, double storage_price, bool dry) {
    const auto& q = j["requests"];
    const double requests = (q["put"].get<double>() + q["list"].get<double>()) * put_price / 1000 +
                            q["get"].get<double>() * get_price / 1000;
    CHECK(j["cost"]["requests_usd"].get<double>() == Approx(requests));
    CHECK(j["cost"]["requests_usd"].get<double>() > 0);
    CHECK(j["cost"]["transfer_usd"].get<double>() ==
          Approx(j["bytes_read"].get<double>() / 1e9 * transfer_price));
    const auto& p = j["plan"];
    const double saved =
        dry ? p["bytes_to_free_now"].get<double>() + p["bytes_to_free_later"].get<double>() -
                  p["bytes_to_relocate"].get<double>()
            : j["bytes_freed"].get<double>() + p["bytes_to_free_later"].get<double>() -
                  j["bytes_written"].get<double>();
    CHECK(j["cost"]["storage_saved_usd_per_month"].get<double>() ==
          Approx(saved / 1e9 * storage_price));
  };
  auto dry = clean_tool({"--store", d.uri(), "--policy", "greedy", "--dry-run", "--json"});
  REQUIRE(dry.exit_code == 0);
  const auto j = nlohmann::json::parse(dry.out);
  check_cost(j, 0.005, 0.0004, 0.0, 0.023, true);  // S3 Standard, in-region
  CHECK(j["cost"]["storage_class"] == "STANDARD");
  // A price file: out of the region, Standard-IA, its own request prices.
  test::temp_dir dir;
  std::ofstream(dir.path() / "prices")
      << "# out of region\nstorage_class = STANDARD_IA\ntransfer_out_gb = 0.09\n"
         "put_list_per_1000 = 0.01\nget_per_1000 = 0.001\n";
  auto priced = clean_tool({"--store", d.uri(), "--policy", "greedy", "--json", "--prices",
                            (dir.path() / "prices").string()});
  REQUIRE(priced.exit_code == 0);
  const auto k = nlohmann::json::parse(priced.out);
  check_cost(k, 0.01, 0.001, 0.09, 0.0125, false);
  CHECK(k["cost"]["transfer_usd"].get<double>() > 0);
  // The summary line, with a payback time.
  auto text = clean_tool({"--store", d.uri(), "--policy", "greedy", "--dry-run", "--prices",
                          (dir.path() / "prices").string()});
  CHECK(text.out.find("cost of this plan's reads: $") != std::string::npos);
  // A bad price file is one line, exit 2.
  std::ofstream(dir.path() / "bad") << "storage_gb_month = lots\n";
  check_one_line_error(
      clean_tool({"--store", d.uri(), "--dry-run", "--prices", (dir.path() / "bad").string()}), 2,
      "--prices");
}

TEST_CASE("a file: store needs no settle time for its lease; a zero settle is accepted",
          "[tools][cleaner][lease]") {
  demo_store d;
  auto r =
      test::run({cleaner(), "--store", d.uri(), "--policy", "greedy", "--lease-settle", "0", "-q"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(d.store / "log-99999999-00000000"));
}

TEST_CASE("--metrics-file is Prometheus text written atomically; history lists real passes",
          "[tools][cleaner][observability]") {
  demo_store d;
  const auto metrics = d.dir.path() / "metrics" / "cleaner.prom";
  std::filesystem::create_directories(metrics.parent_path());
  auto r = clean_tool(
      {"--store", d.uri(), "--policy", "greedy", "--metrics-file", metrics.string(), "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto text = test::read_text(metrics);
  const std::string store = "store=\"" + d.uri() + "\"";
  CHECK(text.find("# TYPE bluesky_cleaner_passes_total counter\n") != std::string::npos);
  CHECK(text.find("bluesky_cleaner_passes_total{" + store + "} 1\n") != std::string::npos);
  CHECK(text.find("bluesky_cleaner_last_pass_status{" + store + ",status=\"cleaned\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("bluesky_cleaner_exit_code{" + store + "} 0\n") != std::string::npos);
  CHECK(text.find("bluesky_cleaner_stored_bytes{" + store + "} ") != std::string::npos);
  // Every sample line is NAME{LABELS} VALUE, each metric with its HELP and TYPE.
  for (const auto& line : test::lines(text)) {
    if (line.rfind("#", 0) == 0) continue;
    INFO(line);
    CHECK(line.rfind("bluesky_cleaner_", 0) == 0);
    CHECK(line.find("} ") != std::string::npos);
  }
  // Atomic: only the file itself is there (no temporary left behind).
  CHECK(std::distance(std::filesystem::directory_iterator(metrics.parent_path()),
                      std::filesystem::directory_iterator()) == 1);
  // A second pass before the merge waits (exit 6); a dry run records nothing.
  CHECK(clean_tool(
            {"--store", d.uri(), "--policy", "greedy", "--metrics-file", metrics.string(), "-q"})
            .exit_code == 6);
  text = test::read_text(metrics);
  CHECK(text.find("bluesky_cleaner_exit_code{" + store + "} 6\n") != std::string::npos);
  CHECK(clean_tool({"--store", d.uri(), "--dry-run", "-q"}).exit_code == 6);  // still waiting
  auto h = clean_tool({"--store", d.uri(), "history", "--json"});
  INFO(h.err);
  REQUIRE(h.exit_code == 0);
  const auto j = nlohmann::json::parse(h.out);
  CHECK(j["kind"] == "history");
  REQUIRE(j["passes"].size() == 2);
  CHECK(j["passes"][0]["status"] == "cleaned");
  CHECK(j["passes"][0]["items_relocated"].get<int>() > 0);
  CHECK(j["passes"][1]["status"] == "waiting_for_writer");
  auto ht = clean_tool({"--store", d.uri(), "history"});
  const auto rows = test::lines(ht.out);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].find("status") != std::string::npos);
  CHECK(rows[1].find("cleaned") != std::string::npos);
  CHECK(rows[2].find("waiting_for_writer") != std::string::npos);
  // --keep-history bounds it.
  REQUIRE(
      test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "merge"}).exit_code ==
      0);
  CHECK(clean_tool({"--store", d.uri(), "--keep-history", "2", "-q"}).exit_code == 0);
  const auto bounded =
      nlohmann::json::parse(clean_tool({"--store", d.uri(), "history", "--json"}).out);
  REQUIRE(bounded["passes"].size() == 2);
  CHECK(bounded["passes"][0]["status"] == "waiting_for_writer");
}

TEST_CASE("lease shows the holder; break-lease needs --force and frees a stale lease",
          "[tools][cleaner][observability]") {
  demo_store d;
  auto none = clean_tool({"--store", d.uri(), "lease"});
  CHECK(none.exit_code == 0);
  CHECK(none.out.find("no lease") != std::string::npos);
  // A crashed cleaner's lease, 10 minutes from expiring.
  const auto expires = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() +
                       600'000;
  std::ofstream(d.store / "log-99999999-00000000")
      << "cloudlog-lease 1\nholder ghost:42:cafe\nexpires " << expires << "\n";
  auto held = clean_tool({"--store", d.uri(), "lease"});
  CHECK(held.out.find("held by ghost:42:cafe for") != std::string::npos);
  const auto j = nlohmann::json::parse(clean_tool({"--store", d.uri(), "lease", "--json"}).out);
  CHECK(j["held"] == true);
  CHECK(j["holder"] == "ghost:42:cafe");
  CHECK(j["seconds_left"].get<double>() > 500);
  CHECK(clean_tool({"--store", d.uri()}).exit_code == 7);
  // Without --force: refused, one line, the lease stays.
  check_one_line_error(clean_tool({"--store", d.uri(), "break-lease"}), 2, "--force");
  CHECK(std::filesystem::exists(d.store / "log-99999999-00000000"));
  auto broken = clean_tool({"--store", d.uri(), "break-lease", "--force"});
  INFO(broken.err);
  CHECK(broken.exit_code == 0);
  CHECK(broken.out.find("ghost:42:cafe") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(d.store / "log-99999999-00000000"));
  CHECK(clean_tool({"--store", d.uri(), "-q"}).exit_code == 0);
}

TEST_CASE("Off a terminal, a pass prints a status line every --stats-interval seconds",
          "[tools][cleaner][progress]") {
  demo_store d;
  // Lines every 5 ms: a pass over the demo store spans several.
  auto r = clean_tool({"--store", d.uri(), "--policy", "greedy", "--stats-interval", "0.005"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto ls = test::lines(r.err);
  REQUIRE_FALSE(ls.empty());
  for (const auto& l : ls) {
    INFO(l);
    CHECK(l.rfind("progress: ", 0) == 0);
    CHECK(l.find("elapsed ") != std::string::npos);
    const auto phase = l.substr(10, l.find_first_of(" ,", 10) - 10);
    CHECK(
        std::set<std::string>{"load", "walk", "plan", "relocate", "commit", "delete"}.count(phase));
    if (phase == "relocate") {
      CHECK(l.find('%') != std::string::npos);
      CHECK(l.find("ETA ") != std::string::npos);
    }
    CHECK(l.find('\r') == std::string::npos);  // no terminal control off a terminal
  }
  // The report still comes whole on stdout, and with --json the lines are objects.
  CHECK(r.out.rfind("status: cleaned\n", 0) == 0);
  REQUIRE(
      test::run({fs_tool(), "--store", d.uri(), "--key-file", d.key.string(), "merge"}).exit_code ==
      0);
  auto j = clean_tool({"--store", d.uri(), "--policy", "greedy", "--stats-interval", "0.005",
                       "--json", "--dry-run"});
  for (const auto& l : test::lines(j.err)) {
    const auto o = nlohmann::json::parse(l);
    CHECK(o["kind"] == "progress");
    CHECK(o["schema_version"] == 1);
  }
  // 0: no status lines.
  auto quiet = clean_tool({"--store", d.uri(), "--dry-run", "--stats-interval", "0"});
  CHECK(quiet.err.empty());
}

TEST_CASE("inspect shows the utilization histogram and age x utilization; --csv and --svg",
          "[tools][cleaner][inspect]") {
  demo_store d;
  const auto before = snapshot(d.store);
  auto r = clean_tool({"--store", d.uri(), "inspect"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("utilization histogram") != std::string::npos);
  CHECK(r.out.find("age x utilization") != std::string::npos);
  CHECK(r.out.find(std::to_string(before.size()) + " segment(s)") != std::string::npos);
  // Ten deciles, and their segment counts add up to the store's.
  std::size_t counted = 0, rows = 0;
  for (const auto& l : test::lines(r.out)) {
    const auto seg = l.find(" seg ");
    if (l.find("% ") == std::string::npos || seg == std::string::npos) continue;
    ++rows;
    counted += std::stoul(l.substr(l.rfind(' ', seg - 1) + 1));
  }
  CHECK(rows == 10);
  CHECK(counted == before.size());
  // --csv: a header and one row per segment, sizes as stored.
  const auto csv = d.dir.path() / "segments.csv";
  const auto svg = d.dir.path() / "segments.svg";
  REQUIRE(clean_tool({"--store", d.uri(), "inspect", "--csv", csv.string(), "--svg", svg.string()})
              .exit_code == 0);
  const auto lines = test::lines(test::read_text(csv));
  REQUIRE(lines.size() == before.size() + 1);
  CHECK(lines[0] == "segment,directory,sequence,size,live,utilization,age");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto name = lines[i].substr(0, lines[i].find(','));
    REQUIRE(before.count(name));
    const auto size_at = lines[i].find(',', lines[i].find(',', name.size() + 1) + 1) + 1;
    CHECK(std::stoull(lines[i].substr(size_at)) == before.at(name).size());
  }
  // --svg: one document, a bar per decile, a dot per segment.
  const auto text = test::read_text(svg);
  CHECK(text.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(text.substr(text.size() - 7) == "</svg>\n");
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  };
  CHECK(count("class=\"bar\"") == 10);
  CHECK(count("class=\"segment\"") == before.size());
  // --csv - writes the CSV alone on stdout; nothing in the store changed.
  auto to_stdout = clean_tool({"--store", d.uri(), "inspect", "--csv", "-"});
  CHECK(to_stdout.out == test::read_text(csv));
  CHECK(snapshot(d.store) == before);
}

TEST_CASE("Every tool says its version", "[tools][version]") {
  for (const auto* t : {"bluesky_cleaner", "bluesky_fs"}) {
    auto r = test::run({test::tool(t).string(), "--version"});
    INFO(t << ": " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == std::string(t) + " (cloudlog) " + cloudlog::version_string + "\n");
  }
}
