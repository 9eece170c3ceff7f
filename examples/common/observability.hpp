// SPDX-License-Identifier: BSL-1.0
// What the cleaner leaves for operators (docs/tools.md, "Observability"): a
// Prometheus text-format metrics file (for node_exporter's textfile collector),
// written atomically; and the pass history, the last passes as JSON lines in one
// object of the cleaner's namespace of the store (log-99999999-00000001, beside
// the lease, in a log directory no format lists).
#ifndef CLOUDLOG_EXAMPLES_COMMON_OBSERVABILITY_HPP
#define CLOUDLOG_EXAMPLES_COMMON_OBSERVABILITY_HPP

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/cleaner/lease.hpp"
#include "cloudlog/cleaner/report.hpp"
#include "cloudlog/segment_name.hpp"
#include "common/report_json.hpp"

namespace tools {

// ---- metrics ----

// The figures of one metrics file: the last pass (if any) and the process's totals.
struct metrics_state {
  std::string store;
  std::string tool = "bluesky_cleaner";
  bool have_pass = false;
  cloudlog::clean_report last;
  std::string last_status;            // status_of(last)
  double last_end_unix = 0;           // seconds since the epoch
  double last_duration = 0;           // seconds
  std::uint64_t passes = 0;           // real passes by this process
  std::uint64_t checks = 0;           // daemon checks by this process
  std::uint64_t bytes_freed = 0;      // by this process
  std::uint64_t items_relocated = 0;  // by this process
  int exit_code = -1;                 // the run's, once it ended (-1: running)
};

// TEXT as a Prometheus label value (backslash, quote and newline escaped).
inline std::string prom_label(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// The Prometheus text exposition (version 0.0.4) of S.
inline std::string metrics_text(const metrics_state& s) {
  std::string out;
  const std::string labels = "store=\"" + prom_label(s.store) + "\"";
  auto metric = [&](const char* name, const char* type, const char* help, double value,
                    const std::string& extra = {}) {
    out += fmt::format("# HELP bluesky_cleaner_{} {}\n# TYPE bluesky_cleaner_{} {}\n", name, help,
                       name, type);
    out += fmt::format("bluesky_cleaner_{}{{{}{}}} {}\n", name, labels, extra, value);
  };
  metric("passes_total", "counter", "Real cleaning passes run by this process.",
         static_cast<double>(s.passes));
  metric("checks_total", "counter", "Daemon checks (dry runs) made by this process.",
         static_cast<double>(s.checks));
  metric("freed_bytes_total", "counter", "Bytes of segments deleted by this process.",
         static_cast<double>(s.bytes_freed));
  metric("relocated_items_total", "counter", "Items relocated by this process.",
         static_cast<double>(s.items_relocated));
  if (s.exit_code >= 0)
    metric("exit_code", "gauge", "The run's exit code (docs/tools.md), once it ended.",
           s.exit_code);
  if (!s.have_pass) return out;
  const auto& r = s.last;
  const auto& st = r.stats;
  metric("last_pass_timestamp_seconds", "gauge", "When the last pass ended (Unix time).",
         s.last_end_unix);
  metric("last_pass_duration_seconds", "gauge", "How long the last pass took.", s.last_duration);
  out +=
      "# HELP bluesky_cleaner_last_pass_status The last pass's status (1 for it, 0 else).\n"
      "# TYPE bluesky_cleaner_last_pass_status gauge\n";
  for (const char* st_name :
       {"planned", "cleaned", "deleted_only", "nothing_to_do", "waiting_for_writer", "interrupted"})
    out += fmt::format("bluesky_cleaner_last_pass_status{{{},status=\"{}\"}} {}\n", labels, st_name,
                       s.last_status == st_name ? 1 : 0);
  metric("stored_bytes", "gauge", "Bytes stored in the store's segments, at the last pass.",
         static_cast<double>(st.bytes_total));
  metric("live_bytes", "gauge", "Live bytes in the store, at the last pass.",
         static_cast<double>(st.bytes_used));
  metric("segments", "gauge", "Segments in the store, at the last pass.",
         static_cast<double>(r.plan.table.size()));
  metric("unused_ratio", "gauge", "Unused share of the stored bytes, at the last pass.",
         st.bytes_total ? static_cast<double>(st.bytes_wasted) / static_cast<double>(st.bytes_total)
                        : 0.0);
  metric("last_pass_read_bytes", "gauge", "Bytes the last pass read.",
         static_cast<double>(st.bytes_read));
  metric("last_pass_written_bytes", "gauge", "Bytes the last pass wrote.",
         static_cast<double>(st.bytes_written));
  metric("last_pass_freed_bytes", "gauge", "Bytes the last pass deleted.",
         static_cast<double>(st.bytes_freed));
  metric("last_pass_relocated_items", "gauge", "Items the last pass relocated.",
         static_cast<double>(st.items_relocated));
  metric("last_pass_rejected_items", "gauge", "Items the last pass refused to copy.",
         static_cast<double>(st.items_rejected));
  metric("last_pass_deleted_segments", "gauge", "Segments the last pass deleted.",
         static_cast<double>(st.segments_deleted));
  metric("last_pass_written_segments", "gauge", "Segments the last pass wrote.",
         static_cast<double>(st.segments_written));
  metric("pending_free_bytes", "gauge",
         "Victim bytes of the last pass freed once the proxy merges its output.",
         static_cast<double>((r.status == cloudlog::clean_status::cleaned && !r.interrupted)
                                 ? r.plan.bytes_to_free_later
                                 : 0));
  return out;
}

// Writes TEXT to PATH atomically: a temporary file beside it, flushed and synced,
// then renamed over PATH (a collector never reads half a file).
// Fails: the file system's errors.
inline std::error_code write_atomically(const std::filesystem::path& path,
                                        const std::string& text) {
  const auto tmp =
      path.parent_path() / ("." + path.filename().string() + "." + std::to_string(::getpid()));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return {errno, std::generic_category()};
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() &&
                  std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int err = errno;
  std::fclose(f);
  std::error_code ignored;
  if (!ok) {
    std::filesystem::remove(tmp, ignored);
    return {err, std::generic_category()};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ignored);
  return ec;
}

// ---- pass history ----

// Where the history lives: the cleaner's namespace, next to the lease.
inline constexpr cloudlog::segment_id history_segment{cloudlog::max_segment_number, 1};
inline std::string history_name() {
  return cloudlog::segment_name(history_segment).value();
}

// One pass, as a history line: the JSON of status, time and the main figures.
inline nlohmann::json history_entry(const cloudlog::clean_report& r, double seconds,
                                    const std::string& holder) {
  auto j = json_object("history_entry");
  j["status"] = status_of(r, false);
  j["seconds"] = seconds;
  j["holder"] = holder;
  j["bytes_total"] = r.stats.bytes_total;
  j["bytes_used"] = r.stats.bytes_used;
  j["segments"] = r.plan.table.size();
  j["victims"] = r.plan.victims.size();
  j["items_relocated"] = r.stats.items_relocated;
  j["items_rejected"] = r.stats.items_rejected;
  j["bytes_read"] = r.stats.bytes_read;
  j["bytes_written"] = r.stats.bytes_written;
  j["bytes_freed"] = r.stats.bytes_freed;
  j["segments_written"] = r.stats.segments_written;
  j["segments_deleted"] = r.stats.segments_deleted;
  j["pending_free_bytes"] = (r.status == cloudlog::clean_status::cleaned && !r.interrupted)
                                ? r.plan.bytes_to_free_later
                                : 0;
  return j;
}

// The history in STORE, oldest first; empty when there is none. Lines that do not
// parse are skipped (a history is advice, never a reason to fail a pass).
// Fails: the store's errors other than not_found.
template <class Store>
cloudlog::result<std::vector<nlohmann::json>> read_history(Store& store) {
  std::vector<nlohmann::json> out;
  auto data = store.read(history_name(), 0, cloudlog::whole_object);
  if (!data) {
    if (data.error() == cloudlog::errc::not_found) return out;
    return cloudlog::fail(data.error());
  }
  const std::string text(cloudlog::as_chars(*data));
  std::size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    auto j = nlohmann::json::parse(text.substr(at, nl - at), nullptr, false);
    if (!j.is_discarded() && j.is_object()) out.push_back(std::move(j));
    at = nl + 1;
  }
  return out;
}

// Appends ENTRY to STORE's history, keeping the newest KEEP entries (KEEP 0: no
// history is kept and nothing is written). Called under the lease.
// Fails: the store's errors.
template <class Store>
cloudlog::result<void> append_history(Store& store, const nlohmann::json& entry, std::size_t keep) {
  if (keep == 0) return {};
  auto old = read_history(store);
  if (!old) return cloudlog::fail(old.error());
  old->push_back(entry);
  const std::size_t from = old->size() > keep ? old->size() - keep : 0;
  std::string text;
  for (std::size_t i = from; i < old->size(); ++i) text += (*old)[i].dump() + "\n";
  const auto b = cloudlog::as_bytes(text);
  return store.write(history_name(), cloudlog::byte_view(b.data(), b.size()));
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_OBSERVABILITY_HPP
