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
  for (int v = 1; v <= static_cast<int>(errc::invalid_argument); ++v)
    CHECK(make_error_code(static_cast<errc>(v)).message() != "unknown cloudlog error");
}

TEST_CASE("result<T> carries a value or an error, and CLOUDLOG_TRY_VOID propagates",
          "[core][error]") {
  CHECK(half(4).value() == 2);
  CHECK(half(3).error() == errc::invalid_argument);
  CHECK(chain(4).has_value());
  CHECK(chain(5).error() == errc::invalid_argument);
}
