// SPDX-License-Identifier: BSL-1.0
// result<T>: a value or the std::error_code saying why there is none.
#ifndef CLOUDLOG_RESULT_HPP
#define CLOUDLOG_RESULT_HPP

#include <system_error>

#include <tl/expected.hpp>

#include "cloudlog/error.hpp"

namespace cloudlog {

// The return type of every fallible cloudlog function. Only the members that
// C++23 std::expected also has are used, so switching is this one alias.
template <class T>
using result = tl::expected<T, std::error_code>;

// Wraps an error for returning from a function whose type is result<T>.
inline tl::unexpected<std::error_code> fail(std::error_code ec) {
  return tl::unexpected(ec);
}

// Same, from a cloudlog::errc.
inline tl::unexpected<std::error_code> fail(errc e) {
  return tl::unexpected(make_error_code(e));
}

// Same, from a std::errc (the file-system models' failures).
inline tl::unexpected<std::error_code> fail(std::errc e) {
  return tl::unexpected(std::make_error_code(e));
}

}  // namespace cloudlog

// Evaluates EXPR (a result<T>); returns its error from the enclosing function
// if it holds one. Usable only in functions returning some result<U>.
#define CLOUDLOG_TRY_VOID(expr)                          \
  do {                                                   \
    if (auto cloudlog_try_r_ = (expr); !cloudlog_try_r_) \
      return ::cloudlog::fail(cloudlog_try_r_.error());  \
  } while (0)

#endif  // CLOUDLOG_RESULT_HPP
