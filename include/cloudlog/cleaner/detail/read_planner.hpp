// SPDX-License-Identifier: BSL-1.0
// The read planner of a pass: which ranged reads fetch a set of needed item
// locations (coalesced only where a gap costs less than a request, under the store
// kind's cost model), and a pass-scoped cache so that no item is fetched twice
// (interior items read in the walk are not fetched again to rewrite them).
// Shared by the walk, relocate and rewrite phases.
#ifndef CLOUDLOG_CLEANER_DETAIL_READ_PLANNER_HPP
#define CLOUDLOG_CLEANER_DETAIL_READ_PLANNER_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/cleaner/detail/buffer_pool.hpp"
#include "cloudlog/cleaner/detail/fetch_items.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::detail {

// Plans the reads of LOCS under COST: overlapping or touching ranges of one
// segment are one run; a gap between two runs of one segment is bridged when it
// is at most min(COST.request_bytes, MAX_GAP), cheapest gaps first, as long as the
// bridged bytes stay within COST.max_waste of the needed bytes and no run grows
// past MAX_RUN (unless one item is longer). A run never leaves its segment.
inline read_plan plan_costed_reads(std::span<const location> locs, const read_cost_model& cost,
                                   std::uint64_t max_gap = whole_object,
                                   std::uint64_t max_run = max_read_run) {
  // The needed ranges: exact unions of the items (gap 0).
  read_plan exact = plan_reads(locs, 0, max_run);
  auto& runs = exact.runs;
  std::uint64_t needed = 0;
  for (const auto& r : runs) needed += r.end - r.begin;
  const auto limit = std::min(cost.request_bytes, max_gap);
  // Candidate gaps: between run i and i + 1 of one segment.
  std::vector<std::size_t> gaps;
  for (std::size_t i = 0; i + 1 < runs.size(); ++i)
    if (runs[i].seg == runs[i + 1].seg && runs[i + 1].begin - runs[i].end <= limit)
      gaps.push_back(i);
  std::stable_sort(gaps.begin(), gaps.end(), [&](std::size_t a, std::size_t b) {
    return runs[a + 1].begin - runs[a].end < runs[b + 1].begin - runs[b].end;
  });
  const auto budget = static_cast<std::uint64_t>(cost.max_waste * static_cast<double>(needed));
  std::vector<bool> bridged(runs.size(), false);
  std::uint64_t waste = 0;
  for (auto i : gaps) {
    const auto g = runs[i + 1].begin - runs[i].end;
    if (waste + g > budget) break;
    bridged[i] = true;
    waste += g;
  }
  // Merge the bridged runs, splitting where a run would pass MAX_RUN.
  read_plan plan;
  std::vector<std::size_t> merged_of(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i > 0 && bridged[i - 1] && runs[i].end - plan.runs.back().begin <= max_run)
      plan.runs.back().end = runs[i].end;
    else
      plan.runs.push_back(runs[i]);
    merged_of[i] = plan.runs.size() - 1;
  }
  plan.run_of.resize(locs.size());
  for (std::size_t k = 0; k < locs.size(); ++k) plan.run_of[k] = merged_of[exact.run_of[k]];
  return plan;
}

// Read buffers kept between the read batches of a pass and between the passes of
// one process (at most kept_buffers, the largest): relocation reads each batch
// into one of them (read_batch_into), i.e. into memory allocated without
// zero-fill whose pages are in already, rather than into a fresh zero-filled
// buffer per read (allocating, zeroing and faulting in those was about a tenth of
// a small-file pass's CPU, docs/performance.md "cleaner on the presets").
// Thread-safe.
class read_buffers {
 public:
  static constexpr std::size_t kept_buffers = 4;
  // Buffers are allocated in multiples of this, so that a kept one serves later
  // batches of slightly different sizes.
  static constexpr std::size_t granule = 1u << 20;

  struct raw {
    std::unique_ptr<std::byte[]> data;  // uninitialized
    std::size_t size = 0;
    std::size_t capacity() const noexcept { return size; }
  };

  // A buffer of at least N bytes: the smallest kept one that large (then no longer
  // kept), or a new one (uninitialized, its pages faulted in at once).
  static raw take(std::size_t n) {
    if (auto kept = pool::take(n)) return std::move(*kept);
    const auto size = std::max<std::size_t>((n + granule - 1) / granule * granule, granule);
    raw r{std::make_unique_for_overwrite<std::byte[]>(size), size};
    const auto base = reinterpret_cast<std::uintptr_t>(r.data.get());
    populate_pages(base, base + r.size);
    return r;
  }

  // Keeps R unless kept_buffers larger ones are kept already.
  static void give(raw r) {
    if (r.data) pool::give(std::move(r));
  }

 private:
  using pool = buffer_pool<raw, kept_buffers>;
};

// A buffer of read_buffers, given back to it when destroyed. Move-only.
class read_arena {
 public:
  read_arena() = default;
  // At least N bytes (read_buffers::take).
  explicit read_arena(std::size_t n) : raw_(read_buffers::take(n)) {}
  read_arena(read_arena&& o) noexcept : raw_(std::exchange(o.raw_, {})) {}
  read_arena& operator=(read_arena&& o) noexcept {
    if (this != &o) {
      release();
      raw_ = std::exchange(o.raw_, {});
    }
    return *this;
  }
  read_arena(const read_arena&) = delete;
  read_arena& operator=(const read_arena&) = delete;
  ~read_arena() { release(); }

  // Its memory (uninitialized until read into).
  mutable_byte_view memory() const noexcept { return {raw_.data.get(), raw_.size}; }

 private:
  void release() { read_buffers::give(std::exchange(raw_, {})); }
  read_buffers::raw raw_;
};

// What a planner did so far.
struct read_planner_counts {
  // Needed runs: planned reads (after the cost model's merges) and held runs used.
  std::uint64_t runs = 0;
  std::uint64_t bytes_needed = 0;   // bytes of the items fetched from the store
  std::uint64_t bytes_planned = 0;  // bytes of the planned reads (needed + bridged gaps)
  std::uint64_t cache_hits = 0;     // items served from the pass's cache
  std::uint64_t bytes_cached = 0;   // held in the cache now
  friend bool operator==(const read_planner_counts&, const read_planner_counts&) = default;
};

// The reads of one pass. fetch() serves each item from the cache when it holds
// it, plans the rest with plan_costed_reads and runs the plan as one read_batch;
// items fetched with KEEP are held (their exact bytes, not the gaps) while the
// cache stays within its budget, first come first kept. A fetch can also be split
// so that its reads run on another thread: prepare() and finish() on the planner's
// thread, read() on any; prepare_views() and finish_views() hand the items over as
// views into the reads instead of copies, and fetch_views() with KEEP moves what
// it reads into the cache and hands over views into it. Not thread-safe.
class read_planner {
 public:
  // COST: the store's model; MAX_GAP: a further bound on bridged gaps;
  // CACHE_BUDGET: bytes the cache may hold; FAN_OUT: the planned reads of one fetch
  // run as up to this many read batches at once (read_fanned_out; > 1 needs a
  // thread-safe store), or COST.fan_out if that is more.
  explicit read_planner(read_cost_model cost, std::uint64_t max_gap = whole_object,
                        std::uint64_t cache_budget = 32u << 20, std::size_t fan_out = 1)
      : cost_(cost),
        max_gap_(max_gap),
        budget_(cache_budget),
        fan_out_(std::max(fan_out, cost.fan_out)) {}

  // A fetch in progress: what the cache served, and the plan for the rest.
  struct pending {
    std::vector<result<bytes>> out;  // one per location, in order
    std::vector<location> missing;   // the locations not in the cache
    std::vector<std::size_t> missing_at;
    read_plan plan;                    // for MISSING
    std::vector<result<bytes>> got{};  // MISSING's items once read
    bool keep = false;
    std::size_t fan_out = 1;
    // Prepared by prepare_views(): the items are views (VIEWS) into the reads
    // (RUNS) or the cache, not copies.
    bool by_view = false;
    std::vector<result<bytes>> runs{};
    read_arena arena{};  // the reads, when the store reads into a caller's buffer
    std::vector<result<byte_view>> run_views{};  // each planned read: into RUNS or ARENA
    std::vector<result<byte_view>> views{};
  };

  // The items of a fetch prepared by prepare_views(), uncopied.
  struct viewed {
    std::vector<result<bytes>> runs;       // the planned reads, which ITEMS view
    read_arena arena;                      // or: the buffer they were read into
    std::vector<result<byte_view>> items;  // one per location, in order: into RUNS,
                                           // ARENA or the cache (valid while RUNS and
                                           // ARENA are and the cache is not cleared);
                                           // or the read's error
  };

  // The items at LOCS, in LOCS' order: each its bytes (short if the object is),
  // or its read's error. KEEP: hold what is fetched for later fetches.
  template <segment_store Store>
  std::vector<result<bytes>> fetch(Store& store, std::span<const location> locs, bool keep) {
    auto p = prepare(locs, keep);
    read(store, p);
    return finish(std::move(p));
  }

  // As fetch(), the items handed over as views (valid while the returned runs are
  // and the cache is not cleared): with KEEP, an item read is moved into the cache
  // (not copied: the walk's items are read once and held for the rewrite), or
  // kept in the returned runs when the cache has no room.
  // FAN_OUT: as prepare()'s (0: the planner's; level_fan_out() for a walk level).
  template <segment_store Store>
  viewed fetch_views(Store& store, std::span<const location> locs, bool keep,
                     std::size_t fan_out = 0) {
    auto p = prepare_as(locs, keep, fan_out, true);
    read(store, p);
    return finish_views(std::move(p));
  }

  // Serves LOCS from the cache and plans the reads of the rest (counted now), to be
  // read as FAN_OUT batches at once (0: the planner's).
  pending prepare(std::span<const location> locs, bool keep, std::size_t fan_out = 0) {
    return prepare_as(locs, keep, fan_out, false);
  }

  // As prepare(), for a fetch whose items are then handed over by finish_views() as
  // views into its reads or the cache: nothing is copied out of a coalesced read
  // (relocation's leaves), and nothing fetched is kept (fetch_views keeps).
  pending prepare_views(std::span<const location> locs, std::size_t fan_out = 0) {
    return prepare_as(locs, false, fan_out, true);
  }

  // Runs P's plan on STORE. Touches nothing of the planner: may run on any thread
  // (STORE must then be thread-safe, as every store of backend/ is).
  // Items handed over as views are read, on a store that reads into a caller's
  // buffer (readable_into), into one buffer of read_buffers for the whole plan.
  template <segment_store Store>
  static void read(Store& store, pending& p) {
    if (p.missing.empty()) return;
    if (!p.by_view || p.keep) {
      p.got = read_planned(store, p.plan, std::span<const location>(p.missing), p.fan_out);
      return;
    }
    if constexpr (readable_into<Store>) {
      std::uint64_t total = 0;
      for (const auto& r : p.plan.runs) total += r.end - r.begin;
      p.arena = read_arena(total);
      const auto memory = p.arena.memory();
      std::vector<mutable_byte_view> into;
      into.reserve(p.plan.runs.size());
      std::uint64_t at = 0;
      for (const auto& r : p.plan.runs) {
        into.push_back(memory.subspan(at, r.end - r.begin));
        at += r.end - r.begin;
      }
      const auto requests = run_requests(p.plan);
      const auto done = read_fanned_out_into(store, std::span<const read_request>(requests),
                                             std::span<const mutable_byte_view>(into), p.fan_out);
      p.run_views = run_views_of(
          done, [&](std::size_t k, std::uint64_t n) { return byte_view(into[k].first(n)); });
    } else {
      p.runs = read_runs(store, p.plan, p.fan_out);
      p.run_views = run_views_of(p.runs, [](std::size_t, const bytes& b) { return byte_view(b); });
    }
  }

  // P's items, in the order of the locations it was prepared for; keeps them if P
  // says so.
  std::vector<result<bytes>> finish(pending&& p) {
    for (std::size_t j = 0; j < p.got.size(); ++j) {
      auto& got = p.got[j];
      if (got) counts_.bytes_needed += got->size();
      if (p.keep && got && got->size() == p.missing[j].size &&
          counts_.bytes_cached + got->size() <= budget_ && !cache_.count(p.missing[j])) {
        cache_.emplace(p.missing[j], *got);
        counts_.bytes_cached += got->size();
      }
      p.out[p.missing_at[j]] = std::move(got);
    }
    return std::move(p.out);
  }

  // The items of P (prepared by prepare_views() and read), in the order of its
  // locations, as views.
  viewed finish_views(pending&& p) {
    viewed v{std::move(p.runs), std::move(p.arena), std::move(p.views)};
    if (p.missing.empty()) return v;
    if (p.keep) {
      // Each item read is its own buffer (read_planned): moved, not copied, into
      // the cache or V.runs; moving a buffer keeps its bytes where they are.
      v.runs.reserve(p.got.size());
      for (std::size_t j = 0; j < p.got.size(); ++j) {
        auto& got = p.got[j];
        auto& item = v.items[p.missing_at[j]];
        if (!got) {
          item = fail(got.error());
          continue;
        }
        counts_.bytes_needed += got->size();
        if (got->size() == p.missing[j].size && counts_.bytes_cached + got->size() <= budget_) {
          auto [it, fresh] = cache_.try_emplace(p.missing[j], std::move(*got));
          if (fresh) counts_.bytes_cached += it->second.size();
          item = byte_view(it->second);
        } else {
          v.runs.push_back(std::move(got));
          item = byte_view(*v.runs.back());
        }
      }
      return v;
    }
    auto got = items_in_runs(p.plan, std::span<const location>(p.missing),
                             std::span<const result<byte_view>>(p.run_views));
    for (std::size_t j = 0; j < got.size(); ++j) {
      if (got[j]) counts_.bytes_needed += got[j]->size();
      v.items[p.missing_at[j]] = got[j];
    }
    return v;
  }

  // Holds DATA as the item at WHERE (read by other means, e.g. the format's load)
  // if the cache has room, so that fetching it reads nothing.
  void hold(const location& where, byte_view data) {
    if (data.size() != where.size || counts_.bytes_cached + data.size() > budget_ ||
        cache_.count(where))
      return;
    cache_.emplace(where, bytes(data.begin(), data.end()));
    counts_.bytes_cached += data.size();
  }

  // Holds DATA as the bytes of segment SEG from OFFSET on (read by other means,
  // e.g. the format's load reading a segment's end) if the cache has room, so that
  // fetching any item wholly inside it reads nothing. Once a fetch uses it, it
  // counts as one needed run (counts().runs): a range the pass needed, read once.
  void hold_run(segment_id seg, std::uint64_t offset, byte_view data) {
    if (data.empty() || counts_.bytes_cached + data.size() > budget_) return;
    held_.push_back({seg, offset, bytes(data.begin(), data.end()), false});
    counts_.bytes_cached += data.size();
  }

  // Drops what the cache holds.
  void clear_cache() {
    cache_.clear();
    held_.clear();
    counts_.bytes_cached = 0;
  }

  // The fan-out of a fetch the pass waits on with nothing else in flight (a walk
  // level): the cost model's level_fan_out, or the planner's own if that is more.
  std::size_t level_fan_out() const noexcept { return std::max(fan_out_, cost_.level_fan_out); }

  const read_planner_counts& counts() const noexcept { return counts_; }
  const read_cost_model& cost() const noexcept { return cost_; }

 private:
  pending prepare_as(std::span<const location> locs, bool keep, std::size_t fan_out, bool by_view) {
    pending p;
    p.keep = keep;
    p.fan_out = fan_out == 0 ? fan_out_ : fan_out;
    p.by_view = by_view;
    if (by_view)
      p.views.assign(locs.size(), result<byte_view>(fail(errc::not_found)));
    else
      p.out.assign(locs.size(), result<bytes>(fail(errc::not_found)));
    for (std::size_t k = 0; k < locs.size(); ++k) {
      std::optional<byte_view> hit;
      if (auto it = cache_.find(locs[k]); it != cache_.end())
        hit = byte_view(it->second);
      else
        hit = in_held(locs[k]);
      if (hit) {
        if (by_view)
          p.views[k] = *hit;
        else
          p.out[k] = bytes(hit->begin(), hit->end());
        ++counts_.cache_hits;
      } else {
        p.missing.push_back(locs[k]);
        p.missing_at.push_back(k);
      }
    }
    if (p.missing.empty()) return p;
    p.plan = plan_costed_reads(p.missing, cost_, max_gap_);
    counts_.runs += p.plan.runs.size();
    for (const auto& r : p.plan.runs) counts_.bytes_planned += r.end - r.begin;
    return p;
  }

  // The bytes of LOC if a held run holds all of it. A held run that serves a
  // fetch is a needed run (read once, by other means): counted once in runs.
  std::optional<byte_view> in_held(const location& loc) {
    for (auto& h : held_)
      if (h.seg == loc.segment() && loc.offset >= h.offset &&
          loc.end() <= h.offset + h.data.size()) {
        if (!h.used) ++counts_.runs;
        h.used = true;
        return byte_view(h.data).subspan(loc.offset - h.offset, loc.size);
      }
    return std::nullopt;
  }

  // Each planned read as a view: VIEW(k, *DONE[k]) of the reads that succeeded, the
  // error of the others.
  template <class T, class View>
  static std::vector<result<byte_view>> run_views_of(const std::vector<result<T>>& done,
                                                     View view) {
    std::vector<result<byte_view>> out;
    out.reserve(done.size());
    for (std::size_t k = 0; k < done.size(); ++k)
      if (done[k])
        out.push_back(view(k, *done[k]));
      else
        out.push_back(fail(done[k].error()));
    return out;
  }

  // A hash of a location, for the planner's cache (looked up once per item a pass
  // reads: an ordered map's four-field comparisons were a tenth of the walk's CPU).
  struct location_key {
    std::size_t operator()(const location& l) const noexcept {
      const std::uint64_t a = (std::uint64_t{l.directory} << 32) | l.sequence;
      const std::uint64_t b = (std::uint64_t{l.offset} << 32) | l.size;
      std::uint64_t h = a * 0x9e3779b97f4a7c15u;
      h ^= (b + 0x632be59bd9b4e019u) * 0xbf58476d1ce4e5b9u;
      return static_cast<std::size_t>(h ^ (h >> 31));
    }
  };

  struct held_run {
    segment_id seg;
    std::uint64_t offset = 0;
    bytes data;
    bool used = false;
  };

  read_cost_model cost_;
  std::uint64_t max_gap_;
  std::uint64_t budget_;
  std::size_t fan_out_;
  std::unordered_map<location, bytes, location_key> cache_;
  std::vector<held_run> held_;  // runs given by hold_run
  read_planner_counts counts_;
};

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_CLEANER_DETAIL_READ_PLANNER_HPP
