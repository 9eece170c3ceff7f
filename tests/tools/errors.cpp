// The tools' bad-input paths, run as a user would (issue 17): each is one `error:`
// line on stderr with the exit code of docs/tools.md — flag errors, workload
// values out of range, error texts that say their cause once, and I/O errors with
// a hint saying what to check.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/process.hpp"

using namespace cloudlog;

namespace {

std::string fs_tool() {
  return test::tool("bluesky_fs").string();
}

// The line CLI11 adds to its own error messages (two lines, its own exit codes).
constexpr const char* cli11_tail = "Run with --help";

// True when TEXT is exactly one line starting with "error: ".
bool one_error_line(const std::string& text) {
  return text.rfind("error: ", 0) == 0 && text.find('\n') == text.size() - 1;
}

}  // namespace

TEST_CASE("bluesky_fs workload refuses out-of-range values with one error line and exit 2",
          "[tools][workload][regress]") {
  test::temp_dir dir;
  const auto store = dir.path() / "store";
  auto workload = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {fs_tool(), "--store", "file:" + store.string(), "workload"});
    return test::run(args);
  };
  // The three: accepted before (--write-size 3 made 136,535 segments).
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
