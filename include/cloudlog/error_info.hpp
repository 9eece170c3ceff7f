// SPDX-License-Identifier: BSL-1.0
// error_info: an error code with its context, the text saying what failed and
// where; result_with_info<T>: a value or an error_info (the entry points whose
// failures need more than a code).
#ifndef CLOUDLOG_ERROR_INFO_HPP
#define CLOUDLOG_ERROR_INFO_HPP

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <tl/expected.hpp>

#include "cloudlog/result.hpp"

namespace cloudlog {

// An error with its context: CODE decides what a caller does (compare it, map its
// condition); WHAT says what failed and where, in one line, for a person (may be
// empty when the code says all). Compares equal to its code. A bare code converts
// to one (no text), so a function returning result_with_info<T> passes a
// result<U>'s failure on as it is.
struct error_info {
  std::error_code code;
  std::string what;

  error_info() = default;
  error_info(std::error_code c, std::string w = {}) noexcept : code(c), what(std::move(w)) {}

  // WHAT, or the code's own message when there is no text.
  std::string text() const { return what.empty() ? code.message() : what; }

  friend bool operator==(const error_info& e, const std::error_code& c) noexcept {
    return e.code == c;
  }
  template <class E>
  requires std::is_error_code_enum_v<E> || std::is_error_condition_enum_v<E>
  friend bool operator==(const error_info& e, E v) noexcept { return e.code == v; }
};

// The return type of the functions whose failures carry their context (the
// BlueSky models' operations, the HTTP transport's exchanges).
template <class T>
using result_with_info = tl::expected<T, error_info>;

// Wraps CODE with WHAT for returning from a function whose type is result_with_info<T>.
inline tl::unexpected<error_info> fail_with(std::error_code code, std::string what = {}) {
  return tl::unexpected(error_info{code, std::move(what)});
}

// Same, from an error_info.
inline tl::unexpected<error_info> fail(error_info e) {
  return tl::unexpected(std::move(e));
}

// E, for returning, with what the caller was doing put before its text:
// "DOING: TEXT" (TEXT: E's text, or its code's message when it has none). The
// code stays E's.
inline tl::unexpected<error_info> fail_while(error_info e, const std::string& doing) {
  e.what = doing + ": " + e.text();
  return tl::unexpected(std::move(e));
}

}  // namespace cloudlog

#endif  // CLOUDLOG_ERROR_INFO_HPP
