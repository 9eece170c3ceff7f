// SPDX-License-Identifier: BSL-1.0
// Coalesced reads of items: which ranged reads cover a list of locations (the plan),
// and the items cut out of those reads.
#ifndef CLOUDLOG_CLEANER_DETAIL_FETCH_ITEMS_HPP
#define CLOUDLOG_CLEANER_DETAIL_FETCH_ITEMS_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <future>
#include <numeric>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog::detail {

// Ranged reads covering a list of item locations: one run per merged read, and for
// each location (in the list's order) the run that holds it.
struct read_plan {
  struct run {
    segment_id seg;
    std::uint64_t begin = 0, end = 0;
  };
  std::vector<run> runs;
  std::vector<std::size_t> run_of;
};

// A merged read is never longer than this (unless one item is).
inline constexpr std::uint64_t max_read_run = 16u << 20;

// Merges the reads of LOCS within one segment across gaps <= GAP, up to MAX_RUN
// bytes per read. A run never leaves its segment.
inline read_plan plan_reads(std::span<const location> locs, std::uint64_t gap,
                            std::uint64_t max_run = max_read_run) {
  std::vector<std::size_t> order(locs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto before = [&](std::size_t a, std::size_t b) {
    return std::pair(locs[a].segment(), locs[a].offset) <
           std::pair(locs[b].segment(), locs[b].offset);
  };
  // Often in order already (a walk level's items, a relocation batch): checked first.
  if (!std::is_sorted(order.begin(), order.end(), before))
    std::sort(order.begin(), order.end(), before);
  read_plan plan;
  plan.run_of.resize(locs.size());
  auto& runs = plan.runs;
  for (auto i : order) {
    const auto& l = locs[i];
    if (runs.empty() || runs.back().seg != l.segment() || l.offset > runs.back().end + gap ||
        l.end() - runs.back().begin > max_run)
      runs.push_back({l.segment(), l.offset, l.end()});
    else
      runs.back().end = std::max(runs.back().end, l.end());
    plan.run_of[i] = runs.size() - 1;
  }
  return plan;
}

// Splits N requests into up to FAN_OUT contiguous parts [begin, end) and runs
// READ_PART(begin, end) on each at once: parts 1.. on std::async, part 0 on the
// caller's thread. Returns the parts' results concatenated, in order.
template <class ReadPart>
std::invoke_result_t<ReadPart&, std::size_t, std::size_t> fanned_out(std::size_t n,
                                                                     std::size_t fan_out,
                                                                     ReadPart read_part) {
  using results = std::invoke_result_t<ReadPart&, std::size_t, std::size_t>;
  const auto parts = std::clamp<std::size_t>(fan_out, 1, std::max<std::size_t>(n, 1));
  if (parts == 1) return read_part(std::size_t{0}, n);
  const auto bounds = [&](std::size_t k) { return std::pair(n * k / parts, n * (k + 1) / parts); };
  std::vector<std::future<results>> rest;
  for (std::size_t k = 1; k < parts; ++k)
    rest.push_back(std::async(
        std::launch::async, [&read_part, b = bounds(k)] { return read_part(b.first, b.second); }));
  const auto [b0, e0] = bounds(0);
  auto out = read_part(b0, e0);
  out.reserve(n);
  for (auto& f : rest)
    for (auto& r : f.get()) out.push_back(std::move(r));
  return out;
}

// Serves REQUESTS as up to FAN_OUT read_batch calls at once, each of a contiguous
// slice (fanned_out: the caller's thread runs the first): on a remote store, FAN_OUT
// times its read_many parallelism in flight. STORE must be thread-safe when FAN_OUT > 1.
template <segment_store Store>
std::vector<result<bytes>> read_fanned_out(Store& store, std::span<const read_request> requests,
                                           std::size_t fan_out) {
  return fanned_out(requests.size(), fan_out, [&](std::size_t b, std::size_t e) {
    return read_batch(store, requests.subspan(b, e - b));
  });
}

// The requests of PLAN's runs, in its order (a segment's name formatted once for
// its consecutive runs).
inline std::vector<read_request> run_requests(const read_plan& plan) {
  std::vector<read_request> requests;
  requests.reserve(plan.runs.size());
  for (const auto& r : plan.runs) {
    if (requests.empty() || plan.runs[requests.size() - 1].seg != r.seg)
      requests.push_back({segment_name(r.seg).value_or(""), r.begin, r.end - r.begin});
    else
      requests.push_back({requests.back().name, r.begin, r.end - r.begin});
  }
  return requests;
}

// As read_fanned_out, each read into its buffer of OUT (read_batch_into).
template <segment_store Store>
std::vector<result<std::uint64_t>> read_fanned_out_into(Store& store,
                                                        std::span<const read_request> requests,
                                                        std::span<const mutable_byte_view> out,
                                                        std::size_t fan_out) {
  return fanned_out(requests.size(), fan_out, [&](std::size_t b, std::size_t e) {
    return read_batch_into(store, requests.subspan(b, e - b), out.subspan(b, e - b));
  });
}

// Runs PLAN as one read_batch (FAN_OUT: as up to that many at once,
// read_fanned_out): one read per run, in the plan's order.
template <segment_store Store>
std::vector<result<bytes>> read_runs(Store& store, const read_plan& plan, std::size_t fan_out = 1) {
  const auto requests = run_requests(plan);
  return read_fanned_out(store, std::span<const read_request>(requests), fan_out);
}

// Where LOC lies in RUN's read DATA: its offset in DATA and its length (short if the
// object is; FROM is clamped so that no iterator points past the buffer: UB, found
// by store_fuzz).
inline std::pair<std::uint64_t, std::uint64_t> item_in_run(const read_plan::run& run,
                                                           byte_view data, const location& loc) {
  const auto from = std::min<std::uint64_t>(loc.offset - run.begin, data.size());
  return {from, std::min<std::uint64_t>(data.size() - from, loc.size)};
}

// The items at LOCS within RUNS (PLAN's reads, made for LOCS), uncopied: each a
// view into its run's bytes (valid while RUNS is; short if the object is), or the
// run's error.
inline std::vector<result<byte_view>> items_in_runs(const read_plan& plan,
                                                    std::span<const location> locs,
                                                    std::span<const result<byte_view>> runs) {
  std::vector<result<byte_view>> out;
  out.reserve(locs.size());
  for (std::size_t i = 0; i < locs.size(); ++i) {
    const auto run = plan.run_of[i];
    const auto& d = runs[run];
    if (!d) {
      out.push_back(fail(d.error()));
      continue;
    }
    const auto [from, n] = item_in_run(plan.runs[run], *d, locs[i]);
    out.push_back(d->subspan(from, n));
  }
  return out;
}

// Runs PLAN (made for LOCS) as one read_batch (FAN_OUT: as up to that many at
// once, read_fanned_out). One entry per location, in LOCS' order: the item's bytes
// (short if the object is), or the read's error.
template <segment_store Store>
std::vector<result<bytes>> read_planned(Store& store, const read_plan& plan,
                                        std::span<const location> locs, std::size_t fan_out = 1) {
  auto data = read_runs(store, plan, fan_out);
  // A run that only one location uses is handed over, not copied, when it is that item.
  std::vector<std::uint32_t> users(plan.runs.size(), 0);
  for (const auto run : plan.run_of) ++users[run];
  std::vector<result<bytes>> out;
  out.reserve(locs.size());
  for (std::size_t i = 0; i < locs.size(); ++i) {
    const auto run = plan.run_of[i];
    auto& d = data[run];
    if (!d) {
      out.push_back(fail(d.error()));
      continue;
    }
    const auto [from, n] = item_in_run(plan.runs[run], *d, locs[i]);
    if (users[run] == 1 && from == 0 && n == d->size()) {
      out.push_back(std::move(*d));
      continue;
    }
    out.push_back(bytes(d->begin() + static_cast<std::ptrdiff_t>(from),
                        d->begin() + static_cast<std::ptrdiff_t>(from + n)));
  }
  return out;
}

// Reads the items at LOCS, merging reads of one segment across gaps <= GAP.
template <segment_store Store>
std::vector<result<bytes>> fetch_items(Store& store, std::span<const location> locs,
                                       std::uint64_t gap) {
  return read_planned(store, plan_reads(locs, gap), locs);
}

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_CLEANER_DETAIL_FETCH_ITEMS_HPP
