// SPDX-License-Identifier: BSL-1.0
// file_store: the segment_store laws, batched removal, what it lists, a missing
// directory, and the real fixtures read in place.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "backend/conformance.hpp"
#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "support/archetypes.hpp"
#include "support/dump_txt.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;

TEST_CASE("file_store obeys the segment_store laws", "[backend][file]") {
  test::temp_dir dir;
  auto store = file_store::open(dir.path()).value();
  test::check_segment_store_laws(store);
}

TEST_CASE("file_store read_many serves runs of one file as read() would, in order",
          "[backend][file]") {
  test::temp_dir dir;
  auto store = file_store::open(dir.path()).value();
  STATIC_REQUIRE(batch_readable<file_store>);
  const auto a = segment_name({0, 1}).value(), b = segment_name({0, 2}).value();
  const auto missing = segment_name({0, 3}).value();
  const auto pa = test::pattern(100, 1), pb = test::pattern(50, 2);
  REQUIRE(store.write(a, pa));
  REQUIRE(store.write(b, pb));
  // Runs of one name, a name again after another, a missing file between, a bad
  // name, a range past the end and one running over it.
  const std::vector<read_request> reqs{{a, 0, 10},      {a, 90, 20}, {b, 10, 5},
                                       {missing, 0, 1}, {a, 50, 1},  {"../x", 0, 1},
                                       {b, 51, 1},      {b, 50, 9},  {a, 0, whole_object}};
  const auto r = store.read_many(reqs);
  REQUIRE(r.size() == reqs.size());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    INFO(i);
    const auto one = store.read(reqs[i].name, reqs[i].offset, reqs[i].length);
    REQUIRE(r[i].has_value() == one.has_value());
    if (one)
      CHECK(*r[i] == *one);
    else
      CHECK(r[i].error() == one.error());
  }
  CHECK(r[1].value() == bytes(pa.begin() + 90, pa.end()));
  CHECK(r[3].error() == errc::not_found);
  CHECK(r[5].error() == errc::invalid_name);
  CHECK(r[6].error() == errc::out_of_range);
  CHECK(r[7].value().empty());
}

TEST_CASE("file_store read_many_into reads each request into its buffer as read_many would",
          "[backend][file]") {
  test::temp_dir dir;
  auto store = file_store::open(dir.path()).value();
  STATIC_REQUIRE(readable_into<file_store>);
  const auto a = segment_name({0, 1}).value(), b = segment_name({0, 2}).value();
  const auto missing = segment_name({0, 3}).value();
  const auto pa = test::pattern(100, 1), pb = test::pattern(50, 2);
  REQUIRE(store.write(a, pa));
  REQUIRE(store.write(b, pb));
  const std::vector<read_request> reqs{{a, 0, 10},      {a, 90, 20}, {b, 10, 5},
                                       {missing, 0, 1}, {a, 50, 1},  {"../x", 0, 1},
                                       {b, 51, 1},      {b, 50, 9},  {a, 0, whole_object}};
  const auto whole = store.read_many(reqs);
  // One buffer for all of them, as the read planner does: each request's part as
  // long as its length (or the object, for whole_object), uninitialized bytes
  // marked so that a write past a request's part would show.
  std::vector<std::size_t> sizes{10, 20, 5, 1, 1, 1, 1, 9, 100};
  bytes memory(std::accumulate(sizes.begin(), sizes.end(), std::size_t{0}) + 1, std::byte{0xee});
  std::vector<mutable_byte_view> into;
  std::size_t at = 0;
  for (auto n : sizes) {
    into.push_back(mutable_byte_view(memory).subspan(at, n));
    at += n;
  }
  const auto r = store.read_many_into(reqs, into);
  REQUIRE(r.size() == reqs.size());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    INFO(i);
    REQUIRE(r[i].has_value() == whole[i].has_value());
    if (!whole[i]) {
      CHECK(r[i].error() == whole[i].error());
      continue;
    }
    REQUIRE(*r[i] == whole[i]->size());
    CHECK(bytes(into[i].begin(), into[i].begin() + static_cast<std::ptrdiff_t>(*r[i])) ==
          *whole[i]);
  }
  CHECK(*r[1] == 10);                       // the object's end within the request
  CHECK(memory.back() == std::byte{0xee});  // nothing written past the last buffer
}

TEST_CASE("file_store remove_many deletes exactly the named files, one bad name none",
          "[backend][file]") {
  test::temp_dir dir;
  auto store = file_store::open(dir.path()).value();
  STATIC_REQUIRE(batch_removable<file_store>);
  for (std::uint32_t i = 0; i < 500; ++i)
    REQUIRE(store.write(segment_name({0, i}).value(), test::pattern(16, i)));
  std::vector<std::string> doomed;
  for (std::uint32_t i = 0; i < 500; i += 2) doomed.push_back(segment_name({0, i}).value());
  doomed.push_back(segment_name({0, 5001}).value());  // missing: not an error
  // One invalid name: nothing at all is deleted.
  auto mixed = doomed;
  mixed.push_back("../escape");
  CHECK(store.remove_many(mixed).error() == errc::invalid_name);
  CHECK(store.list(0).value().size() == 500);
  REQUIRE(store.remove_many(doomed));
  const auto l = store.list(0).value();
  REQUIRE(l.size() == 250);
  for (std::uint32_t i = 0; i < 250; ++i) CHECK(l[i].id.sequence == 2 * i + 1);
  // Again: everything is already gone, which is success.
  REQUIRE(store.remove_many(doomed));
  REQUIRE(store.remove_many(std::span<const std::string>{}));
  CHECK(store.list(0).value().size() == 250);
}

TEST_CASE("file_store lists only segment files and never its temporary files", "[backend][file]") {
  test::temp_dir dir;
  auto store = file_store::open(dir.path()).value();
  std::ofstream(dir.path() / ".tmp-log-00000000-00000001-abcdef") << "partial";
  std::ofstream(dir.path() / "README") << "not a segment";
  std::ofstream(dir.path() / "log-00000000-1") << "bad name";
  std::filesystem::create_directory(dir.path() / "log-00000000-00000009");
  REQUIRE(store.write("log-00000000-00000001", test::pattern(4, 1)));
  auto l = store.list(0).value();
  REQUIRE(l.size() == 1);
  CHECK(l[0].name == "log-00000000-00000001");
  // A successful write leaves no temporary file behind.
  std::size_t temps = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path()))
    if (e.path().filename().string().rfind(".tmp-log-00000000-00000001-", 0) == 0 &&
        e.path().filename() != ".tmp-log-00000000-00000001-abcdef")
      ++temps;
  CHECK(temps == 0);
}

TEST_CASE("file_store refuses a directory that does not exist", "[backend][file]") {
  CHECK(file_store::open("/nonexistent/cloudlog").error() == errc::not_found);
}

TEST_CASE("file_store reads the real fixtures in place", "[backend][file][fixtures]") {
  auto store = file_store::open(test::fixtures_dir() / "main/stage3-clean1").value();
  // What the independent reader's listing says is there: names and sizes.
  const auto listed = test::dumped_segments(test::fixtures_dir() / "main/stage3-clean1.dump.txt");
  REQUIRE(listed.size() == 5);
  auto l0 = store.list(0).value();
  auto l1 = store.list(1).value();
  REQUIRE(l0.size() + l1.size() == listed.size());
  std::vector<std::pair<std::string, std::uint64_t>> found;
  for (const auto* l : {&l0, &l1})
    for (const auto& s : *l) {
      CHECK(s.id == parse_segment_name(s.name).value());
      found.emplace_back(s.name, s.size);
    }
  CHECK(found == listed);
  auto head = store.read("log-00000000-00000000", 0, 4).value();
  CHECK(as_chars(head) == "AgI=");
}
