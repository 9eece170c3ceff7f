// SPDX-License-Identifier: BSL-1.0
// The tools' bad-input paths, run as a user would (issue 17): each is one `error:`
// line on stderr with the exit code of docs/tools.md — flag errors, workload
// values out of range, error texts that say their cause once, and I/O errors with
// a hint saying what to check.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"
#include "tools/tools.hpp"

using namespace cloudlog;
using test::fs_tool;

namespace {

// The line CLI11 adds to its own error messages (two lines, its own exit codes).
constexpr const char* cli11_tail = "Run with --help";

// True when TEXT is exactly one line starting with "error: ".
bool one_error_line(const std::string& text) {
  return text.rfind("error: ", 0) == 0 && text.find('\n') == text.size() - 1;
}

// Runs ARGS with stdout sent to /dev/full (every write fails: ENOSPC).
test::process_result run_to_dev_full(const std::vector<std::string>& args) {
  std::vector<std::string> sh{"/bin/sh", "-c", "exec \"$0\" \"$@\" > /dev/full"};
  sh.insert(sh.end(), args.begin(), args.end());
  return test::run(sh);
}

// main/stage1-write (read in place) with the fixture key in a file.
struct keyed_stage1 {
  test::temp_dir dir;
  std::filesystem::path key = dir.path() / "key";
  std::string store = "file:" + (test::fixtures_dir() / "main/stage1-write").string();
  keyed_stage1() { std::ofstream(key) << "bluesky-fixture-passphrase"; }
  test::process_result fs(std::vector<std::string> args) const {
    args.insert(args.begin(), {fs_tool(), "--store", store, "--key-file", key.string()});
    return test::run(args);
  }
};

}  // namespace

TEST_CASE("bluesky_fs workload refuses out-of-range values with one error line and exit 2",
          "[tools][workload][regress]") {
  test::temp_dir dir;
  const auto store = dir.path() / "store";
  auto workload = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {fs_tool(), "--store", "file:" + store.string(), "workload"});
    return test::run(args);
  };
  // The issue's three: accepted before (--write-size 3 made 136,535 segments).
  auto r = workload({"--files", "-1"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "error: --files: must not be negative: -1 (see --help)\n");
  r = workload({"--overwrite-fraction", "7"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "error: --overwrite-fraction 7: must be from 0 to 1; --rounds repeats the overwrites "
        "(see bluesky_fs workload --help)\n");
  r = workload({"--files", "2", "--file-size", "100K", "--write-size", "3"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "error: --write-size 3: must be from 4096 bytes (4K, or the file size when smaller) to "
        "the file size, 102400 (see bluesky_fs workload --help)\n");

  // Each with the flag its error line names.
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad{
      {{"--files", "0"}, "--files"},
      {{"--files", "1000001"}, "--files"},
      {{"--files", "1000", "--scale", "2000"}, "--scale"},
      {{"--scale", "0"}, "--scale"},
      {{"--scale", "-1"}, "--scale"},
      {{"--dirs", "1001"}, "--dirs"},
      {{"--dirs", "-3"}, "--dirs"},
      {{"--overwrite-fraction", "-0.5"}, "--overwrite-fraction"},
      {{"--overwrite-fraction", "1.01"}, "--overwrite-fraction"},
      {{"--overwrite-fraction", "nan"}, "--overwrite-fraction"},
      {{"--file-size", "0"}, "--file-size"},
      {{"--file-size", "-1"}, "--file-size"},
      {{"--file-size", "513G"}, "--file-size"},
      {{"--file-size", "100K", "--write-size", "4095"}, "--write-size"},
      {{"--file-size", "100K", "--write-size", "101K"}, "--write-size"},
      {{"--file-size", "100", "--write-size", "99"}, "--write-size"},
      {{"--write-size", "-5"}, "--write-size"},
      {{"--rounds", "-2"}, "--rounds"},
      {{"--flush-every", "-1"}, "--flush-every"},
      {{"--seed", "-1"}, "--seed"},
      {{"--preset", "smallfiles", "--write-size", "8K"}, "--write-size"},
  };
  for (const auto& [args, flag] : bad) {
    r = workload(args);
    INFO(args[0] << " " << args[1] << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find(flag) != std::string::npos);
    CHECK(r.out.empty());
    CHECK(!std::filesystem::exists(store));  // refused before the store is created
  }

  // The bounds themselves are accepted; a file smaller than 4K is written whole,
  // and the default write size (512K) shrinks to a smaller file.
  const std::vector<std::vector<std::string>> good{
      {"--files", "1", "--file-size", "8K", "--write-size", "4K", "--overwrite-fraction", "1"},
      {"--files", "1", "--file-size", "8K", "--write-size", "8K", "--overwrite-fraction", "0"},
      {"--files", "2", "--file-size", "100", "--write-size", "100", "--dirs", "0"},
      {"--files", "2", "--file-size", "100K"},
  };
  for (const auto& args : good) {
    r = workload(args);
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
  auto v = test::run({fs_tool(), "--store", "file:" + store.string(), "verify"});
  CHECK(v.exit_code == 0);
}

TEST_CASE("flag errors are one error line with exit 2 in every tool, and --help still works",
          "[tools][cli]") {
  const auto fs = fs_tool();
  const auto server = test::tool("simple_store_server").string();
  const auto cleaner = test::tool("bluesky_cleaner").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{fs, "dump"}, "error: --store is required (see --help)\n"},
      {{fs, "--store", "file:/x", "dump", "--bogus"},
       "error: The following argument was not expected: --bogus (see --help)\n"},
      {{fs, "--store", "file:/x"}, "error: A subcommand is required (see --help)\n"},
      {{fs, "--store", "file:/x", "workload", "--files", "abc"}, ""},
      {{fs, "--store", "file:/x", "--parallelism", "0", "ls"}, ""},
      {{server}, "error: --dir is required (see --help)\n"},
      {{server, "--dir", "/tmp", "--port", "99999"},
       "error: --port: Value 99999 not in range 0 to 65535 (see --help)\n"},
      {{server, "--dir", "/tmp", "--max-connections", "0"}, ""},
      {{server, "--dir", "/tmp", "--max-connections", "-1"}, ""},
      {{server, "--dir", "/tmp", "--idle-timeout", "-1"}, ""},
      {{server, "--dir", "/tmp", "--bogus"}, ""},
      {{cleaner, "--bogus"}, ""},
      {{cleaner}, "error: --store is required (see --help)\n"},
  };
  for (const auto& [args, line] : cases) {
    const auto r = test::run(args);
    INFO(args.back() << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find(cli11_tail) == std::string::npos);
    if (!line.empty()) CHECK(r.err == line);
  }
  for (const auto& tool : {fs, server, cleaner}) {
    const auto h = test::run({tool, "--help"});
    INFO(tool);
    CHECK(h.exit_code == 0);
    CHECK(h.out.find("--help") != std::string::npos);
    CHECK(h.err.empty());
  }
}

TEST_CASE("bluesky_fs says an error's cause once", "[tools][errors][regress]") {
  const keyed_stage1 s;
  // It was "error: /nope: no such file or directory: no such file or directory".
  auto r = s.fs({"cat", "/nope"});
  CHECK(r.exit_code == 5);
  CHECK(r.err == "error: /nope: no such file or directory\n");
  r = s.fs({"ls", "/hello.txt/x"});
  CHECK(r.exit_code == 5);
  CHECK(r.err == "error: /hello.txt/x: a component is not a directory\n");
  r = s.fs({"cat", "/"});
  CHECK(r.exit_code == 5);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find("is a directory") == r.err.rfind("is a directory"));
  // The wrong key: the tag's failure was said twice, then the hint.
  std::ofstream(s.key) << "not-the-key";
  r = s.fs({"ls"});
  CHECK(r.exit_code == 4);
  CHECK(one_error_line(r.err));
  const std::string tag = "authentication tag does not verify";
  REQUIRE(r.err.find(tag) != std::string::npos);
  CHECK(r.err.find(tag, r.err.find(tag) + 1) == std::string::npos);
  CHECK(r.err.find("(wrong key, or a damaged segment: run bluesky_fs verify with the right key)") !=
        std::string::npos);
}

TEST_CASE("I/O errors are one error line with a hint saying what to check",
          "[tools][errors][regress]") {
  const keyed_stage1 s;
  // A full disk under stdout: cat, ls and dump reported nothing and exited 0.
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"cat", "/big.bin"}, {"cat", "/hello.txt"}, {"ls", "-R"}, {"dump", "--json"}}) {
    std::vector<std::string> args{fs_tool(), "--store", s.store, "--key-file", s.key.string()};
    args.insert(args.end(), cmd.begin(), cmd.end());
    const auto r = run_to_dev_full(args);
    INFO(cmd[0] << " " << cmd[1]);
    CHECK(r.exit_code == 5);
    const std::string what =
        "cannot write to stdout: No space left on device (check where the output goes: a full "
        "disk, or a pipe whose reader exited)";
    if (cmd[1] != "--json") {
      CHECK(r.err == "error: " + what + "\n");
      continue;
    }
    // With --json the error is one JSON object, still one line.
    REQUIRE(test::lines(r.err).size() == 1);
    const auto j = nlohmann::json::parse(r.err);
    CHECK(j["kind"] == "error");
    CHECK(j["exit_code"] == 5);
    CHECK(j["error"] == what);
  }
  // A store directory that cannot be made: it said "I/O error" and nothing else.
  auto r = test::run({fs_tool(), "--store", "file:/dev/null/store", "workload", "--files", "1",
                      "--file-size", "4K"});
  CHECK(r.exit_code == 5);
  CHECK(r.err ==
        "error: cannot open store file:/dev/null/store: I/O error (check that this user can read "
        "and write the store, and that its disk is not full)\n");

  // simple_store_server: a missing directory, a port in use.
  const auto server = test::tool("simple_store_server").string();
  r = test::run({server, "--dir", "/nonexistent/dir"});
  CHECK(r.exit_code == 3);
  CHECK(r.err ==
        "error: --dir /nonexistent/dir: No such file or directory (give an existing directory "
        "this user can read)\n");
  test::simple_server_process running;
  r = test::run(
      {server, "--dir", running.data().string(), "--port", std::to_string(running.port())});
  CHECK(r.exit_code == 3);
  CHECK(r.err == "error: cannot listen on 127.0.0.1:" + std::to_string(running.port()) +
                     ": Address already in use (another program uses the port: choose another "
                     "--port, or --port 0 for any free one)\n");
}
