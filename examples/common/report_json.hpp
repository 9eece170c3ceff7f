// SPDX-License-Identifier: BSL-1.0
// A clean_report as JSON and as readable text, for the tools.
#ifndef CLOUDLOG_EXAMPLES_COMMON_REPORT_JSON_HPP
#define CLOUDLOG_EXAMPLES_COMMON_REPORT_JSON_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloudlog/cleaner/report.hpp"
#include "cloudlog/policy/cost_model.hpp"
#include "common/exit_codes.hpp"

namespace tools {

// What a run did, in the one vocabulary of the text and the JSON (docs/tools.md,
// "Statuses"): a dry run is "planned" (it found work) or "nothing_to_do", never
// "cleaned"; a pass that only deleted dead segments is "deleted_only"; a pass
// stopped between batches (a signal, --deadline, --yield) is "interrupted".
inline std::string status_of(const cloudlog::clean_report& r, bool dry_run) {
  if (r.status == cloudlog::clean_status::waiting_for_writer) return "waiting_for_writer";
  if (r.interrupted) return "interrupted";
  if (dry_run)
    return r.plan.victims.empty() && r.plan.deletions.empty() ? "nothing_to_do" : "planned";
  if (r.status == cloudlog::clean_status::cleaned) return "cleaned";
  return r.stats.segments_deleted > 0 ? "deleted_only" : "nothing_to_do";
}

// A JSON object with what every object the tools print carries first: the
// schema version, the timestamp, and KIND ("pass", "daemon_end", "error", ...).
inline nlohmann::json json_object(const std::string& kind) {
  return {{"schema_version", json_schema_version}, {"timestamp", utc_timestamp()}, {"kind", kind}};
}

inline nlohmann::json segment_json(const cloudlog::segment_usage& s) {
  return {{"directory", s.id.directory},
          {"sequence", s.id.sequence},
          {"size", s.size},
          {"live", s.live},
          {"utilization", s.utilization()},
          {"age", s.age}};
}

// Every figure of R as one JSON object (docs/tools.md, "bluesky_cleaner --json").
inline nlohmann::json to_json(const cloudlog::clean_report& r, bool dry_run) {
  const auto& s = r.stats;
  const auto& p = r.plan;
  nlohmann::json j = json_object("pass");
  j["status"] = status_of(r, dry_run);
  j["dry_run"] = dry_run;
  j["interrupted"] = r.interrupted;
  j["bytes_total"] = s.bytes_total;
  j["bytes_used"] = s.bytes_used;
  j["bytes_wasted"] = s.bytes_wasted;
  j["bytes_freed"] = s.bytes_freed;
  j["bytes_read"] = s.bytes_read;
  j["bytes_written"] = s.bytes_written;
  j["requests"] = {{"list", s.requests.list.requests},
                   {"get", s.requests.get.requests},
                   {"put", s.requests.put.requests},
                   {"delete", s.requests.remove.requests}};
  j["bytes_walked"] = s.bytes_walked;
  j["bytes_minimum"] = s.bytes_minimum;
  j["metadata_bytes_read"] = s.metadata_bytes_read;
  const auto& x = r.index;
  j["usage_index"] = {{"enabled", x.enabled},
                      {"full_walk", x.full_walk},
                      {"checked", x.checked},
                      {"mismatch", x.mismatch},
                      {"generation_read", x.generation_read},
                      {"generation_written", x.generation_written},
                      {"items_reused", x.items_reused},
                      {"items_read", x.items_read},
                      {"bytes_read", x.bytes_read},
                      {"bytes_written", x.bytes_written},
                      {"local_copy", x.local_copy},
                      {"local_bytes_read", x.local_bytes_read},
                      {"note", x.note}};
  j["needed_runs"] = s.needed_runs;
  j["items_live"] = s.items_live;
  j["items_relocated"] = s.items_relocated;
  j["items_rewritten"] = s.items_rewritten;
  j["items_rejected"] = s.items_rejected;
  j["segments_written"] = s.segments_written;
  j["segments_deleted"] = s.segments_deleted;
  j["seconds"] = {{"load", s.seconds_load},
                  {"walk", s.seconds_walk},
                  {"relocate", s.seconds_relocate},
                  {"commit", s.seconds_commit},
                  {"delete", s.seconds_delete}};
  auto& plan = j["plan"];
  plan["victims"] = nlohmann::json::array();
  for (const auto& v : p.victims) plan["victims"].push_back(segment_json(v));
  plan["deletions"] = nlohmann::json::array();
  for (const auto& d : p.deletions) plan["deletions"].push_back(d.name);
  plan["quarantined"] = nlohmann::json::array();
  for (const auto& q : p.quarantined)
    plan["quarantined"].push_back(cloudlog::segment_name(q).value_or("?"));
  plan["bytes_to_read"] = p.bytes_to_read;
  plan["bytes_to_relocate"] = p.bytes_to_relocate;
  plan["bytes_to_free_now"] = p.bytes_to_free_now;
  plan["bytes_to_free_later"] = p.bytes_to_free_later;
  j["segments"] = nlohmann::json::array();
  for (const auto& t : p.table) j["segments"].push_back(segment_json(t));
  j["written"] = nlohmann::json::array();
  for (const auto& w : r.written) j["written"].push_back(w.name);
  j["rejected"] = nlohmann::json::array();
  for (const auto& c : r.rejected) j["rejected"].push_back(c.to_string());
  return j;
}

// What run R used, for the cost model: its requests as the engine counted them
// (the lease's are not), the bytes it read, and the storage it frees (a dry run:
// would free) net of what it writes.
inline cloudlog::pass_usage usage_of(const cloudlog::clean_report& r, bool dry_run) {
  const auto& s = r.stats;
  const auto& p = r.plan;
  cloudlog::pass_usage u;
  u.put_list_requests = s.requests.put.requests + s.requests.list.requests;
  u.get_requests = s.requests.get.requests;
  u.delete_requests = s.requests.remove.requests;
  u.bytes_read = s.bytes_read;
  auto i = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  if (dry_run)
    u.bytes_saved = i(p.bytes_to_free_now) + i(p.bytes_to_free_later) - i(p.bytes_to_relocate);
  else
    u.bytes_saved = i(s.bytes_freed) +
                    (r.status == cloudlog::clean_status::cleaned ? i(p.bytes_to_free_later) : 0) -
                    i(s.bytes_written);
  return u;
}

// The "cost" object of --json (docs/tools.md): dollars from PRICES.
inline nlohmann::json cost_json(const cloudlog::clean_report& r, bool dry_run,
                                const cloudlog::price_table& prices) {
  const auto c = cloudlog::price(usage_of(r, dry_run), prices);
  nlohmann::json j{{"requests_usd", c.requests_usd},
                   {"transfer_usd", c.transfer_usd},
                   {"storage_saved_usd_per_month", c.storage_saved_usd_per_month},
                   {"storage_class", prices.storage_class}};
  j["payback_days"] = std::isfinite(c.payback_days) ? nlohmann::json(c.payback_days) : nullptr;
  return j;
}

// The one-line estimate: what the run cost, what it saves, when it pays back.
inline std::string cost_line(const cloudlog::clean_report& r, bool dry_run,
                             const cloudlog::price_table& prices) {
  const auto c = cloudlog::price(usage_of(r, dry_run), prices);
  std::string payback = std::isfinite(c.payback_days)
                            ? fmt::format("pays back in {:.2g} day(s)", c.payback_days)
                            : std::string("saves no storage");
  return fmt::format(
      "cost{}: ${:.6f} in requests, ${:.6f} transfer; {} ${:.6f}/month of {} storage; {}\n",
      dry_run ? " of this plan's reads" : "", c.requests_usd, c.transfer_usd,
      dry_run ? "would save" : "saves", c.storage_saved_usd_per_month, prices.storage_class,
      payback);
}

// "12.3 MiB" (1024-based; whole bytes below 1 KiB).
inline std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  return u ? fmt::format("{:.1f} {}", b, units[u]) : fmt::format("{:.0f} {}", b, units[u]);
}

// A store's shape in one line: "41.2 MiB stored in 45 segments, 20.1 MiB live,
// 51.2% unused".
inline std::string shape_line(std::uint64_t stored, std::uint64_t segments, std::uint64_t live) {
  const double unused = stored ? 100.0 * static_cast<double>(stored - std::min(live, stored)) /
                                     static_cast<double>(stored)
                               : 0.0;
  return fmt::format("{} stored in {} segment(s), {} live, {:.1f}% unused",
                     human_bytes(static_cast<double>(stored)), segments,
                     human_bytes(static_cast<double>(live)), unused);
}

// The store before and after R, the latter once the writer has merged what R
// wrote (victims are freed only then): {stored, segments}. A dry run's "after"
// counts the bytes to relocate as written, in segments of SEGMENT_TARGET bytes.
struct store_shape {
  std::uint64_t stored = 0, segments = 0, live = 0;
};
inline std::pair<store_shape, store_shape> before_after(const cloudlog::clean_report& r,
                                                        bool dry_run,
                                                        std::uint64_t segment_target) {
  const auto& p = r.plan;
  const auto& s = r.stats;
  store_shape before{s.bytes_total, p.table.size(), s.bytes_used};
  store_shape after = before;
  // An interrupted pass emptied only some victims: none is counted as freed.
  const bool victims_go =
      dry_run ? !p.victims.empty() : r.status == cloudlog::clean_status::cleaned && !r.interrupted;
  auto minus = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
  if (dry_run) {
    after.stored = minus(before.stored, p.bytes_to_free_now);
    after.segments = minus(before.segments, p.deletions.size());
    if (victims_go) {
      after.stored = minus(after.stored, p.bytes_to_free_later) + p.bytes_to_relocate;
      after.segments = minus(after.segments, p.victims.size()) +
                       (p.bytes_to_relocate + segment_target - 1) / segment_target;
    }
  } else {
    after.stored = minus(before.stored, s.bytes_freed) + s.bytes_written;
    after.segments = minus(before.segments, s.segments_deleted) + s.segments_written;
    if (victims_go) {
      after.stored = minus(after.stored, p.bytes_to_free_later);
      after.segments = minus(after.segments, p.victims.size());
    }
  }
  return {before, after};
}

// The plan as a table, one row per segment with its action ("clean", "delete").
inline std::string plan_table(const cloudlog::clean_plan& p) {
  auto name = [](cloudlog::segment_id id) { return cloudlog::segment_name(id).value_or("?"); };
  std::string out = fmt::format("{:<24} {:>12} {:>12} {:>6} {:>6}  {}\n", "segment", "size", "live",
                                "util", "age", "action");
  for (const auto& t : p.table) {
    std::string action;
    for (const auto& v : p.victims)
      if (v.id == t.id) action = "clean";
    for (const auto& d : p.deletions)
      if (d.id == t.id) action = "delete";
    out += fmt::format("{:<24} {:>12} {:>12} {:>5.1f}% {:>6}  {}\n", name(t.id), t.size, t.live,
                       100 * t.utilization(), t.age, action);
  }
  return out;
}

// The readable report, summary first in human units: the status; the store
// before and after (once the writer merges); what moves; what is freed now and
// after the merge. The full table (and the exact counts) only when VERBOSE.
inline std::string to_text(const cloudlog::clean_report& r, bool dry_run, bool verbose,
                           std::uint64_t segment_target = 4u << 20) {
  const auto& p = r.plan;
  const auto& s = r.stats;
  auto h = [](std::uint64_t b) { return human_bytes(static_cast<double>(b)); };
  const auto [before, after] = before_after(r, dry_run, segment_target);
  std::string out =
      "status: " + status_of(r, dry_run) + (dry_run ? " (dry run: nothing changed)" : "") + "\n";
  out += "before: " + shape_line(before.stored, before.segments, before.live) + "\n";
  out += "after:  " + std::string(dry_run ? "about " : "") +
         shape_line(after.stored, after.segments, after.live) + ", once the proxy merges\n";
  if (dry_run) {
    out += fmt::format("moves:  {} of live data out of {} segment(s) (reads {})\n",
                       h(p.bytes_to_relocate), p.victims.size(), h(p.bytes_to_read));
    out += fmt::format(
        "frees:  {} now ({} dead segment(s)), {} more once the proxy merges ({} "
        "segment(s))\n",
        h(p.bytes_to_free_now), p.deletions.size(),
        h(p.victims.empty() ? 0 : p.bytes_to_free_later), p.victims.size());
  } else {
    const bool cleaned = r.status == cloudlog::clean_status::cleaned && !r.interrupted;
    const bool wrote = r.status == cloudlog::clean_status::cleaned;
    out += fmt::format(
        "moved:  {} item(s) out of {}{} segment(s) into {} new segment(s), {} "
        "written (read {} in {} request(s))\n",
        s.items_relocated, r.interrupted ? "up to " : "", wrote ? p.victims.size() : 0,
        s.segments_written, h(s.bytes_written), h(s.bytes_read), s.requests.get.requests);
    out += fmt::format(
        "freed:  {} now ({} segment(s) deleted), {} more once the proxy merges ({} "
        "segment(s))\n",
        h(s.bytes_freed), s.segments_deleted, h(cleaned ? p.bytes_to_free_later : 0),
        cleaned ? p.victims.size() : 0);
    if (r.interrupted)
      out += "        (interrupted: the victims not emptied keep their live items; run again)\n";
  }
  if (verbose) {
    out += plan_table(p);
    out += fmt::format("exact: used {} B, wasted {} B of {} B", s.bytes_used, s.bytes_wasted,
                       s.bytes_total);
    if (dry_run)
      out += fmt::format(
          "; would read {} B, relocate {} B, free {} B now and {} B after the "
          "merge\n",
          p.bytes_to_read, p.bytes_to_relocate, p.bytes_to_free_now, p.bytes_to_free_later);
    else
      out += fmt::format(
          "; relocated {} item(s), rewrote {}, rejected {}; wrote {} B, freed {} "
          "B, read {} B\n",
          s.items_relocated, s.items_rewritten, s.items_rejected, s.bytes_written, s.bytes_freed,
          s.bytes_read);
  }
  for (const auto& c : r.rejected) out += fmt::format("rejected: {}\n", c.to_string());
  return out;
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_REPORT_JSON_HPP
