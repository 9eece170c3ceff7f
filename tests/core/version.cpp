// SPDX-License-Identifier: BSL-1.0
// The version: the string, the three macros and the comparable number agree.
#include <catch2/catch.hpp>

#include <string>

#include "cloudlog/version.hpp"

TEST_CASE("The version string, macros and number agree", "[core][version]") {
  const std::string expected = std::to_string(CLOUDLOG_VERSION_MAJOR) + "." +
                               std::to_string(CLOUDLOG_VERSION_MINOR) + "." +
                               std::to_string(CLOUDLOG_VERSION_PATCH);
  CHECK(std::string(cloudlog::version_string) == expected);
  STATIC_REQUIRE(CLOUDLOG_VERSION == CLOUDLOG_VERSION_MAJOR * 10000 + CLOUDLOG_VERSION_MINOR * 100 +
                                         CLOUDLOG_VERSION_PATCH);
#if CLOUDLOG_VERSION != \
    CLOUDLOG_VERSION_MAJOR * 10000 + CLOUDLOG_VERSION_MINOR * 100 + CLOUDLOG_VERSION_PATCH
  FAIL("CLOUDLOG_VERSION is not usable in #if");
#endif
}
