// SPDX-License-Identifier: BSL-1.0
#include <catch2/catch.hpp>

#include <unordered_set>

#include "cloudlog/crypto/random.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/segment_name.hpp"

using namespace cloudlog;

TEST_CASE("Object ids have a hex form and a null value", "[core][object_id]") {
  object_id zero;
  CHECK(zero.is_null());
  CHECK(zero.hex() == std::string(32, '0'));
  auto id = object_id::from_hex("517d9757000102030405060708090a0b");
  REQUIRE(id);
  CHECK_FALSE(id->is_null());
  CHECK(id->hex() == "517d9757000102030405060708090a0b");
  CHECK_FALSE(object_id::from_hex("517d"));
  CHECK_FALSE(object_id::from_hex(std::string(32, 'g')));
}

TEST_CASE("Random object ids come from OpenSSL and do not repeat", "[core][object_id]") {
  std::unordered_set<object_id> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = random_object_id();
    REQUIRE(id);
    CHECK_FALSE(id->is_null());
    CHECK(seen.insert(*id).second);
  }
}

TEST_CASE("Segment names format and parse as log-%08d-%08d", "[log][segment_name]") {
  CHECK(segment_name({1, 4}).value() == "log-00000001-00000004");
  CHECK(segment_name({0, 99'999'999}).value() == "log-00000000-99999999");
  CHECK(segment_name({0, 100'000'000}).error() == errc::bad_segment_name);
  auto s = parse_segment_name("log-00000001-00000004");
  REQUIRE(s);
  CHECK(*s == segment_id{1, 4});
  CHECK(segment_prefix(1) == "log-00000001-");
}

TEST_CASE("Anything that is not exactly a segment name is rejected", "[log][segment_name]") {
  for (const char* bad :
       {"", "log-1-4", "log-00000001-0000004", "log-00000001-000000040", "log-0000000a-00000004",
        "LOG-00000001-00000004", "log-00000001_00000004", "log--0000001-00000004",
        "log-+0000001-00000004", "log-00000001-00000004 ", "xlog-0000001-00000004",
        "log-00000001-0000000/"})
    CHECK(parse_segment_name(bad).error() == errc::bad_segment_name);
}
