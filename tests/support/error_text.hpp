// SPDX-License-Identifier: BSL-1.0
// Test support: the text a failed result_with_info carries, for INFO beside a REQUIRE.
#ifndef CLOUDLOG_TESTS_SUPPORT_ERROR_TEXT_HPP
#define CLOUDLOG_TESTS_SUPPORT_ERROR_TEXT_HPP

#include <string>

#include "cloudlog/error_info.hpp"

namespace cloudlog::test {

// R's error text (error_info::text: what failed and where), or "" when R holds a value.
template <class R>
std::string error_text(const R& r) {
  return r ? std::string() : r.error().text();
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_SUPPORT_ERROR_TEXT_HPP
