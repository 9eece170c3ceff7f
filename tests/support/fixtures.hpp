// SPDX-License-Identifier: BSL-1.0
// Test support: paths of the shared BlueSky fixtures (read in place) and file helpers.
#ifndef CLOUDLOG_TESTS_SUPPORT_FIXTURES_HPP
#define CLOUDLOG_TESTS_SUPPORT_FIXTURES_HPP

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "cloudlog/bytes.hpp"

namespace cloudlog::test {

// No test may reach a real AWS address: every test process (and every tool it
// runs, which inherits the environment) starts with instance metadata disabled
// and no container or web-identity credentials configured; a test that wants one
// of those sources pins it to a loopback fake itself.
inline const bool aws_sources_pinned_off = [] {
  ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  for (const char* v :
       {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_EC2_METADATA_SERVICE_ENDPOINT"})
    ::unsetenv(v);
  return true;
}();

// The shared/ folder (CLOUDLOG_SHARED_DIR, overridable by the environment).
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("CLOUDLOG_SHARED_DIR")) return env;
  return CLOUDLOG_SHARED_DIR;
}

// The real BlueSky fixtures.
inline std::filesystem::path fixtures_dir() {
  return shared_dir() / "fixtures" / "bluesky-real";
}

// Every stage folder that holds segments: main/stage1..8, nocrypto/stage1-write, sparse/final.
inline std::vector<std::filesystem::path> fixture_stages() {
  std::vector<std::filesystem::path> out;
  for (const char* group : {"main", "nocrypto", "sparse"})
    for (const auto& e : std::filesystem::directory_iterator(fixtures_dir() / group))
      if (e.is_directory()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  if (out.size() != 10)
    throw std::runtime_error("expected 10 fixture stages under " + fixtures_dir().string());
  return out;
}

// The segment files of one stage, sorted by name.
inline std::vector<std::filesystem::path> stage_segments(const std::filesystem::path& stage) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(stage))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The whole content of a file.
inline bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return to_bytes(s);
}

// A fresh empty directory under the system temp dir, removed when destroyed.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cloudlog-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Copies every segment of STAGE into DIR (for tests that change a store).
inline void copy_stage(const std::filesystem::path& stage, const std::filesystem::path& dir) {
  for (const auto& f : stage_segments(stage)) std::filesystem::copy_file(f, dir / f.filename());
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_SUPPORT_FIXTURES_HPP
