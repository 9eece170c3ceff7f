// SPDX-License-Identifier: BSL-1.0
// `bluesky_fs dump` agrees with every fixture stage's .dump.txt (written by an
// independent reader) on offsets, sizes, magic, types, inums, section sizes and links.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/dump_txt.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"

using namespace cloudlog;

TEST_CASE("bluesky_fs dump --json agrees with every stage's .dump.txt", "[tools][dump][fixtures]") {
  for (const auto& stage : test::fixture_stages()) {
    INFO(stage);
    const auto expected = test::parse_dump(stage.string() + ".dump.txt");
    auto r = test::run(
        {test::tool("bluesky_fs").string(), "--store", "file:" + stage.string(), "dump", "--json"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    const auto got = test::lines(r.out);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      const auto j = nlohmann::json::parse(got[i]);
      const auto& e = expected[i];
      INFO(got[i]);
      CHECK(j["segment"] == e.segment);
      CHECK(j["offset"] == e.offset);
      CHECK(j["size"] == e.size);
      CHECK(j["magic"] == e.magic);
      CHECK(j["type"] == std::string(1, e.type));
      CHECK(j["type_byte"] == static_cast<unsigned char>(e.type));
      CHECK(j["inum"] == e.inum);
      CHECK(j["size1"] == e.size1);
      CHECK(j["size2"] == e.size2);
      CHECK(j["size3"] == e.size3);
      std::vector<std::array<std::uint64_t, 4>> links;
      std::size_t nulls = 0;
      for (const auto& l : j["links"]) {
        if (l.is_null())
          ++nulls;
        else
          links.push_back(l.get<std::array<std::uint64_t, 4>>());
      }
      CHECK(links == e.links);
      CHECK(nulls * 16 + links.size() * 16 == e.size2);
    }
  }
}

TEST_CASE("bluesky_fs dump prints a readable table", "[tools][dump]") {
  auto r = test::run({test::tool("bluesky_fs").string(), "--store",
                      "file:" + (test::fixtures_dir() / "main/stage1-write").string(), "dump"});
  REQUIRE(r.exit_code == 0);
  const auto out = test::lines(r.out);
  REQUIRE(out.size() == 15);
  CHECK(out[0] == "log-00000000-00000000 102374");
  CHECK(out[2].find("@   105 size=   205 AgI= type=2 INODE") != std::string::npos);
  CHECK(out[2].find("links=[(0, 0, 0, 105)]") != std::string::npos);
}

TEST_CASE("bluesky_fs dump reports a corrupt segment on one line with its own exit code",
          "[tools][dump]") {
  test::temp_dir dir;
  auto seg = test::read_file(test::fixtures_dir() / "main/stage1-write/log-00000000-00000000");
  seg[310] = std::byte{'X'};
  std::ofstream(dir.path() / "log-00000000-00000000", std::ios::binary)
      .write(reinterpret_cast<const char*>(seg.data()), static_cast<std::streamsize>(seg.size()));
  auto r = test::run({test::tool("bluesky_fs").string(), "--store", "file:" + dir.path().string(),
                      "dump", "--json"});
  CHECK(r.exit_code == 4);
  // With --json the error is a JSON object, on one line.
  REQUIRE(test::lines(r.err).size() == 1);
  const auto e = nlohmann::json::parse(r.err);
  CHECK(e["kind"] == "error");
  CHECK(e["exit_code"] == 4);
  CHECK(e["error"] == "corrupt segment: log-00000000-00000000 @ 310: bad item magic");
  CHECK(test::lines(r.out).size() == 2);
  // Without it, the plain line.
  auto plain = test::run(
      {test::tool("bluesky_fs").string(), "--store", "file:" + dir.path().string(), "dump"});
  CHECK(plain.exit_code == 4);
  CHECK(plain.err == "error: corrupt segment: log-00000000-00000000 @ 310: bad item magic\n");
}

namespace {

// The printable form docs/tools.md gives a store byte: itself when 0x20..0x7e,
// "\\" for the backslash, else "\xNN" (lowercase hex).
std::string printable_byte(unsigned b) {
  if (b == '\\') return "\\\\";
  if (b >= 0x20 && b < 0x7f) return std::string(1, static_cast<char>(b));
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", b);
  return buf;
}

// True when TEXT holds only printable ASCII and newlines.
bool printable_text(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b == '\n' || (b >= 0x20 && b < 0x7f);
  });
}

// Byte 52 of an item is its type (docs/format.md, section 1); the first item of
// main/stage1-write's only segment starts at offset 0.
constexpr std::size_t first_type_byte = 52;

// A copy of main/stage1-write in a temporary directory whose first item's type
// byte can be set.
struct stage1_copy {
  test::temp_dir dir;
  std::filesystem::path seg = dir.path() / "log-00000000-00000000";
  bytes original = test::read_file(test::fixtures_dir() / "main/stage1-write" / seg.filename());
  stage1_copy() { set_type(original[first_type_byte]); }
  void set_type(std::byte t) {
    auto b = original;
    b[first_type_byte] = t;
    std::ofstream(seg, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  test::process_result dump(bool json) const {
    std::vector<std::string> args{test::tool("bluesky_fs").string(), "--store",
                                  "file:" + dir.path().string(), "dump"};
    if (json) args.push_back("--json");
    return test::run(args);
  }
};

}  // namespace

TEST_CASE("bluesky_fs dump --json escapes a type byte that is not UTF-8 (issue 17, item 5)",
          "[tools][dump][regress]") {
  // The reproduction: main/stage1-write, byte 52 xor 0xff. It aborted with
  // an uncaught nlohmann type_error 316 (exit 134, SIGABRT).
  stage1_copy store;
  REQUIRE(store.original[first_type_byte] == std::byte{'1'});
  store.set_type(std::byte{'1' ^ 0xff});
  const auto r = store.dump(true);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  const auto got = test::lines(r.out);
  REQUIRE(got.size() == 14);
  const auto j = nlohmann::json::parse(got[0]);
  CHECK(j["offset"] == 0);
  CHECK(j["type"] == "\\xce");
  CHECK(j["type_byte"] == 0xce);
  CHECK(j["magic"] == "AgI=");
  CHECK(nlohmann::json::parse(got[1])["type"] == "2");
}

TEST_CASE("bluesky_fs dump escapes every one of the 256 type-byte values, in JSON and as text",
          "[tools][dump]") {
  stage1_copy store;
  const auto json_before = test::lines(store.dump(true).out);
  const auto text_before = test::lines(store.dump(false).out);
  REQUIRE(json_before.size() == 14);
  for (unsigned v = 0; v < 256; ++v) {
    INFO("type byte " << v);
    store.set_type(static_cast<std::byte>(v));
    const auto j = store.dump(true);
    REQUIRE(j.exit_code == 0);
    CHECK(j.err.empty());
    CHECK(printable_text(j.out));
    const auto got = test::lines(j.out);
    REQUIRE(got.size() == json_before.size());
    for (const auto& line : got) CHECK_NOTHROW(nlohmann::json::parse(line));
    const auto first = nlohmann::json::parse(got[0]);
    CHECK(first["type_byte"] == v);
    CHECK(first["type"] == printable_byte(v));
    // The other items' lines are unchanged, but for when they were printed.
    auto untimed = [](const std::string& line) {
      auto o = nlohmann::json::parse(line);
      o.erase("timestamp");
      return o.dump();
    };
    for (std::size_t i = 1; i < got.size(); ++i) CHECK(untimed(got[i]) == untimed(json_before[i]));

    const auto t = store.dump(false);
    REQUIRE(t.exit_code == 0);
    CHECK(printable_text(t.out));
    const auto text = test::lines(t.out);
    REQUIRE(text.size() == text_before.size());
    CHECK(text[1].find(" type=" + printable_byte(v) + " ") != std::string::npos);
    for (std::size_t i = 2; i < text.size(); ++i) CHECK(text[i] == text_before[i]);
  }
}

TEST_CASE("bluesky_fs refuses a missing store and bad usage with their exit codes", "[tools]") {
  auto r = test::run({test::tool("bluesky_fs").string(), "--store", "file:/nonexistent/x", "dump"});
  CHECK(r.exit_code == 3);
  CHECK(r.err ==
        "error: cannot open store file:/nonexistent/x: no such directory (check the path; "
        "bluesky_fs workload creates a store)\n");
  r = test::run({test::tool("bluesky_fs").string(), "--store", "ftp://x", "dump"});
  CHECK(r.exit_code == 2);
  r = test::run({test::tool("bluesky_fs").string(), "dump"});
  CHECK(r.exit_code == 2);
}
