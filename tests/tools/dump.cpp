// `bluesky_fs dump` agrees with every fixture stage's .dump.txt (written by an
// independent reader) on offsets, sizes, magic, types, inums, section sizes and links.
#include <catch2/catch.hpp>

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
  CHECK(r.err == "error: corrupt segment: log-00000000-00000000 @ 310: bad item magic\n");
  CHECK(test::lines(r.out).size() == 2);
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
