// Flag parsing shared by the example tools: CLI11 errors as one `error:` line, and
// checks CLI11 lacks (docs/tools.md, "Errors a user meets").
#ifndef CLOUDLOG_EXAMPLES_COMMON_CLI_HPP
#define CLOUDLOG_EXAMPLES_COMMON_CLI_HPP

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "common/exit_codes.hpp"

namespace tools {

// Handles a CLI11 parse error E of APP: --help prints as CLI11 prints it (exit 0);
// any other error is one line on stderr, "error: WHAT (did you mean --X? see
// --help)" (a JSON object with tools::json_errors()), and the result is
// exit_usage. CLI11's own form is two lines and its own exit codes.
inline int report_parse_error(CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) return app.exit(e);
  std::string what = e.what();
  for (auto& c : what)
    if (c == '\n' || c == '\r') c = ' ';
  while (!what.empty() && what.back() == ' ') what.pop_back();
  return emit_error(what + " (see --help)", exit_usage);
}

// A check for an option parsed into an unsigned integer: refuses a negative
// value, which CLI11 (through strtoull) would otherwise wrap to 2^64 - 1.
inline const CLI::Validator non_negative(
    [](std::string& s) -> std::string {
      const auto first = s.find_first_not_of(" \t");
      if (first != std::string::npos && s[first] == '-') return "must not be negative: " + s;
      return {};
    },
    "NON-NEGATIVE");

// A transform for a byte count with an optional suffix (K, M, G: 1024-based), as
// CLI::AsSizeValue(false), which would wrap a negative value to near 2^64.
inline CLI::Validator byte_size() {
  const CLI::AsSizeValue size(false);
  return CLI::Validator(
      [size](std::string& s) -> std::string {
        if (auto e = non_negative(s); !e.empty()) return e;
        return size(s);
      },
      "SIZE");
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_CLI_HPP
