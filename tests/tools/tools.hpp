// SPDX-License-Identifier: BSL-1.0
// Test helpers shared by the tools' tests: the built tools' paths, a store
// directory's snapshot, and the check that an error is one documented line.
#ifndef CLOUDLOG_TESTS_TOOLS_TOOLS_HPP
#define CLOUDLOG_TESTS_TOOLS_TOOLS_HPP

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "cloudlog/bytes.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace cloudlog::test {

inline std::string cleaner() {
  return tool("bluesky_cleaner").string();
}
inline std::string fs_tool() {
  return tool("bluesky_fs").string();
}

// Name -> bytes of every file in DIR.
inline std::map<std::string, bytes> snapshot(const std::filesystem::path& dir) {
  std::map<std::string, bytes> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out[e.path().filename().string()] = read_file(e.path());
  return out;
}

// The text of the file at P ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The process failed with CODE, exactly one "error: " line on stderr holding
// NEEDLE, and nothing on stdout.
inline void check_one_line_error(const process_result& r, int code, const std::string& needle) {
  INFO(r.err);
  CHECK(r.exit_code == code);
  const auto ls = lines(r.err);
  REQUIRE(ls.size() == 1);
  CHECK(ls[0].rfind("error: ", 0) == 0);
  CHECK(ls[0].find(needle) != std::string::npos);
  CHECK(r.out.empty());
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_TOOLS_TOOLS_HPP
