// SPDX-License-Identifier: BSL-1.0
// result<T> and fail: a value or the error_code saying why; fail takes the
// library's codes and std::errc alike; CLOUDLOG_TRY_VOID returns the first error.
#include <catch2/catch.hpp>

#include <string>

#include "cloudlog/result.hpp"

using namespace cloudlog;

namespace {
int steps = 0;
result<void> step(bool ok) {
  ++steps;
  if (!ok) return fail(errc::io_error);
  return {};
}
result<int> two_steps(bool first, bool second) {
  CLOUDLOG_TRY_VOID(step(first));
  CLOUDLOG_TRY_VOID(step(second));
  return 42;
}
}  // namespace

TEST_CASE("fail makes an error from a cloudlog::errc, a std::errc or an error_code",
          "[core][result]") {
  result<int> a = fail(errc::not_found);
  REQUIRE_FALSE(a);
  CHECK(a.error() == errc::not_found);
  CHECK(a.error().category() == error_category());
  result<std::string> b = fail(std::errc::file_exists);
  CHECK(b.error() == std::errc::file_exists);
  CHECK(b.error().category() == std::generic_category());
  result<void> c = fail(make_error_code(errc::timeout));
  CHECK(c.error() == errc::timeout);
  result<int> d = 7;
  CHECK(d.value() == 7);
}

TEST_CASE("CLOUDLOG_TRY_VOID returns the first error and stops there", "[core][result]") {
  steps = 0;
  CHECK(two_steps(true, true).value() == 42);
  CHECK(steps == 2);
  steps = 0;
  auto r = two_steps(false, true);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::io_error);
  CHECK(steps == 1);
  steps = 0;
  CHECK(two_steps(true, false).error() == errc::io_error);
  CHECK(steps == 2);
}
