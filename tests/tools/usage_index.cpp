// SPDX-License-Identifier: BSL-1.0
// bluesky_cleaner's usage index, run as a user would (issue 12's done-when): on a
// smallfiles --scale 2 store after clean/merge rounds, an idle dry run reads at most
// 5 % of the metadata a --full-walk dry run reads, and after a 1 % overwrite at most
// 50 %, with identical plans; a damaged record costs one note and a full walk.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "tools/tools.hpp"

using namespace cloudlog;
using test::cleaner;
using test::fs_tool;

namespace {

struct smallfiles_store {
  test::temp_dir dir;
  std::filesystem::path store = dir.path() / "store";
  std::filesystem::path key = dir.path() / "key";
  std::string uri() const { return "file:" + store.string(); }

  smallfiles_store() {
    std::ofstream(key) << "usage-index-passphrase";
    workload({});
  }
  void workload(std::vector<std::string> more) {
    std::vector<std::string> args{fs_tool(),  "--store",  uri(),        "--key-file", key.string(),
                                  "workload", "--preset", "smallfiles", "--scale",    "2"};
    args.insert(args.end(), more.begin(), more.end());
    auto r = test::run(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  void merge() {
    auto r = test::run({fs_tool(), "--store", uri(), "--key-file", key.string(), "merge"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  // Runs a pass; its exit code must be one of CODES.
  nlohmann::json clean(std::vector<std::string> more, std::vector<int> codes = {0}) {
    std::vector<std::string> args{cleaner(), "--store", uri(), "--json", "--lease-settle", "0.05"};
    args.insert(args.end(), more.begin(), more.end());
    auto r = test::run(args);
    INFO("exit " << r.exit_code << ": " << r.err << r.out.substr(0, 400));
    REQUIRE(std::find(codes.begin(), codes.end(), r.exit_code) != codes.end());
    const auto line = r.out.substr(0, r.out.find('\n'));
    return nlohmann::json::parse(line);
  }
};

// Two passes' plans and tables are the same.
void same_plan(const nlohmann::json& a, const nlohmann::json& b) {
  CHECK(a["plan"] == b["plan"]);
  CHECK(a["segments"] == b["segments"]);
  CHECK(a["bytes_used"] == b["bytes_used"]);
  CHECK(a["bytes_total"] == b["bytes_total"]);
  CHECK(a["items_live"] == b["items_live"]);
  CHECK(a["status"] == b["status"]);
}

}  // namespace

TEST_CASE(
    "bluesky_cleaner's usage index: an idle dry run reads <= 5 % of a full walk's "
    "metadata, after a 1 % overwrite <= 50 %, same plans",
    "[tools][cleaner][usage_index]") {
  smallfiles_store s;
  for (int round = 0; round < 3; ++round) {
    auto r = s.clean({});
    CHECK(r["usage_index"]["enabled"] == true);
    CHECK(r["usage_index"]["generation_written"].get<int>() > 0);
    s.merge();
  }
  s.clean({});  // deletes what the last merge released, writes the current record
  auto idle = s.clean({"--dry-run"});
  auto full = s.clean({"--dry-run", "--full-walk"});
  same_plan(idle, full);
  const double idle_read = idle["metadata_bytes_read"].get<double>();
  const double full_read = full["metadata_bytes_read"].get<double>();
  INFO("idle " << idle_read << " B, full walk " << full_read << " B");
  CHECK(full["usage_index"]["full_walk"] == true);
  CHECK(idle["usage_index"]["full_walk"] == false);
  CHECK(idle["usage_index"]["items_read"] == 0);
  CHECK(idle["usage_index"]["items_reused"].get<double>() > 8000);
  CHECK(idle["usage_index"]["generation_written"] == 0);  // a dry run writes nothing
  CHECK(idle_read <= 0.05 * full_read);

  // 1 % of the files overwritten by the proxy.
  s.workload({"--no-create", "--overwrite-fraction", "0.01", "--seed", "2"});
  auto after = s.clean({"--dry-run"});
  auto after_full = s.clean({"--dry-run", "--full-walk"});
  same_plan(after, after_full);
  const double after_read = after["metadata_bytes_read"].get<double>();
  const double after_full_read = after_full["metadata_bytes_read"].get<double>();
  INFO("after 1 %: " << after_read << " B, full walk " << after_full_read << " B");
  CHECK(after["usage_index"]["items_read"].get<double>() > 0);
  CHECK(after["usage_index"]["items_read"].get<double>() < 400);
  CHECK(after_read <= 0.5 * after_full_read);
  // A real pass that cross-checks the index with a full walk: they agree (exit 0,
  // or 6 if the proxy has not merged the last output yet; never 8).
  auto pass = s.clean({"--index-check-every", "1"}, {0, 6});
  CHECK(pass["usage_index"]["checked"] == true);
  CHECK(pass["usage_index"]["mismatch"] == false);
  s.merge();  // so that the dry runs below do not wait for the proxy (exit 6)

  // A damaged record: one note, a full walk, the same plan.
  std::string record;
  for (const auto& e : std::filesystem::directory_iterator(s.store))
    if (e.path().filename().string().rfind("log-99999998-", 0) == 0) record = e.path().string();
  REQUIRE(!record.empty());
  std::filesystem::resize_file(record, 50);
  auto damaged = s.clean({"--dry-run"});
  auto truth = s.clean({"--dry-run", "--no-usage-index"});
  same_plan(damaged, truth);
  CHECK(damaged["usage_index"]["full_walk"] == true);
  CHECK(damaged["usage_index"]["note"].get<std::string>().find("truncated or corrupt") !=
        std::string::npos);
  CHECK(truth["usage_index"]["enabled"] == false);
}

TEST_CASE(
    "bluesky_cleaner --cache-dir keeps a local copy of the usage index and reads it instead of "
    "the store's; a damaged copy costs one note",
    "[tools][cleaner][usage_index][local_copy]") {
  test::temp_dir dir;
  const auto store = dir.path() / "store";
  const auto cache = dir.path() / "cache";
  const auto key = dir.path() / "key";
  std::ofstream(key) << "usage-index-passphrase";
  const std::string uri = "file:" + store.string();
  const auto fs = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {fs_tool(), "--store", uri, "--key-file", key.string()});
    auto r = test::run(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  };
  const auto clean = [&](std::vector<std::string> more) {
    std::vector<std::string> args{cleaner(),        "--store", uri,           "--json",
                                  "--lease-settle", "0.05",    "--cache-dir", cache.string()};
    args.insert(args.end(), more.begin(), more.end());
    auto r = test::run(args);
    INFO("exit " << r.exit_code << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    return std::make_pair(nlohmann::json::parse(r.out.substr(0, r.out.find('\n'))), r.err);
  };
  fs({"workload", "--files", "8", "--file-size", "64K", "--write-size", "16K",
      "--overwrite-fraction", "0.5", "--flush-every", "4", "--seed", "3"});
  auto [first, first_err] = clean({});
  CHECK(first["usage_index"]["generation_written"].get<int>() > 0);
  fs({"merge"});
  fs({"workload", "--no-create", "--files", "8", "--file-size", "64K", "--write-size", "16K",
      "--overwrite-fraction", "0.2", "--seed", "4"});
  std::filesystem::path copy;
  for (const auto& e : std::filesystem::directory_iterator(cache / "usage-index"))
    if (e.path().filename().string().rfind("log-99999998-", 0) == 0) copy = e.path();
  REQUIRE(copy.filename().string().rfind("log-99999998-", 0) == 0);
  CHECK(std::filesystem::file_size(copy) == std::filesystem::file_size(store / copy.filename()));

  auto [dry, dry_err] = clean({"--dry-run"});
  auto [full, full_err] = clean({"--dry-run", "--full-walk"});
  same_plan(dry, full);
  CHECK(dry["usage_index"]["local_copy"] == true);
  CHECK(dry["usage_index"]["bytes_read"] == 0);
  // The head, and the ranges holding the summaries the walk looked up.
  CHECK(dry["usage_index"]["local_bytes_read"].get<double>() >= std::filesystem::file_size(copy));
  CHECK(dry_err.find("note:") == std::string::npos);

  std::filesystem::resize_file(copy, std::filesystem::file_size(copy) - 1);
  auto [damaged, damaged_err] = clean({"--dry-run"});
  same_plan(damaged, full);
  CHECK(damaged["usage_index"]["local_copy"] == false);
  CHECK(damaged["usage_index"]["full_walk"] == false);
  CHECK(damaged["usage_index"]["bytes_read"].get<double>() > 0);
  CHECK(damaged["usage_index"]["note"].get<std::string>().find(
            "of the usage index is truncated or corrupt: read from the store") !=
        std::string::npos);
}
