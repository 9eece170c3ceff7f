// SPDX-License-Identifier: BSL-1.0
// Exit codes and one-line error messages shared by the example tools (docs/tools.md).
#ifndef CLOUDLOG_EXAMPLES_COMMON_EXIT_CODES_HPP
#define CLOUDLOG_EXAMPLES_COMMON_EXIT_CODES_HPP

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "cloudlog/error.hpp"
#include "cloudlog/log/segment.hpp"

namespace tools {

inline constexpr int exit_ok = 0;              // success (also: nothing to clean)
inline constexpr int exit_usage = 2;           // bad flags or arguments
inline constexpr int exit_unreachable = 3;     // the store cannot be opened or reached
inline constexpr int exit_corrupt = 4;         // corruption found (a bad item, a bad tag)
inline constexpr int exit_failed = 5;          // any other failure (I/O, missing object)
inline constexpr int exit_waiting = 6;         // the proxy has not merged earlier cleaner output
inline constexpr int exit_lease_held = 7;      // another cleaner holds the store's lease
inline constexpr int exit_index_mismatch = 8;  // the usage index disagreed with a full walk

// The one exit-code table: docs/tools.md's "Exit codes" table says the same
// (tests/tools/exit_codes.cpp compares them), and the tools' --help is made from it.
struct exit_code_entry {
  int code;
  const char* meaning;  // how docs/tools.md's row begins
};
inline constexpr exit_code_entry exit_code_table[] = {
    {exit_ok, "success"},
    {exit_usage, "bad usage"},
    {exit_unreachable, "the store is missing or unreachable"},
    {exit_corrupt, "corruption found"},
    {exit_failed, "any other failure"},
    {exit_waiting, "waiting for the proxy to merge the previous cleaner output"},
    {exit_lease_held, "another cleaner holds the store's lease"},
    {exit_index_mismatch, "the usage index disagreed with a full walk"},
};

// "Exit codes: 0 success, 2 bad usage, ... (docs/tools.md)." for a --help footer.
inline std::string exit_codes_help() {
  std::string out = "Exit codes:";
  for (const auto& e : exit_code_table)
    out += std::string(e.code == exit_ok ? " " : ", ") + std::to_string(e.code) + " " + e.meaning;
  return out + " (docs/tools.md).";
}

// The groups of errors a tool tells apart: each library condition (the codes in a
// group are listed once, in cloudlog::condition_of) with its exit code and the hint
// for codes that have none of their own. Anything else exits exit_failed.
struct error_group {
  cloudlog::condition condition;
  int exit_code;
  const char* hint;
};
inline constexpr error_group error_groups[] = {
    {cloudlog::condition::usage, exit_usage, "see --help"},
    {cloudlog::condition::unreachable, exit_unreachable, ""},
    {cloudlog::condition::corruption, exit_corrupt,
     "the store is damaged; bluesky_fs verify and dump locate the bad item"},
};

// The group EC belongs to, or nullptr.
inline const error_group* group_of(std::error_code ec) {
  for (const auto& g : error_groups)
    if (ec == g.condition) return &g;
  return nullptr;
}

// The exit code for an error.
inline int exit_code_for(std::error_code ec) {
  const auto* g = group_of(ec);
  return g ? g->exit_code : exit_failed;
}

// A tool's failure as a value: everything its one error line is made of. CODE
// decides the exit code and the hint; WHAT says what failed and where; DETAIL is
// the failing party's own explanation when it gave one (an S3 answer's Code,
// Message and what to do), shown in place of CODE's message and hint; STORE_KIND
// is the scheme of the store it happened on ("file", "s3", "simple"; "" when no
// store was involved), for hints that differ by kind.
struct error {
  std::error_code code;
  std::string what;
  std::string detail;
  std::string store_kind;
};

// The explanations a store gave of its failures (an S3 answer's Code, Message and
// what to do), kept with the store that gave them until an error value takes the
// latest. Thread-safe: a store's parallel reads may fail at once.
class failure_notes {
 public:
  void record(std::string text) {
    std::lock_guard lock(mutex_);
    text_ = std::move(text);
  }
  // The latest explanation ("" if none), forgotten once taken.
  std::string take() {
    std::lock_guard lock(mutex_);
    return std::exchange(text_, {});
  }

 private:
  std::mutex mutex_;
  std::string text_;
};

// What a tool knows about the store it opened, beyond the store itself: its kind
// (the URI's scheme: "file", "s3", "simple") and what it said about its failures.
// Copies share the notes.
struct store_context {
  std::string kind;
  std::shared_ptr<failure_notes> notes = std::make_shared<failure_notes>();

  // EC, a failure of WHAT on this store, as an error value: with the store's own
  // explanation of it (taken from the notes) and the store's kind.
  error error_of(std::error_code ec, std::string what) const {
    return error{ec, std::move(what), notes->take(), kind};
  }
};

// What a user can do about EC on a store of kind STORE_KIND, or "" when the
// message says it all: the code's own hint, else its group's.
inline std::string hint(std::error_code ec, std::string_view store_kind = {}) {
  using cloudlog::errc;
  if (ec.category() == cloudlog::error_category()) {
    switch (static_cast<errc>(ec.value())) {
      case errc::unreachable:
        if (store_kind == "simple")
          return "is simple_store_server running? check HOST:PORT in the URI";
        if (store_kind == "s3")
          return "is the server running? check the URI, --endpoint-url or AWS_ENDPOINT_URL";
        return "is the server running? check the URI";
      case errc::timeout:
        return store_kind == "s3" || store_kind == "simple"
                   ? "the server did not answer in time; check the network and try again"
                   : "";
      case errc::access_denied:
        return "the credentials lack access to this bucket or prefix";
      case errc::bad_credentials:
        return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in "
               "~/.aws/credentials (AWS_PROFILE)";
      case errc::no_such_bucket:
        return "create the bucket, or check the bucket name in the URI";
      case errc::tls_failure:
        return "the server's certificate did not verify; check the endpoint's https setup";
      case errc::bad_key:
        return "--key-file must name a readable, non-empty file; or set BLUESKY_KEY";
      case errc::bad_tag:
        return "wrong key, or a damaged segment: run bluesky_fs verify with the right key";
      case errc::no_checkpoint:
        return "no BlueSky checkpoint in this store: is the URI right, and has a proxy written "
               "to it?";
      case errc::damaged_log:
        return "nothing was written; bluesky_fs recover can go back to an older checkpoint, "
               "losing what was written after it";
      case errc::io_error:
        return "check that this user can read and write the store, and that its disk is not full";
      case errc::not_found:
        return "a segment is missing: if a cleaner ran meanwhile, run again; else bluesky_fs "
               "verify finds what links to it";
      default:
        break;
    }
  }
  const auto* g = group_of(ec);
  return g ? g->hint : "";
}

// The version of every JSON object the tools print (docs/tools.md, "JSON"):
// raised when a key changes meaning or goes away, not when one is added.
inline constexpr int json_schema_version = 1;

// Now, as RFC 3339 UTC with milliseconds ("2026-11-28T21:30:00.123Z"): every
// JSON object's "timestamp".
inline std::string utc_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto t = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[16];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(date) + millis;
}

// TEXT as a JSON string literal (quotes included; control bytes escaped).
inline std::string json_quote(const std::string& text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// Whether errors are printed as JSON objects (a tool's --json; set before parsing).
inline bool& json_errors() {
  static bool on = false;
  return on;
}

// Called before an error line is printed (a progress display erases its line);
// null: nothing.
inline void (*&before_error_line())() {
  static void (*hook)() = nullptr;
  return hook;
}

// Prints one error line to stderr and returns CODE: "error: TEXT", or with
// json_errors() one JSON object on one line, {"schema_version", "timestamp",
// "kind": "error", "status": "error", "exit_code", "error": TEXT}. Every tool error goes through
// here.
inline int emit_error(const std::string& text, int code) {
  if (auto hook = before_error_line()) hook();
  std::string line;
  if (json_errors())
    line = "{\"schema_version\":" + std::to_string(json_schema_version) +
           ",\"timestamp\":" + json_quote(utc_timestamp()) +
           ",\"kind\":\"error\",\"status\":\"error\",\"exit_code\":" + std::to_string(code) +
           ",\"error\":" + json_quote(text) + "}\n";
  else
    line = "error: " + text + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  return code;
}

// E's one line: "WHAT: DETAIL" when the failing party explained itself, else
// "WHAT: MESSAGE (HINT)". A WHAT that already ends with the code's message (the
// library's texts say why) is not followed by it a second time.
inline std::string message_of(const error& e) {
  const auto& what = e.what;
  if (!e.detail.empty()) return what + ": " + e.detail;
  const auto h = hint(e.code, e.store_kind);
  const auto message = e.code.message();
  // Case aside: std::errc's messages are capitalized, the library's texts are not.
  const bool said =
      what.size() >= message.size() &&
      std::equal(message.begin(), message.end(),
                 what.end() - static_cast<std::ptrdiff_t>(message.size()), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) ==
                          std::tolower(static_cast<unsigned char>(b));
                 });
  return what + (said ? "" : ": " + message) + (h.empty() ? "" : " (" + h + ")");
}

// Prints E's one line (message_of) to stderr; returns the exit code for its code.
inline int report(const error& e) {
  return emit_error(message_of(e), exit_code_for(e.code));
}

// Reports EC from no store in particular (a key, a cache, the command line).
inline int report(std::error_code ec, const std::string& what) {
  return report(error{ec, what, {}, {}});
}

// Reports E, a failure to open the store named URI: a missing directory is "no
// such store" (exit 3, like an unreachable one); a malformed URI is bad usage.
inline int report_open(const error& e, const std::string& uri) {
  const auto ec = e.code;
  if (ec == cloudlog::errc::not_found)
    return emit_error("cannot open store " + uri +
                          ": no such directory (check the path; bluesky_fs workload creates a "
                          "store)",
                      exit_unreachable);
  if (!e.detail.empty())
    return emit_error("cannot open store " + uri + ": " + e.detail, exit_code_for(ec));
  if (ec == cloudlog::errc::invalid_argument)
    return emit_error("cannot open store " + uri +
                          ": not a store URI (use file:DIR, s3://BUCKET/PREFIX or "
                          "simple://HOST:PORT)",
                      exit_usage);
  return report(error{ec, "cannot open store " + uri, {}, e.store_kind});
}

// Prints a corruption report on one line to stderr; returns exit_corrupt.
inline int report_corruption(const cloudlog::corruption& c) {
  return emit_error("corrupt segment: " + c.to_string(), exit_corrupt);
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_EXIT_CODES_HPP
