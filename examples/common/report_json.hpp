// A clean_report as JSON and as readable text, for the tools.
#ifndef CLOUDLOG_EXAMPLES_COMMON_REPORT_JSON_HPP
#define CLOUDLOG_EXAMPLES_COMMON_REPORT_JSON_HPP

#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloudlog/cleaner/report.hpp"
#include "cloudlog/policy/cost_model.hpp"

namespace tools {

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
  nlohmann::json j;
  j["status"] = std::string(cloudlog::to_string(r.status));
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

// The readable summary: the plan as a table, then the figures.
inline std::string to_text(const cloudlog::clean_report& r, bool dry_run, bool verbose) {
  std::string out;
  const auto& p = r.plan;
  auto name = [](cloudlog::segment_id id) { return cloudlog::segment_name(id).value_or("?"); };
  if (dry_run || verbose) {
    out += fmt::format("{:<24} {:>12} {:>12} {:>6} {:>6}  {}\n", "segment", "size", "live", "util",
                       "age", "action");
    for (const auto& t : p.table) {
      std::string action;
      for (const auto& v : p.victims)
        if (v.id == t.id) action = "clean";
      for (const auto& d : p.deletions)
        if (d.id == t.id) action = "delete";
      out += fmt::format("{:<24} {:>12} {:>12} {:>5.1f}% {:>6}  {}\n", name(t.id), t.size, t.live,
                         100 * t.utilization(), t.age, action);
    }
  }
  out += dry_run && r.status == cloudlog::clean_status::cleaned
             ? std::string("plan: clean\n")
             : fmt::format("{}{}\n", dry_run ? "plan: " : "", cloudlog::to_string(r.status));
  out += fmt::format("used {} B, wasted {} B of {} B\n", r.stats.bytes_used, r.stats.bytes_wasted,
                     r.stats.bytes_total);
  if (dry_run) {
    out += fmt::format(
        "would clean {} segment(s): read {} B, relocate {} B; would delete {} segment(s) "
        "freeing {} B now, and {} B once the proxy merges\n",
        p.victims.size(), p.bytes_to_read, p.bytes_to_relocate, p.deletions.size(),
        p.bytes_to_free_now, p.bytes_to_free_later);
  } else {
    out += fmt::format(
        "relocated {} item(s), rewrote {}, rejected {}; wrote {} segment(s), {} B; deleted {} "
        "segment(s), freed {} B; read {} B in {} request(s)\n",
        r.stats.items_relocated, r.stats.items_rewritten, r.stats.items_rejected,
        r.stats.segments_written, r.stats.bytes_written, r.stats.segments_deleted,
        r.stats.bytes_freed, r.stats.bytes_read, r.stats.requests.get.requests);
  }
  for (const auto& c : r.rejected) out += fmt::format("rejected: {}\n", c.to_string());
  return out;
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_REPORT_JSON_HPP
