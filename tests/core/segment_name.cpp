// SPDX-License-Identifier: BSL-1.0
// Segment names: "log-%08u-%08u", the directory prefix, the largest number, and a
// parser that takes exactly that form, so that names sort as their numbers do.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "cloudlog/segment_name.hpp"

using namespace cloudlog;

TEST_CASE("Segment names sort as their (directory, sequence) do", "[core][segment_name]") {
  const std::vector<segment_id> ids{{0, 0}, {0, 9}, {0, 10}, {1, 2}, {2, 0}, {0, 99'999'999}};
  std::vector<std::string> names;
  for (auto s : ids) names.push_back(segment_name(s).value());
  std::vector<segment_id> sorted_ids = ids;
  std::sort(sorted_ids.begin(), sorted_ids.end());
  std::sort(names.begin(), names.end());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(names[i].size() == segment_name_length);
    CHECK(parse_segment_name(names[i]).value() == sorted_ids[i]);
  }
}

TEST_CASE("A directory's names all start with its prefix", "[core][segment_name]") {
  CHECK(segment_prefix(1) == "log-00000001-");
  CHECK(segment_name({1, 5}).value().rfind(segment_prefix(1), 0) == 0);
  CHECK(segment_name({10, 5}).value().rfind(segment_prefix(1), 0) != 0);
  CHECK(segment_name({max_segment_number, max_segment_number}).value() == "log-99999999-99999999");
  CHECK(segment_name({max_segment_number + 1, 0}).error() == errc::bad_segment_name);
}

TEST_CASE("Only the exact form parses", "[core][segment_name]") {
  for (const char* bad :
       {"log-0000000-000000001", "log-00000000-0000000", "log-00000000-000000001",
        "LOG-00000000-00000001", "log-00000000_00000001", "log-+0000000-00000001",
        "log-00000000-0000000a", "log- 0000000-00000001", "log-00000000-00000001.tmp", ""}) {
    INFO(bad);
    CHECK(parse_segment_name(bad).error() == errc::bad_segment_name);
  }
}
