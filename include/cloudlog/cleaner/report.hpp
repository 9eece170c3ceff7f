// SPDX-License-Identifier: BSL-1.0
// What a cleaning run planned, did and measured.
#ifndef CLOUDLOG_CLEANER_REPORT_HPP
#define CLOUDLOG_CLEANER_REPORT_HPP

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "cloudlog/log/segment.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"

namespace cloudlog {

// How a run ended.
enum class clean_status {
  cleaned,             // a new generation was written (and dead segments deleted)
  nothing_to_do,       // no victim; dead segments (if any) were deleted
  waiting_for_writer,  // the writer has not adopted the previous output; only deletions ran
};

inline std::string_view to_string(clean_status s) noexcept {
  switch (s) {
    case clean_status::cleaned:
      return "cleaned";
    case clean_status::nothing_to_do:
      return "nothing to do";
    case clean_status::waiting_for_writer:
      return "waiting for the writer";
  }
  return "?";
}

// The plan: what a run cleans and deletes (a dry run stops here).
struct clean_plan {
  std::vector<segment_usage> table;       // every accounted segment
  std::vector<segment_usage> victims;     // chosen by the policy, in order
  std::vector<segment_info> deletions;    // dead segments deleted by this run
  std::vector<segment_id> quarantined;    // never victims: they hold a quarantined live item
  std::uint64_t bytes_to_read = 0;        // live bytes in victims (+ whole-file extras)
  std::uint64_t bytes_to_relocate = 0;    // leaf bytes that move
  std::uint64_t bytes_to_free_now = 0;    // bytes of the deletions
  std::uint64_t bytes_to_free_later = 0;  // victim bytes, freed once the writer adopts the output
};

// Measurements of one run.
struct clean_stats {
  std::uint64_t bytes_total = 0;    // all accounted segments
  std::uint64_t bytes_used = 0;     // live bytes
  std::uint64_t bytes_wasted = 0;   // total - used
  std::uint64_t bytes_freed = 0;    // deleted this run
  std::uint64_t bytes_read = 0;     // fetched from the store
  std::uint64_t bytes_written = 0;  // written to the store
  store_stats requests;             // every request the run made, by kind
  std::uint64_t bytes_walked = 0;   // interior (metadata) items read by the walk
  // Every byte read by the load and the walk phases: the format's context, the usage
  // index record, the interior items read (what a pass pays to know the store).
  std::uint64_t metadata_bytes_read = 0;
  // The strict minimum a run must read: bytes_walked plus the live bytes of its
  // victims (sum of plan.victims[i].live; none for a dry run or a run that moves
  // nothing). bytes_read can exceed it by the load's reads, bridged gaps
  // (read_cost_model::max_waste) and metadata past the read cache's budget.
  std::uint64_t bytes_minimum = 0;
  // Ranged reads the read planner issued: the needed contiguous runs after the cost
  // model's merges (requests.get also holds the load's reads).
  std::uint64_t needed_runs = 0;
  std::uint64_t items_live = 0;       // items reachable from the root
  std::uint64_t items_relocated = 0;  // leaves copied
  std::uint64_t items_rewritten = 0;  // interior items rewritten (root included)
  std::uint64_t items_rejected = 0;   // not relocated: failed verification or corrupt
  std::uint64_t segments_written = 0;
  std::uint64_t segments_deleted = 0;
  double seconds_load = 0, seconds_walk = 0, seconds_relocate = 0, seconds_commit = 0,
         seconds_delete = 0;
};

// What the walk did with the usage index (clean_options::usage_index).
struct usage_index_stats {
  bool enabled = false;    // the index was asked for
  bool full_walk = false;  // the walk was a full one (forced, no usable record, or a check)
  bool checked = false;    // it also walked with the record and compared the two
  bool mismatch = false;   // ... and they differed: nothing was deleted this pass
  std::uint32_t generation_read = 0;     // of the record used; 0: none
  std::uint32_t generation_written = 0;  // 0: none written (dry run, or nothing changed)
  std::uint64_t items_reused = 0;        // interior items taken from the record, unread
  std::uint64_t items_read = 0;          // interior items read from the store
  std::uint64_t bytes_read = 0;          // of the record, from the store
  std::uint64_t bytes_written = 0;       // of the new record
  // The record was read from its local copy (usage_index_options::local_copy), so
  // much of it: the store was only listed.
  bool local_copy = false;
  std::uint64_t local_bytes_read = 0;
  std::string note;  // why no record was used, when none was
};

// Everything a run reports.
struct clean_report {
  clean_status status = clean_status::nothing_to_do;
  bool interrupted = false;  // options.stop_requested stopped the relocation early
  clean_plan plan;
  clean_stats stats;
  std::vector<segment_info> written;  // segments written, the root's last
  std::vector<corruption> rejected;   // items left in place, and why
  usage_index_stats index;            // the usage index's part in the walk
};

}  // namespace cloudlog

#endif  // CLOUDLOG_CLEANER_REPORT_HPP
