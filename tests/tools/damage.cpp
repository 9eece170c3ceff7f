// SPDX-License-Identifier: BSL-1.0
// Damage never becomes loss, run through the built tools as a user would (issue
// 17): damage after the last checkpoint is refused by every tool with exit 4 and
// nothing written; recovery is explicit; an interrupted flush is read past and
// sealed by merge; a tampered item copied by a key-less cleaner never wedges it.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/root.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "tools/tools.hpp"

using namespace cloudlog;

namespace {

// A copy of a fixture stage, with the fixtures' key in a file.
struct fixture_copy {
  test::temp_dir dir;
  std::filesystem::path store = dir.path() / "store";
  std::filesystem::path key = dir.path() / "key";
  explicit fixture_copy(const char* stage) {
    std::filesystem::create_directory(store);
    test::copy_stage(test::fixtures_dir() / "main" / stage, store);
    std::ofstream(key) << "bluesky-fixture-passphrase";
  }
  std::string uri() const { return "file:" + store.string(); }
  test::process_result fs(std::vector<std::string> args) const {
    args.insert(args.begin(), {test::fs_tool(), "--store", uri(), "--key-file", key.string()});
    return test::run(args);
  }
  test::process_result clean(std::vector<std::string> args = {}) const {
    args.insert(args.begin(), {test::cleaner(), "--store", uri(), "--lease-settle", "0.05"});
    return test::run(args);
  }
  void flip(const std::string& segment, std::size_t at, std::byte mask) const {
    auto data = test::read_file(store / segment);
    data.at(at) ^= mask;
    std::filesystem::remove(store / segment);
    std::ofstream(store / segment, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
  }
};

}  // namespace

TEST_CASE(
    "damage after the last checkpoint: every tool refuses with exit 4 and writes nothing; "
    "recover goes back only when told to",
    "[tools][damage]") {
  fixture_copy d("stage3-clean1");
  // The type byte of the newest proxy checkpoint (byte 99253), as the report found.
  d.flip("log-00000000-00000001", 99253, std::byte{1});
  const auto before = test::snapshot(d.store);
  const std::string where = "log-00000000-00000001 @99201";
  test::check_one_line_error(d.fs({"verify"}), 4, where);
  test::check_one_line_error(d.fs({"cat", "/big.bin"}), 4, where);
  test::check_one_line_error(d.fs({"merge"}), 4, where);
  test::check_one_line_error(d.fs({"workload", "--files", "1", "--file-size", "64K"}), 4, where);
  test::check_one_line_error(d.clean({"--dry-run"}), 4, where);
  test::check_one_line_error(d.clean(), 4, where);
  CHECK(test::snapshot(d.store) == before);

  // recover: explicit, and only with the flag.
  test::check_one_line_error(d.fs({"recover", "--to-checkpoint", "log-00000000-00000000"}), 2,
                             "--i-understand-data-after-it-is-lost");
  test::check_one_line_error(d.fs({"recover", "--to-checkpoint", "log-00000000-00000007",
                                   "--i-understand-data-after-it-is-lost"}),
                             5, "sequence 7");
  CHECK(test::snapshot(d.store) == before);
  auto r = d.fs({"recover", "--to-checkpoint", "log-00000000-00000000",
                 "--i-understand-data-after-it-is-lost", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["abandoned"] == nlohmann::json::array({"log-00000000-00000001"}));
  CHECK(d.fs({"verify"}).exit_code == 0);
  CHECK(d.clean().exit_code == 6);  // stage3's cleaner output still waits for a merge
  CHECK(d.fs({"merge"}).exit_code == 0);
  CHECK(d.clean().exit_code == 0);
}

TEST_CASE(
    "a library caller of clean() on a damaged root gets the text bluesky_cleaner prints, "
    "find_root's own (issue 16)",
    "[tools][damage][errors]") {
  for (const bool truncate : {false, true}) {
    INFO((truncate ? "root segment truncated" : "checkpoint's type byte flipped"));
    fixture_copy d("stage3-clean1");
    const std::string root_segment = "log-00000000-00000001";
    if (truncate)
      std::filesystem::resize_file(d.store / root_segment,
                                   std::filesystem::file_size(d.store / root_segment) - 1);
    else
      d.flip(root_segment, 99253, std::byte{1});  // as in the case above
    const auto before = test::snapshot(d.store);
    auto store = file_store::open(d.store).value();
    clean_options dry;
    dry.dry_run = true;
    auto r = clean(bluesky::format{}, store, greedy_policy{}, dry);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::damaged_log);
    // The one rule's text (which segment, where, why), without asking it again.
    auto root = bluesky::find_root(store, bluesky::no_cipher{});
    REQUIRE_FALSE(root);
    CHECK(r.error().what == root.error().what);
    CHECK(r.error().what.rfind(root_segment, 0) == 0);
    // The tool prints that text after what it was doing, and exits 4 (corruption).
    const auto tool = d.clean({"--dry-run"});
    INFO(tool.err);
    CHECK(tool.exit_code == 4);
    CHECK(tool.err.rfind("error: planning " + d.uri() + " failed: " + r.error().what, 0) == 0);
    CHECK(test::snapshot(d.store) == before);
  }
}

TEST_CASE(
    "a flush interrupted before its checkpoint: readers use the last complete checkpoint "
    "and say so; merge writes a fresh one (issue 17, defect 2)",
    "[tools][damage]") {
  test::temp_dir dir;
  const auto store = dir.path() / "store";
  const auto key = dir.path() / "key";
  std::ofstream(key) << "tools-test-passphrase";
  const std::string uri = "file:" + store.string();
  auto fs = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {test::fs_tool(), "--store", uri, "--key-file", key.string()});
    return test::run(args);
  };
  const std::string file = "/dir000/file000000";
  REQUIRE(fs({"workload", "--files", "1", "--file-size", "64K", "--overwrite-fraction", "0"})
              .exit_code == 0);
  const auto durable = fs({"cat", file});
  REQUIRE(durable.exit_code == 0);
  REQUIRE(durable.out.size() == 64 * 1024);
  // One flush of 9 MiB: three segments, the checkpoint in the last. A writer
  // killed after uploading the first two leaves exactly this store.
  REQUIRE(fs({"workload", "--files", "1", "--file-size", "9M", "--write-size", "9M",
              "--flush-every", "0", "--overwrite-fraction", "0", "--seed", "7"})
              .exit_code == 0);
  std::vector<std::filesystem::path> proxy;
  for (const auto& e : std::filesystem::directory_iterator(store))
    if (e.path().filename().string().rfind("log-00000000-", 0) == 0) proxy.push_back(e.path());
  std::sort(proxy.begin(), proxy.end());
  REQUIRE(proxy.size() >= 4);
  std::filesystem::remove(proxy.back());

  auto cat = fs({"cat", file});
  CHECK(cat.exit_code == 0);
  CHECK(cat.out == durable.out);
  CHECK_THAT(cat.err, Catch::StartsWith("note: ") &&
                          Catch::Contains(proxy[proxy.size() - 3].filename().string() + " .. " +
                                          proxy[proxy.size() - 2].filename().string()) &&
                          Catch::Contains("interrupted before its checkpoint"));
  CHECK(fs({"verify"}).exit_code == 0);
  CHECK(fs({"ls", "-R"}).exit_code == 0);
  CHECK(test::run({test::cleaner(), "--store", uri, "--dry-run"}).exit_code == 0);

  auto m = fs({"merge"});
  INFO(m.err);
  CHECK(m.exit_code == 0);
  CHECK_THAT(m.out, Catch::Contains("wrote a fresh checkpoint after the interrupted flush"));
  auto v = fs({"verify"});
  CHECK(v.exit_code == 0);
  CHECK(v.err.empty());  // the proxy's own rule holds again: nothing skipped
  CHECK(fs({"cat", file}).out == durable.out);
}

TEST_CASE(
    "a tampered live item copied by the key-less cleaner never wedges cleaning "
    "(issue 17, defect 3)",
    "[tools][damage]") {
  fixture_copy d("stage2-overwrite");
  // hello.txt's data block (the first item of segment 0/0, live), a byte of its
  // encrypted payload: only the key can tell.
  d.flip("log-00000000-00000000", 89 + 5, std::byte{0x40});
  auto pass = d.clean({"--json"});
  INFO(pass.err);
  REQUIRE(pass.exit_code == 0);
  auto j = nlohmann::json::parse(pass.out);
  REQUIRE(j["items_relocated"].get<int>() > 0);
  auto m = d.fs({"merge", "--json"});
  INFO(m.err);
  CHECK(m.exit_code == 0);
  CHECK_THAT(m.err, Catch::StartsWith("warning: 1 item(s) of the cleaner's output set aside") &&
                        Catch::Contains("block 0 of inode 2"));
  auto mj = nlohmann::json::parse(m.out);
  CHECK(mj["merged"] == true);
  CHECK(mj["refused"].size() == 1);
  // The proxy's own copy is damaged too: recorded for the cleaner.
  CHECK(mj["quarantined"] == nlohmann::json::array({"(0, 0, 0, 105)"}));
  CHECK(std::filesystem::exists(d.store / "log-99999999-00000002"));
  // Not waiting for a merge that can never happen: the next pass runs, and leaves
  // the damaged block and its segment where they are instead of copying it again.
  auto again = d.clean({"--json"});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  auto aj = nlohmann::json::parse(again.out);
  CHECK(aj["plan"]["quarantined"] == nlohmann::json::array({"log-00000000-00000000"}));
  for (const auto& v : aj["plan"]["victims"])
    CHECK(std::make_pair(v["directory"].get<int>(), v["sequence"].get<int>()) !=
          std::make_pair(0, 0));
  CHECK(std::filesystem::exists(d.store / "log-00000000-00000000"));
  auto m2 = d.fs({"merge", "--json"});
  INFO(m2.err);
  CHECK(m2.exit_code == 0);
  CHECK(nlohmann::json::parse(m2.out)["refused"].empty());  // nothing damaged was copied
  CHECK(d.clean().exit_code == 0);
  CHECK(std::filesystem::exists(d.store / "log-00000000-00000000"));
  // The damage itself is the proxy's to see: verify names it.
  auto v = d.fs({"verify"});
  CHECK(v.exit_code == 4);
  CHECK_THAT(v.err, Catch::Contains("block 0 of inode 2"));
}
