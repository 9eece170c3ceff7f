// SPDX-License-Identifier: BSL-1.0
// Test support: the original cleaner's log of its runs on the fixtures
// (main/cleaner-benchlog.txt): per run, bytes used, wasted and freed.
#ifndef CLOUDLOG_TESTS_SUPPORT_BENCHLOG_HPP
#define CLOUDLOG_TESTS_SUPPORT_BENCHLOG_HPP

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cloudlog::test {

// One "*** START CLEANER RUN ***" record.
struct benchlog_run {
  std::uint64_t bytes_used = 0, bytes_wasted = 0, bytes_freed = 0;
};

// The runs of a cleaner-benchlog.txt, in order.
inline std::vector<benchlog_run> parse_benchlog(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::vector<benchlog_run> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("*** START CLEANER RUN", 0) == 0) {
      out.emplace_back();
      continue;
    }
    const auto colon = line.find(':');
    if (out.empty() || colon == std::string::npos) continue;
    const auto key = line.substr(0, colon);
    const auto value = line.substr(colon + 1);
    if (key == "bytes_used") out.back().bytes_used = std::stoull(value);
    if (key == "bytes_wasted") out.back().bytes_wasted = std::stoull(value);
    if (key == "bytes_freed") out.back().bytes_freed = std::stoull(value);
  }
  return out;
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_SUPPORT_BENCHLOG_HPP
