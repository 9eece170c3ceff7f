// SPDX-License-Identifier: BSL-1.0
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "cloudlog/error.hpp"
#include "cloudlog/result.hpp"

using namespace cloudlog;

namespace {
result<int> half(int x) {
  if (x % 2) return fail(errc::invalid_argument);
  return x / 2;
}
result<void> chain(int x) {
  CLOUDLOG_TRY_VOID(half(x));
  return {};
}
}  // namespace

TEST_CASE("cloudlog::errc converts to std::error_code in the cloudlog category", "[core][error]") {
  std::error_code ec = errc::bad_magic;
  CHECK(ec.category().name() == std::string("cloudlog"));
  CHECK(ec.message() == "bad item magic");
  CHECK(ec == errc::bad_magic);
  CHECK(ec != errc::short_header);
  // Every value in use has a message; retired values (never returned, or file-system
  // codes now std::errc) are never reused.
  const std::set<int> retired{27, 29, 32, 33, 34, 35, 36, 37};
  for (int v = 1; v <= static_cast<int>(errc::damaged_log); ++v)
    CHECK((make_error_code(static_cast<errc>(v)).message() != "unknown cloudlog error") ==
          (retired.count(v) == 0));
}

TEST_CASE("each cloudlog::errc compares equal to its condition group, and to no other",
          "[core][error]") {
  const std::vector<errc> corruption{errc::short_header,
                                     errc::bad_magic,
                                     errc::section_overrun,
                                     errc::bad_link_id_size,
                                     errc::bad_link_location_size,
                                     errc::size_overflow,
                                     errc::bad_tag,
                                     errc::corrupt_payload,
                                     errc::dangling_link,
                                     errc::unexpected_type,
                                     errc::damaged_log};
  const std::vector<errc> unreachable{errc::unreachable,    errc::timeout,
                                      errc::access_denied,  errc::bad_credentials,
                                      errc::no_such_bucket, errc::tls_failure};
  const std::vector<errc> usage{errc::invalid_argument, errc::bad_key};
  const std::vector<errc> none{errc::bad_segment_name, errc::invalid_name,  errc::not_found,
                               errc::io_error,         errc::out_of_range,  errc::injected_fault,
                               errc::crypto_failure,   errc::no_checkpoint, errc::protocol_error,
                               errc::throttled,        errc::lease_held,    errc::budget_exhausted};
  const std::vector<std::pair<condition, const std::vector<errc>*>> groups{
      {condition::corruption, &corruption},
      {condition::unreachable, &unreachable},
      {condition::usage, &usage}};
  for (const auto& [c, members] : groups) {
    for (const auto& [other, other_members] : groups)
      for (auto e : *other_members) CHECK((std::error_code(e) == c) == (c == other));
    for (auto e : none) CHECK(std::error_code(e) != c);
  }
  // The condition names itself; std::errc codes (the file-system models') are in no group.
  CHECK(make_error_condition(condition::corruption).message() == "corruption");
  CHECK(std::make_error_code(std::errc::no_such_file_or_directory) != condition::usage);
  CHECK(std::error_code(errc::invalid_argument) != std::errc::invalid_argument);
  // An errc still compares equal to itself exactly.
  CHECK(std::error_code(errc::bad_tag) == errc::bad_tag);
  CHECK(std::error_code(errc::bad_tag) != errc::bad_magic);
}

TEST_CASE("result<T> carries a value or an error, and CLOUDLOG_TRY_VOID propagates",
          "[core][error]") {
  CHECK(half(4).value() == 2);
  CHECK(half(3).error() == errc::invalid_argument);
  CHECK(chain(4).has_value());
  CHECK(chain(5).error() == errc::invalid_argument);
}
