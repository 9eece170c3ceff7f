// SPDX-License-Identifier: BSL-1.0
// `bluesky_fs dump` with a key (--key-file or BLUESKY_KEY) shows every item's tag
// status, and it matches the hmac=OK/BAD/ZERO of every fixture stage's .dump.txt;
// the key never appears in the output.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "crypto/helpers.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"

using namespace cloudlog;

namespace {

std::string tag_text(tag_status s) {
  return std::string(to_string(s));
}

void check_no_key_in(const test::process_result& r) {
  CHECK(r.out.find(test::fixture_passphrase) == std::string::npos);
  CHECK(r.err.find(test::fixture_passphrase) == std::string::npos);
}

}  // namespace

TEST_CASE("bluesky_fs dump --json --key-file gives every item the tag its .dump.txt shows",
          "[crypto][tools][dump][fixtures]") {
  test::temp_dir dir;
  const auto key = dir.path() / "key";
  std::ofstream(key, std::ios::binary) << test::fixture_passphrase;
  std::size_t total = 0;
  for (const auto& stage : test::fixture_stages()) {
    INFO(stage);
    const auto expected = test::parse_dump(stage.string() + ".dump.txt");
    auto r = test::run({test::tool("bluesky_fs").string(), "--store", "file:" + stage.string(),
                        "--key-file", key.string(), "dump", "--json"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    check_no_key_in(r);
    const auto got = test::lines(r.out);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      INFO(got[i]);
      const auto j = nlohmann::json::parse(got[i]);
      CHECK(j["segment"] == expected[i].segment);
      CHECK(j["offset"] == expected[i].offset);
      CHECK(j["tag"] == tag_text(expected[i].tag));
      ++total;
    }
  }
  CHECK(total == 279);
}

TEST_CASE("bluesky_fs dump takes the key from BLUESKY_KEY and shows tag= in the table",
          "[crypto][tools][dump]") {
  const auto stage = test::fixtures_dir() / "main/stage3-clean1";
  const auto expected = test::parse_dump(stage.string() + ".dump.txt");
  auto r =
      test::run({test::tool("bluesky_fs").string(), "--store", "file:" + stage.string(), "dump"},
                {"BLUESKY_KEY=" + std::string(test::fixture_passphrase)});
  REQUIRE(r.exit_code == 0);
  check_no_key_in(r);
  std::size_t at = 0;
  for (const auto& line : test::lines(r.out)) {
    if (line.rfind("  @", 0) != 0) continue;
    REQUIRE(at < expected.size());
    INFO(line);
    CHECK(line.find(" tag=" + tag_text(expected[at].tag) + " ") != std::string::npos);
    ++at;
  }
  CHECK(at == expected.size());
}

TEST_CASE("bluesky_fs dump: nocrypto items are bad with a key, readable without one",
          "[crypto][tools][dump][nocrypto]") {
  const auto stage = test::fixtures_dir() / "nocrypto/stage1-write";
  auto keyed = test::run(
      {test::tool("bluesky_fs").string(), "--store", "file:" + stage.string(), "dump", "--json"},
      {"BLUESKY_KEY=" + std::string(test::fixture_passphrase)});
  REQUIRE(keyed.exit_code == 0);
  const auto lines = test::lines(keyed.out);
  REQUIRE(lines.size() == 14);
  for (const auto& l : lines) CHECK(nlohmann::json::parse(l)["tag"] == "bad");
  auto plain = test::run(
      {test::tool("bluesky_fs").string(), "--store", "file:" + stage.string(), "dump", "--json"});
  REQUIRE(plain.exit_code == 0);
  for (const auto& l : test::lines(plain.out))
    CHECK_FALSE(nlohmann::json::parse(l).contains("tag"));
}

TEST_CASE("bluesky_fs with no key on an encrypted store says no key was given", "[crypto][tools]") {
  const auto stage = (test::fixtures_dir() / "main/stage1-write").string();
  auto r = test::run(
      {test::tool("bluesky_fs").string(), "--store", "file:" + stage, "cat", "/hello.txt"});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  const auto ls = test::lines(r.err);
  REQUIRE(ls.size() == 1);
  CHECK(ls[0].rfind("error: ", 0) == 0);
  CHECK(ls[0].find("no key given: --key-file FILE or BLUESKY_KEY") != std::string::npos);
  CHECK(ls[0].find("unusable") == std::string::npos);
  CHECK(r.out.empty());
}

TEST_CASE("bluesky_fs refuses an unusable key without echoing it", "[crypto][tools][dump]") {
  const auto stage = (test::fixtures_dir() / "main/stage1-write").string();
  auto r = test::run({test::tool("bluesky_fs").string(), "--store", "file:" + stage, "--key-file",
                      "/nonexistent/key", "dump"});
  CHECK(r.exit_code == 2);  // docs/tools.md: an unusable key is bad usage
  CHECK(r.err ==
        "error: cannot load the key: unusable key (--key-file must name a readable, non-empty "
        "file; or set BLUESKY_KEY)\n");
  CHECK(r.out.empty());
  r = test::run({test::tool("bluesky_fs").string(), "--store", "file:" + stage, "dump"},
                {"BLUESKY_KEY="});
  CHECK(r.exit_code == 2);  // docs/tools.md: an unusable key is bad usage
  CHECK(r.err ==
        "error: cannot load the key: unusable key (--key-file must name a readable, non-empty "
        "file; or set BLUESKY_KEY)\n");
  // A wrong key is not an error: every tag is simply bad.
  r = test::run({test::tool("bluesky_fs").string(), "--store", "file:" + stage, "dump", "--json"},
                {"BLUESKY_KEY=not-the-fixture-passphrase"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("not-the-fixture-passphrase") == std::string::npos);
  for (const auto& l : test::lines(r.out)) CHECK(nlohmann::json::parse(l)["tag"] == "bad");
}
