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
