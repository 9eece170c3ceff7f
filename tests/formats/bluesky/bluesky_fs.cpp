// SPDX-License-Identifier: BSL-1.0
// bluesky_fs ls / cat / readlink / verify / merge / workload, run as a subprocess
// the way a user runs it, against every fixture stage and copies of them.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "formats/bluesky/helpers.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"

using namespace cloudlog;

namespace {

// A temp file holding the fixture passphrase (no newline), for --key-file.
class key_file {
 public:
  key_file() { std::ofstream(path()) << test::fixture_passphrase; }
  std::string path() const { return (dir_.path() / "key").string(); }

 private:
  test::temp_dir dir_;
};

// Runs bluesky_fs on STORE (a directory) with ARGS, with the key unless NOCRYPTO.
test::process_result fs_tool(const std::filesystem::path& store, const key_file& key, bool with_key,
                             std::vector<std::string> args) {
  std::vector<std::string> all = {test::tool("bluesky_fs").string(), "--store",
                                  "file:" + store.string()};
  if (with_key) {
    all.push_back("--key-file");
    all.push_back(key.path());
  }
  all.insert(all.end(), args.begin(), args.end());
  return test::run(all);
}

struct ls_line {
  char type;
  std::string mode;
  std::uint64_t size;
  std::string path;
  std::string target;
};

std::map<std::string, ls_line> parse_ls(const std::string& out) {
  std::map<std::string, ls_line> m;
  for (const auto& line : test::lines(out)) {
    std::istringstream in(line);
    ls_line l;
    in >> l.type >> l.mode >> l.size >> l.path;
    std::string arrow;
    if (in >> arrow) {
      CHECK(arrow == "->");
      in >> l.target;
    }
    m[l.path] = l;
  }
  return m;
}

// Checks every command's view of one stage against the fixtures README.
void check_stage(const std::filesystem::path& stage, const key_file& key) {
  INFO(stage.string());
  const bool with_key = !test::is_nocrypto(stage);
  const auto want = test::expected_for(stage);
  auto ls = fs_tool(stage, key, with_key, {"ls", "-R"});
  INFO(ls.err);
  REQUIRE(ls.exit_code == 0);
  CHECK(ls.err.empty());
  const auto got = parse_ls(ls.out);
  CHECK(got.size() == want.files.size() + want.symlinks.size() + want.directories.size() - 1);
  for (const auto& [path, contents] : want.files) {
    INFO(path);
    REQUIRE(got.count(path));
    CHECK(got.at(path).type == '-');
    CHECK(got.at(path).size == contents.size());
    auto cat = fs_tool(stage, key, with_key, {"cat", path});
    INFO(cat.err);
    REQUIRE(cat.exit_code == 0);
    CHECK(to_bytes(cat.out) == contents);
  }
  for (const auto& [path, target] : want.symlinks) {
    REQUIRE(got.count(path));
    CHECK(got.at(path).type == 'l');
    CHECK(got.at(path).target == target);
    auto rl = fs_tool(stage, key, with_key, {"readlink", path});
    REQUIRE(rl.exit_code == 0);
    CHECK(rl.out == target + "\n");
  }
  for (const auto& d : want.directories)
    if (d != "/") CHECK(got.at(d).type == 'd');
  CHECK(got.at("/subdir/nested.txt").mode == "0600");
}

}  // namespace

TEST_CASE("bluesky_fs ls -R, cat and readlink give exactly the fixtures' tree and contents",
          "[formats][bluesky][tools][fixtures]") {
  const key_file key;
  for (const auto& stage : test::fixture_stages()) check_stage(stage, key);
}

TEST_CASE("bluesky_fs ls lists one directory by name, and cat follows a symlink",
          "[formats][bluesky][tools]") {
  const key_file key;
  const auto stage = test::fixtures_dir() / "main" / "stage2-overwrite";
  auto ls = fs_tool(stage, key, true, {"ls", "/subdir"});
  REQUIRE(ls.exit_code == 0);
  CHECK(ls.out == "- 0600           21 nested.txt\n");
  auto root = fs_tool(stage, key, true, {"ls"});
  REQUIRE(root.exit_code == 0);
  CHECK(test::lines(root.out).size() == 4);
  auto cat = fs_tool(stage, key, true, {"cat", "/link"});
  REQUIRE(cat.exit_code == 0);
  CHECK(cat.out == "Hello, BlueSky!\n");
}

TEST_CASE("bluesky_fs reports every error on one stderr line with its exit code",
          "[formats][bluesky][tools]") {
  const key_file key;
  const auto stage = test::fixtures_dir() / "main" / "stage1-write";
  SECTION("an encrypted store without a key") {
    auto r = fs_tool(stage, key, false, {"cat", "/hello.txt"});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    REQUIRE(test::lines(r.err).size() == 1);
    CHECK_THAT(r.err, Catch::Contains("a key is needed"));
  }
  SECTION("a missing path") {
    auto r = fs_tool(stage, key, true, {"cat", "/nope"});
    CHECK(r.exit_code == 5);
    REQUIRE(test::lines(r.err).size() == 1);
    CHECK_THAT(r.err, Catch::Contains("/nope"));
  }
  SECTION("readlink of a file, cat of a directory") {
    CHECK(fs_tool(stage, key, true, {"readlink", "/hello.txt"}).exit_code == 5);
    CHECK(fs_tool(stage, key, true, {"cat", "/subdir"}).exit_code == 5);
  }
  SECTION("a wrong key") {
    test::temp_dir d;
    std::ofstream(d.path() / "k") << "wrong-passphrase";
    auto r = test::run({test::tool("bluesky_fs").string(), "--store", "file:" + stage.string(),
                        "--key-file", (d.path() / "k").string(), "ls"});
    CHECK(r.exit_code == 4);
    CHECK(test::lines(r.err).size() == 1);
  }
}

TEST_CASE("bluesky_fs verify walks everything and exits 4 on corruption",
          "[formats][bluesky][tools]") {
  const key_file key;
  for (const auto& stage : test::fixture_stages()) {
    auto r = fs_tool(stage, key, !test::is_nocrypto(stage), {"verify"});
    INFO(stage.string() << ": " << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("OK:"));
  }
  test::temp_dir dir;
  test::copy_stage(test::fixtures_dir() / "main" / "stage6-merge2", dir.path());
  auto json = fs_tool(dir.path(), key, true, {"verify", "--json"});
  REQUIRE(json.exit_code == 0);
  const auto j = nlohmann::json::parse(json.out);
  CHECK(j["inodes"] == 6);
  CHECK(j["data_blocks"] == 6);
  CHECK(j["file_bytes"] == 100037);
  CHECK(j["tags_checked"] == true);
  // Flip one ciphertext byte of nested.txt's data block in 1/4.
  const auto seg = dir.path() / "log-00000001-00000004";
  auto data = test::read_file(seg);
  data[100461 + 89 + 3] ^= std::byte{0x40};
  std::filesystem::remove(seg);
  std::ofstream(seg, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  auto bad = fs_tool(dir.path(), key, true, {"verify"});
  CHECK(bad.exit_code == 4);
  REQUIRE(test::lines(bad.err).size() == 1);
  CHECK_THAT(bad.err,
             Catch::Contains("block 0 of inode 5") && Catch::Contains("log-00000001-00000004"));
}

TEST_CASE("bluesky_fs merge adopts the cleaner's output of a stage5 copy",
          "[formats][bluesky][tools][fixtures]") {
  const key_file key;
  test::temp_dir dir;
  const auto stage = test::fixtures_dir() / "main" / "stage5-clean2";
  test::copy_stage(stage, dir.path());
  auto m = fs_tool(dir.path(), key, true, {"merge", "--json"});
  INFO(m.err);
  REQUIRE(m.exit_code == 0);
  const auto j = nlohmann::json::parse(m.out);
  CHECK(j["merged"] == true);
  CHECK(j["cleaner_sequence"] == 5);
  CHECK(j["blocks_adopted"] == 6);
  CHECK(j["inodes_adopted"] == 6);
  CHECK(j["inodes_rewritten"] == 0);
  check_stage(stage, key);
  auto again = fs_tool(dir.path(), key, true, {"merge"});
  REQUIRE(again.exit_code == 0);
  CHECK(again.out == "nothing to merge\n");
  auto v = fs_tool(dir.path(), key, true, {"verify"});
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::Contains("vv [(1, 5)]"));
}

TEST_CASE("bluesky_fs workload is seeded, scalable and builds a verifiable store",
          "[formats][bluesky][tools]") {
  const key_file key;
  test::temp_dir a, b;
  const std::vector<std::string> args = {"workload", "--preset",    "cleanbench", "--scale",
                                         "0.25",     "--file-size", "1M",         "--write-size",
                                         "128K",     "--seed",      "9",          "--json"};
  auto ra = fs_tool(a.path() / "store", key, true, args);
  INFO(ra.err);
  REQUIRE(ra.exit_code == 0);
  auto rb = fs_tool(b.path() / "store", key, true, args);
  REQUIRE(rb.exit_code == 0);
  const auto ja = nlohmann::json::parse(ra.out), jb = nlohmann::json::parse(rb.out);
  CHECK(ja["files"] == 2);
  CHECK(ja["writes"] == 2 * 8 + 16);  // 8 writes per file, then 2 MiB overwritten in 128 KiB
  CHECK(ja["bytes_uploaded"] == jb["bytes_uploaded"]);
  for (const char* f : {"/dir000/file000000", "/dir000/file000001"}) {
    auto ca = fs_tool(a.path() / "store", key, true, {"cat", f});
    auto cb = fs_tool(b.path() / "store", key, true, {"cat", f});
    REQUIRE(ca.exit_code == 0);
    CHECK(ca.out.size() == 1u << 20);
    CHECK(ca.out == cb.out);
  }
  auto v = fs_tool(a.path() / "store", key, true, {"verify"});
  CHECK(v.exit_code == 0);
  auto bad = fs_tool(a.path() / "store", key, true, {"workload", "--preset", "nope"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("bluesky_fs workload takes a hot set or Zipf skew and refuses values out of range",
          "[formats][bluesky][tools]") {
  const key_file key;
  test::temp_dir dir;
  const std::vector<std::string> base = {"workload", "--files",      "10",  "--file-size",
                                         "256K",     "--write-size", "32K", "--json"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return fs_tool(dir.path() / "store", key, true, args);
  };
  auto hot = with({"--hot-fraction", "0.1", "--hot-share", "0.9"});
  INFO(hot.err);
  CHECK(hot.exit_code == 0);
  CHECK(with({"--zipf", "0.99"}).exit_code == 0);
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused{
      {{"--hot-fraction", "1.5", "--hot-share", "0.9"}, "--hot-fraction must be between 0 and 1"},
      {{"--hot-fraction", "0.1", "--hot-share", "2"}, "--hot-share must be between 0 and 1"},
      {{"--hot-fraction", "nan"}, "--hot-fraction must be between 0 and 1"},
      {{"--zipf", "-1"}, "--zipf must be a number >= 0"},
      {{"--zipf", "1", "--hot-fraction", "0.1"}, "do not go together"}};
  for (const auto& [extra, needle] : refused) {
    auto r = with(extra);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    // With --json (in BASE) the one error line is a JSON object (docs/tools.md).
    const auto j = nlohmann::json::parse(r.err);
    CHECK(j["kind"] == "error");
    CHECK(j["exit_code"] == 2);
    CHECK(j["error"].get<std::string>().find(needle) != std::string::npos);
  }
}
