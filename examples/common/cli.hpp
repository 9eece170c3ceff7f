// SPDX-License-Identifier: BSL-1.0
// Flag parsing shared by the example tools: CLI11 errors as one `error:` line, and
// checks CLI11 lacks (docs/tools.md, "Errors a user meets").
#ifndef CLOUDLOG_EXAMPLES_COMMON_CLI_HPP
#define CLOUDLOG_EXAMPLES_COMMON_CLI_HPP

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cloudlog/version.hpp"
#include "common/exit_codes.hpp"
#include "common/units.hpp"

namespace tools {

// Adds --version to APP: "TOOL (cloudlog) 0.1.0" on stdout, exit 0 (help2man
// reads it for the man pages).
inline void add_version(CLI::App& app, const std::string& tool) {
  app.set_version_flag("--version", tool + " (cloudlog) " + cloudlog::version_string,
                       "Print the version and exit");
}

// The edit distance between A and B (insertions, deletions, substitutions).
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The long flag (or subcommand) of APP nearest to WORD, when it is near enough
// to be a slip of the fingers (at most a third of its letters differ); "" else.
inline std::string nearest_name(const CLI::App& app, std::string word) {
  word = word.substr(0, word.find('='));
  std::vector<std::string> names;
  for (const auto* o : app.get_options())
    for (const auto& l : o->get_lnames()) names.push_back("--" + l);
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  std::string best;
  std::size_t best_d = word.size() / 3 + 1;
  for (const auto& n : names)
    if (const auto d = edit_distance(word, n); d < best_d) {
      best_d = d;
      best = n;
    }
  return best;
}

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
  std::string suggestion;
  // An unknown flag or argument: name the nearest one the tool has.
  std::vector<std::string> extras = app.remaining();
  for (auto* sub : app.get_subcommands())
    for (const auto& r : sub->remaining()) extras.push_back(r);
  for (const auto& x : extras) {
    const CLI::App* where = &app;
    for (auto* sub : app.get_subcommands()) where = sub;
    auto n = nearest_name(*where, x);
    if (n.empty() && where != &app) n = nearest_name(app, x);
    if (!n.empty()) {
      suggestion = "did you mean " + n + "? ";
      break;
    }
  }
  return emit_error(what + " (" + suggestion + "see --help)", exit_usage);
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

// A check that a number lies from LO to HI (both included), said with the
// numbers as a user writes them ("must be from 1 to 64, not 0").
inline CLI::Validator in_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        double v = 0;
        char buf[96];
        if (!CLI::detail::lexical_cast(s, v)) return "not a number: " + s;
        if (v >= lo && v <= hi) return {};
        std::snprintf(buf, sizeof buf, "must be from %g to %g, not ", lo, hi);
        return buf + s;
      },
      "RANGE");
}

// A transform for a byte count (common/units.hpp: 4096, 64K, 512m, 1.5G, 2T;
// 1024-based) into its number of bytes; anything else, a negative count included,
// is refused with what a byte count looks like.
inline CLI::Validator byte_size() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const auto v = parse_bytes(s);
        if (!v)
          return "not a byte count: " + s +
                 " (a number with an optional suffix k, m, g or t, 1024-based: 4096, 512m, 1.5G)";
        s = std::to_string(*v);
        return {};
      },
      "SIZE");
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_CLI_HPP
