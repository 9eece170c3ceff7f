// SPDX-License-Identifier: BSL-1.0
// What a cleaning run may do and how: relocation mode, batching, reads, stop and
// progress hooks; and the item verifier concept.
#ifndef CLOUDLOG_CLEANER_OPTIONS_HPP
#define CLOUDLOG_CLEANER_OPTIONS_HPP

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"

namespace cloudlog {

// Which items move when a segment is cleaned.
enum class relocation_mode {
  // Only the live items inside victims (and, rewritten, their ancestors up to the root).
  live_items,
  // Also every other leaf of a parent one of whose leaves moves: keeps a file's
  // blocks together, as the original BlueSky cleaner did (for locality).
  whole_parent,
};

// Where a run is, for progress displays: its phase ("load", "walk", "plan",
// "relocate", "commit", "delete") and, while relocating, leaf bytes and items
// relocated of the totals to relocate (zeros in the other phases).
struct clean_progress {
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
  std::uint64_t items_done = 0;
  std::uint64_t items_total = 0;
  const char* phase = "relocate";  // a string literal
};

// Every this many passes since the last full walk, a pass that has a usage index
// also walks in full and compares (usage_index_options::check_every).
inline constexpr std::uint32_t default_index_check_every = 16;

// The usage index (cleaner/usage_index.hpp, docs/design.md "The walk phase"): the
// tree the last pass walked, kept in the store so that a pass reads only the
// interior items that changed since. A cache: a missing or damaged record costs
// one full walk, never a different result.
struct usage_index_options {
  // Read the newest record before the walk; write the next one after a pass that
  // is neither a dry run nor delete_only (after the commit and the deletions).
  bool enabled = false;
  // Walk in full even if a record is usable (a new record is still written).
  bool full_walk = false;
  // Every CHECK_EVERY-th pass since the last full walk walks both ways and compares;
  // a difference is reported (usage_index_stats::mismatch) and nothing is deleted
  // in that pass. 0: never.
  std::uint32_t check_every = default_index_check_every;
  // A local directory for a copy of the record (bluesky_cleaner: --cache-dir's
  // usage-index/), written after the store's; a pass reads the copy instead of the
  // store's when it is the store's newest record (same generation and size, sound
  // checksums; checked against the root and segments as the store's is). A stale
  // or damaged copy costs one note and the store's is read. Empty: none.
  std::filesystem::path local_copy;
};

// Options of one run.
struct clean_options {
  bool dry_run = false;  // plan only: nothing is written or deleted
  // Delete the dead segments only (those the writer has released, docs/format.md
  // section 14): no victim is chosen and nothing is written; the report's status
  // is nothing_to_do (or waiting_for_writer) and its plan has no victims. The
  // cheap step to run right after the writer merges a generation.
  bool delete_only = false;
  relocation_mode mode = relocation_mode::live_items;
  std::optional<std::uint8_t> repack_type;  // rewrite every live item of this type
  std::size_t parallel = 8;                 // reads per batch handed to the store
  // The pass's reads are planned (cleaner/detail/read_planner.hpp): two needed
  // ranges of one segment are read as one only when the gap between them costs
  // less than a request under READ_COST (unset: the store's, read_cost_of: ~16 KiB
  // on a file store, ~1 MiB on S3 and the simple store), cheapest gaps first and
  // never more than READ_COST.max_waste of the bytes needed, and never across a gap
  // larger than COALESCE_GAP.
  std::optional<read_cost_model> read_cost;
  std::uint64_t coalesce_gap = 1u << 20;
  // Bytes of interior items the pass keeps after the walk so that rewriting them
  // reads nothing again; beyond it, the rest are read a second time.
  std::uint64_t read_cache_bytes = 32u << 20;
  // Full output segments written in the background while the pass reads on, at
  // most this many at once (each holds one output segment's bytes); the open
  // segments sealed or committed start at once, over it (they are held in memory
  // anyway). The root's segment is written only after all of them have finished.
  // 0: every write synchronous.
  std::size_t writes_in_flight = 4;
  // Relocation batches (about one output segment each) read in the background
  // ahead of the one being copied, at most this many (each holds its batch's
  // bytes): their requests are in flight together (on a remote store, read_many's
  // parallelism times this many) and overlap the copying. 0: each batch is read
  // when it is copied. If the pass is interrupted, batches read ahead are not used.
  std::size_t reads_ahead = 2;
  // Asked between relocation batches (about one output segment each): true stops
  // relocating; what moved so far is still committed (root last; nothing is
  // written when nothing moved), and victims not emptied keep their live items and
  // are not deleted. The report's `interrupted` is then true.
  std::function<bool()> stop_requested;
  // Called after every relocation batch.
  std::function<void(const clean_progress&)> on_progress;
  // Called as each phase begins (load, walk, plan, relocate with its totals,
  // commit, delete), for progress displays; a dry run stops after plan.
  std::function<void(const clean_progress&)> on_phase;
  // The utilization (live / stored bytes) the pass aims for: the policy's victims
  // are taken in its order only until the store, once they are cleaned, would be at
  // least this full (cut_to_target, policy/cleaning_policy.hpp), so that no policy
  // compacts everything. 1 (or more): every victim the policy chose.
  double target_utilization = default_target_utilization;
  // The usage index: off unless enabled.
  usage_index_options usage_index{};
};

// A verifier accepts or refuses an item about to be copied with its tag intact.
// `[](byte_view) { return true; }` is the key-less verifier.
template <class V>
concept item_verifier = std::predicate<const V&, byte_view>;

// The key-less verifier: accepts every item (the cleaner copies sealed bytes verbatim).
struct accept_all {
  bool operator()(byte_view) const noexcept { return true; }
};

}  // namespace cloudlog

#endif  // CLOUDLOG_CLEANER_OPTIONS_HPP
