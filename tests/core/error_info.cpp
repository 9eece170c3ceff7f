// SPDX-License-Identifier: BSL-1.0
// error_info and result_with_info: a code with the text saying what failed and
// where; compared as its code; fail_with and fail build the error.
#include <catch2/catch.hpp>

#include <string>
#include <system_error>

#include "cloudlog/error_info.hpp"

using namespace cloudlog;

TEST_CASE("error_info carries a code with its context and compares as its code",
          "[core][error_info]") {
  result_with_info<int> a =
      fail_with(make_error_code(errc::damaged_log), "log-00000000-00000003 ends inside an item");
  REQUIRE_FALSE(a);
  CHECK(a.error() == errc::damaged_log);
  CHECK(a.error() == make_error_code(errc::damaged_log));
  CHECK_FALSE(a.error() == errc::no_checkpoint);
  CHECK(a.error().text() == "log-00000000-00000003 ends inside an item");
  result_with_info<void> b = fail_with(std::make_error_code(std::errc::no_such_file_or_directory));
  CHECK(b.error() == std::errc::no_such_file_or_directory);
  CHECK(b.error().what.empty());
  CHECK(b.error().text() == std::make_error_code(std::errc::no_such_file_or_directory).message());
  result_with_info<int> c = fail(a.error());
  CHECK(c.error().code == a.error().code);
  CHECK(c.error().what == a.error().what);
  result_with_info<int> d = 7;
  CHECK(d.value() == 7);
}

TEST_CASE("a bare code's failure passes into a result_with_info as it is, without text",
          "[core][error_info]") {
  const auto inner = [](bool ok) -> result<int> {
    if (!ok) return fail(errc::corrupt_payload);
    return 3;
  };
  const auto outer = [&](bool ok) -> result_with_info<int> {
    CLOUDLOG_TRY_VOID(inner(ok));  // result<int>'s failure, returned as an error_info
    auto v = inner(ok);
    if (!v) return fail(v.error());
    return *v + 1;
  };
  CHECK(outer(true).value() == 4);
  const auto f = outer(false);
  REQUIRE_FALSE(f);
  CHECK(f.error() == errc::corrupt_payload);
  CHECK(f.error().what.empty());
  const error_info e = make_error_code(errc::bad_tag);
  CHECK(e == errc::bad_tag);
  CHECK(e.text() == make_error_code(errc::bad_tag).message());
}
