// SPDX-License-Identifier: BSL-1.0
// The policy lab: a simulated log of fixed capacity driven by a block workload, cleaned
// by any cleaning_policy unchanged, measuring write amplification (docs/policies.md).
#ifndef CLOUDLOG_POLICY_SIMULATOR_HPP
#define CLOUDLOG_POLICY_SIMULATOR_HPP

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "cloudlog/assert.hpp"
#include "cloudlog/error.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/splitmix64.hpp"

namespace cloudlog {

// Which logical block the next user write goes to.
enum class workload_kind {
  uniform,   // every block equally likely
  hot_cold,  // the first hot_fraction of the blocks get hot_share of the writes
  zipf,      // block i (0-based) with probability proportional to 1 / (i + 1)^theta
  trace,     // the blocks of `trace`, in order (modulo the block count), repeated
};

// A workload over N logical blocks.
struct sim_workload {
  workload_kind kind = workload_kind::uniform;
  double hot_fraction = 0.1;         // hot_cold: the fraction of blocks that is hot, in [0, 1]
  double hot_share = 0.9;            // hot_cold: the fraction of writes that go to them, in [0, 1]
  double theta = 0.99;               // zipf: the exponent, >= 0
  std::vector<std::uint64_t> trace;  // trace: one block number per write
};

// The log's geometry and the run's length.
struct sim_options {
  std::uint64_t segments = 1024;     // S: capacity, in segments
  std::uint64_t blocks = 256;        // B: blocks per segment
  std::uint64_t block_bytes = 4096;  // bytes per block (only scales the table's sizes)
  double utilization = 0.8;          // user data / capacity, in (0, 1)
  double warmup_rounds = 4;          // user writes (x the block count) before measuring
  double measure_rounds = 8;         // user writes (x the block count) measured
  // Cleaning starts when fewer than this many segments are free (at least the
  // open heads + 1), and each pass asks the policy for about `batch` segments of
  // garbage (its garbage_target; the policy's own budget is not consulted).
  std::uint64_t reserve = 0;  // 0: 2 + the number of GC heads used
  std::uint64_t batch = 0;    // 0: max(1, S / 256)
  // GC output goes to heads of its own, one per placement class (true), or into the
  // user's head (false: the unseparated log).
  bool separate_gc_head = true;
  // Relocated blocks of one pass are written oldest first within a class (Sprite
  // LFS's age sort); false keeps victim order (what the real engine does).
  bool age_sort = false;
  // Burst mode (> 0): the real tools' loop (benchmarks/steady_state.sh) instead of
  // a log of fixed capacity: the user writes this fraction of the user data (N
  // blocks) at a time, its last segment sealed however full; then one pass takes
  // the policy's victims cut to `target_utilization` (cut_to_target, as the engine
  // does), seals the GC heads' last segments, and frees the dead. Capacity S then
  // only has to hold the peak; `reserve` and `batch` are unused. 0: writes and
  // cleaning interleaved (a pass whenever fewer than `reserve` segments are free).
  double burst = 0;
  double target_utilization = default_target_utilization;  // burst mode's target
  // Blocks per segment of the GC heads (0: `blocks`; the real engine's cleaner
  // segments are twice the proxy's).
  std::uint64_t gc_blocks = 0;
  // The user's head as a write-back cache, as the BlueSky proxy flushes every K
  // writes (bluesky_fs --flush-every): a block written again while its copy is in
  // the open user segment takes that copy's slot (nothing new is written), and
  // the user segment is sealed after `blocks` writes however many blocks it holds.
  bool write_back = false;
  // The bytes one ranged GET of a victim fetches (the engine coalesces a segment's
  // reads up to 1 MiB gaps): sim_result::read_requests counts with it.
  std::uint64_t read_request_bytes = 1 << 20;
  std::uint64_t seed = 1;
};

// What a run measured (after the warm-up).
struct sim_result {
  std::uint64_t user_blocks = 0;    // blocks written by the workload
  std::uint64_t user_appended = 0;  // of them, appended to the log (write_back absorbs some)
  std::uint64_t gc_blocks = 0;      // live blocks relocated by the cleaner
  std::uint64_t victim_blocks = 0;  // blocks of the victims (what a cleaner reads)
  std::uint64_t victims = 0;        // segments cleaned
  std::uint64_t passes = 0;         // select() calls
  std::array<std::uint64_t, 20> victim_histogram{};   // victims by utilization, 0.05 bins
  std::array<std::uint64_t, 20> segment_histogram{};  // sealed segments at each pass, same bins
  // Sum over measured passes of the log's utilization (live / blocks in sealed and
  // open segments holding anything live) just before the pass.
  double utilization_before_sum = 0;
  std::uint64_t passes_measured = 0;
  // For a price (policy/cost_model.hpp): GETs of victims (ceil(live bytes /
  // read_request_bytes) each), GC segments written (one PUT each), and the blocks
  // stored (in segments holding anything live) before and after each measured pass.
  std::uint64_t read_requests = 0;
  std::uint64_t gc_segments = 0;
  std::uint64_t stored_before_sum = 0;
  std::uint64_t stored_after_sum = 0;
  // Mean utilization before a pass (0 without measured passes).
  double mean_utilization_before_pass() const {
    return passes_measured ? utilization_before_sum / static_cast<double>(passes_measured) : 0.0;
  }
  // (appended by the user + relocated) / written by the user.
  double write_amplification() const {
    return user_blocks
               ? static_cast<double>(user_appended + gc_blocks) / static_cast<double>(user_blocks)
               : 0.0;
  }
  // Victim blocks read per user block written.
  double reads_per_user_byte() const {
    return user_blocks ? static_cast<double>(victim_blocks) / static_cast<double>(user_blocks)
                       : 0.0;
  }
  // Mean utilization of the victims.
  double mean_victim_utilization() const {
    return victim_blocks ? static_cast<double>(gc_blocks) / static_cast<double>(victim_blocks)
                         : 0.0;
  }
};

// Desnoyers' model of greedy cleaning under uniform writes (SYSTOR '12): with
// alpha = 1 / utilization, A_FIFO(alpha) = 1 / (1 - X) where X = exp(-alpha (1 - X)),
// and A_greedy(alpha, n_p) = A_FIFO(k alpha) / k with k = 1 + 1 / (2 n_p).
// REQUIRES: 0 < utilization < 1; blocks_per_segment >= 1.
inline double desnoyers_greedy(double utilization, std::uint64_t blocks_per_segment) {
  const double k = 1.0 + 1.0 / (2.0 * static_cast<double>(blocks_per_segment));
  const double alpha = k / utilization;
  double x = 0.0;  // the fixed point below 1 (x = 1 is the other one)
  for (int i = 0; i < 10000; ++i) x = std::exp(-alpha * (1.0 - x));
  return 1.0 / (1.0 - x) / k;
}

namespace detail {

class block_source {
 public:
  block_source(const sim_workload& w, std::uint64_t n, std::uint64_t seed)
      : w_(w), n_(n), rng_(seed) {
    hot_ = std::clamp<std::uint64_t>(
        static_cast<std::uint64_t>(std::llround(w.hot_fraction * static_cast<double>(n))), 0, n);
    if (w.kind == workload_kind::zipf) {
      cdf_.resize(n);
      double sum = 0;
      for (std::uint64_t i = 0; i < n; ++i)
        cdf_[i] = sum += std::pow(static_cast<double>(i + 1), -w.theta);
      for (auto& c : cdf_) c /= sum;
    }
  }
  std::uint64_t next() {
    switch (w_.kind) {
      case workload_kind::uniform:
        return rng_.below(n_);
      case workload_kind::hot_cold: {
        const bool hot = rng_.unit() < w_.hot_share;
        if (hot && hot_ > 0) return rng_.below(hot_);
        if (!hot && hot_ < n_) return hot_ + rng_.below(n_ - hot_);
        return rng_.below(n_);
      }
      case workload_kind::zipf: {
        const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), rng_.unit());
        return std::min<std::uint64_t>(static_cast<std::uint64_t>(it - cdf_.begin()), n_ - 1);
      }
      case workload_kind::trace: {
        const auto b = w_.trace[at_++ % w_.trace.size()];
        return b % n_;
      }
    }
    return 0;
  }

 private:
  const sim_workload& w_;
  std::uint64_t n_;
  splitmix64 rng_;
  std::uint64_t hot_ = 0;
  std::vector<double> cdf_;
  std::size_t at_ = 0;
};

inline std::size_t histogram_bin(double u) {
  return std::min<std::size_t>(19, static_cast<std::size_t>(u * 20.0));
}

}  // namespace detail

// Simulates OPTIONS' log under WORKLOAD, cleaned by POLICY: every block is written
// once, then warmup_rounds x N user writes, then measure_rounds x N measured ones
// (N = utilization x S x B blocks). Whenever fewer than `reserve` segments are
// free, the table of sealed segments (size and live in bytes; age = user writes,
// in segments, since the youngest block in the segment was written by the user,
// + 1: Sprite LFS's age, carried with a block when it is relocated) is handed to
// POLICY.select with the policy's budget; a pass stops once its victims hold
// `batch` segments of garbage. Live blocks of a victim go to the GC head of class
// placement_for(POLICY, victim age, table_scale(table)).
// Fails: errc::invalid_argument (a utilization outside (0, 1), S < 8, B < 2, no
// room for the heads, a trace workload without blocks, a fraction outside [0, 1]);
// errc::budget_exhausted if the policy chooses nothing while the log is out of free
// segments (its rule or budget leaves the log full).
namespace detail {

// The simulated log of simulate(): segments, heads, the free list, and the pass
// that cleans it with POLICY.
template <cleaning_policy Policy>
class sim_log {
 public:
  static constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();

  sim_log(const Policy& policy, const sim_options& opt, std::uint64_t n, std::uint32_t classes,
          std::uint64_t heads, std::uint64_t reserve, std::uint64_t batch)
      : policy_(policy),
        opt_(opt),
        S_(opt.segments),
        B_(opt.blocks),
        gcB_(opt.gc_blocks ? opt.gc_blocks : opt.blocks),
        stride_(std::max(B_, gcB_)),
        classes_(classes),
        reserve_(reserve),
        batch_(batch),
        segs_(opt.segments),
        where_(n, none),
        written_(n, 0),
        open_(1 + heads, none) {
    for (std::uint64_t s = S_; s-- > 0;) free_list_.push_back(s);
  }

  // One user write of BLOCK, cleaning when fewer than `reserve` segments are free
  // (not in burst mode: there burst_pass() cleans).
  result<void> user_write(std::uint64_t block) {
    ++now_;
    written_[block] = now_;
    if (opt_.burst > 0 && free_list_.empty()) return fail(errc::budget_exhausted);
    const auto at = where_[block];
    if (opt_.write_back && open_[0] != none && at != none && at / stride_ == open_[0]) {
      auto& seg = segs_[open_[0]];
      seg.youngest = std::max(seg.youngest, now_);
    } else {
      append(0, block);
      if (measuring_) ++res_.user_appended;
    }
    if (opt_.write_back && open_[0] != none && ++head_writes_ >= B_) seal(0);
    if (opt_.burst == 0 && free_list_.size() < reserve_) {
      reclaim_dead();
      while (free_list_.size() < reserve_) CLOUDLOG_TRY_VOID(clean());
    }
    if (measuring_) ++res_.user_blocks;
    return {};
  }

  // Burst mode's pass: seal the user head, take the policy's victims cut to the
  // target, empty them into the GC heads, seal those, free the dead.
  void burst_pass() {
    seal(0);
    reclaim_dead();
    tabulate();
    ++res_.passes;
    std::uint64_t live = 0, stored = 0;
    for (const auto& seg : segs_)
      if (seg.valid > 0) {
        live += seg.valid;
        stored += seg.slots.size();
      }
    if (measuring_ && stored > 0) {
      res_.utilization_before_sum += static_cast<double>(live) / static_cast<double>(stored);
      res_.stored_before_sum += stored;
      ++res_.passes_measured;
    }
    const auto scale = table_scale(table_);
    for (const auto& id : cut_to_target(table_, policy_.select(table_), opt_.target_utilization)) {
      const auto slot = slot_of_.at(id);
      const auto& seg = segs_[slot];
      if (!seg.sealed || seg.valid == 0) continue;
      const std::uint32_t cls =
          std::min<std::uint32_t>(placement_for(policy_, age_of(seg), scale), classes_ - 1);
      evacuate(slot, cls);
    }
    for (std::size_t h = 1; h < open_.size(); ++h) seal(h);
    reclaim_dead();
    if (measuring_)
      for (const auto& seg : segs_)
        if (seg.valid > 0) res_.stored_after_sum += seg.slots.size();
  }

  void start_measuring() { measuring_ = true; }
  const sim_result& result_so_far() const { return res_; }

 private:
  struct segment {
    std::vector<std::uint64_t> slots;  // block per slot (none: dead)
    std::uint64_t valid = 0;
    std::uint64_t youngest = 0;  // newest user-write time of any block written here
    bool sealed = false;
    segment_id name{};  // what the policy sees
  };

  std::uint64_t age_of(const segment& seg) const {
    return (now_ - std::min(now_, seg.youngest)) / B_ + 1;
  }

  // Seals HEAD's open segment if it holds anything.
  void seal(std::size_t head) {
    if (head == 0) head_writes_ = 0;
    if (open_[head] == none || segs_[open_[head]].slots.empty()) return;
    segs_[open_[head]].sealed = true;
    open_[head] = none;
    if (head > 0 && measuring_) ++res_.gc_segments;
  }

  // Appends BLOCK to HEAD (0: user; 1..: GC class c - 1), killing its old copy.
  void append(std::size_t head, std::uint64_t block) {
    if (open_[head] == none) {
      CLOUDLOG_ASSERT(!free_list_.empty());
      open_[head] = free_list_.back();
      free_list_.pop_back();
      segs_[open_[head]] = segment{};
      // Burst mode names segments as the engine does (user: directory 0, GC: 1,
      // sequences in the order written), so that policies break ties alike.
      segs_[open_[head]].name =
          opt_.burst > 0 ? segment_id{head == 0 ? 0u : 1u, next_sequence_[head == 0 ? 0 : 1]++}
                         : segment_id{0, static_cast<std::uint32_t>(open_[head])};
    }
    auto& seg = segs_[open_[head]];
    if (const auto old = where_[block]; old != none) {
      auto& o = segs_[old / stride_];
      o.slots[old % stride_] = none;
      --o.valid;
    }
    where_[block] = open_[head] * stride_ + seg.slots.size();
    seg.slots.push_back(block);
    ++seg.valid;
    seg.youngest = std::max(seg.youngest, written_[block]);
    if (seg.slots.size() == (head == 0 ? B_ : gcB_)) {
      seg.sealed = true;
      open_[head] = none;
      if (head == 0) head_writes_ = 0;
      if (head > 0 && measuring_) ++res_.gc_segments;
    }
  }

  // The table of sealed segments handed to the policy.
  void tabulate() {
    table_.clear();
    slot_of_.clear();
    for (std::uint64_t s = 0; s < S_; ++s) {
      const auto& seg = segs_[s];
      if (!seg.sealed) continue;
      slot_of_[seg.name] = s;
      table_.push_back({seg.name, seg.slots.size() * opt_.block_bytes, seg.valid * opt_.block_bytes,
                        age_of(seg)});
      if (measuring_) ++res_.segment_histogram[histogram_bin(table_.back().utilization())];
    }
  }

  // Empties victim SEG into the GC head of class CLS.
  void evacuate(std::uint64_t id, std::uint32_t cls) {
    auto& seg = segs_[id];
    if (measuring_) {
      ++res_.victims;
      res_.victim_blocks += seg.slots.size();
      res_.gc_blocks += seg.valid;
      res_.read_requests +=
          (seg.valid * opt_.block_bytes + opt_.read_request_bytes - 1) / opt_.read_request_bytes;
      ++res_.victim_histogram[histogram_bin(static_cast<double>(seg.valid) /
                                            static_cast<double>(seg.slots.size()))];
    }
    moving_.clear();
    for (auto b : seg.slots)
      if (b != none) moving_.push_back(b);
    if (opt_.age_sort)
      std::stable_sort(moving_.begin(), moving_.end(),
                       [&](auto a, auto b) { return written_[a] < written_[b]; });
    const std::size_t head = opt_.separate_gc_head ? 1 + cls : 0;
    seg.sealed = false;  // being emptied: never a victim twice, never a target
    for (auto b : moving_) append(head, b);
    seg.slots.clear();
    seg.valid = 0;
    free_list_.push_back(id);
  }

  // One pass: victims in the policy's order until they hold `batch` segments of garbage.
  result<void> clean() {
    tabulate();
    ++res_.passes;
    const auto scale = table_scale(table_);
    std::uint64_t garbage = 0, taken = 0;
    for (const auto& id : policy_.select(table_)) {
      if (garbage >= batch_ * B_) break;
      const auto slot = slot_of_.at(id);
      const auto& seg = segs_[slot];
      if (!seg.sealed || seg.valid == 0 || seg.valid == seg.slots.size()) continue;
      const std::uint32_t cls =
          std::min<std::uint32_t>(placement_for(policy_, age_of(seg), scale), classes_ - 1);
      garbage += seg.slots.size() - seg.valid;
      ++taken;
      evacuate(slot, cls);
    }
    if (taken == 0) return fail(errc::budget_exhausted);
    return {};
  }

  void reclaim_dead() {
    for (std::uint64_t s = 0; s < S_; ++s)
      if (segs_[s].sealed && segs_[s].valid == 0) {
        segs_[s].sealed = false;
        segs_[s].slots.clear();
        free_list_.push_back(s);
      }
  }

  const Policy& policy_;
  const sim_options& opt_;
  std::uint64_t S_, B_, gcB_, stride_;  // stride_: slots per segment in where_
  std::uint32_t classes_;
  std::uint64_t reserve_, batch_;
  std::vector<segment> segs_;
  std::vector<std::uint64_t> free_list_;
  std::vector<std::uint64_t> where_;    // block -> segment * B + slot
  std::vector<std::uint64_t> written_;  // block -> user-write time
  std::vector<std::uint64_t> open_;     // head -> its open segment
  std::uint64_t now_ = 0;               // user writes so far
  std::uint64_t head_writes_ = 0;       // write_back: user writes into the open user segment
  bool measuring_ = false;
  sim_result res_;
  std::vector<segment_usage> table_;
  std::map<segment_id, std::uint64_t> slot_of_;  // table_'s names -> segs_ slots
  std::array<std::uint32_t, 2> next_sequence_{};
  std::vector<std::uint64_t> moving_;
};

}  // namespace detail

template <cleaning_policy Policy>
result<sim_result> simulate(const Policy& policy, const sim_workload& workload,
                            const sim_options& opt) {
  if (!(opt.utilization > 0 && opt.utilization < 1) || opt.segments < 8 || opt.blocks < 2 ||
      !(workload.hot_fraction >= 0 && workload.hot_fraction <= 1) ||
      !(workload.hot_share >= 0 && workload.hot_share <= 1) || !(workload.theta >= 0) ||
      (workload.kind == workload_kind::trace && workload.trace.empty()) ||
      !(opt.burst >= 0 && opt.burst <= 1) ||
      (opt.burst > 0 && !(opt.target_utilization > 0 && opt.target_utilization < 1)))
    return fail(errc::invalid_argument);
  const std::uint64_t S = opt.segments, B = opt.blocks;
  const auto N = static_cast<std::uint64_t>(opt.utilization * static_cast<double>(S * B));
  std::uint32_t classes = 1;
  for (std::uint64_t a = 1; a < (std::uint64_t{1} << 40); a *= 2)
    classes = std::max(classes, placement_for(policy, a, std::max<std::uint64_t>(1, N / B)) + 1);
  const std::uint64_t heads = opt.separate_gc_head ? classes : 0;
  const std::uint64_t reserve = opt.reserve ? opt.reserve : heads + 2;
  const std::uint64_t batch = opt.batch ? opt.batch : std::max<std::uint64_t>(1, S / 256);
  if (N < 1 || N + (reserve + heads + 1 + batch) * B > S * B) return fail(errc::invalid_argument);

  detail::sim_log<Policy> log(policy, opt, N, classes, heads, reserve, batch);
  detail::block_source source(workload, N, opt.seed);
  for (std::uint64_t b = 0; b < N; ++b) CLOUDLOG_TRY_VOID(log.user_write(b));
  const auto warm = static_cast<std::uint64_t>(opt.warmup_rounds * static_cast<double>(N));
  const auto measured = static_cast<std::uint64_t>(opt.measure_rounds * static_cast<double>(N));
  if (opt.burst > 0) {
    const auto burst = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::llround(opt.burst * static_cast<double>(N))));
    auto rounds = [&](std::uint64_t total) -> result<void> {
      for (std::uint64_t done = 0; done < total;) {
        for (std::uint64_t i = 0; i < burst; ++i, ++done)
          CLOUDLOG_TRY_VOID(log.user_write(source.next()));
        log.burst_pass();
      }
      return {};
    };
    CLOUDLOG_TRY_VOID(rounds(warm));
    log.start_measuring();
    CLOUDLOG_TRY_VOID(rounds(measured));
    return log.result_so_far();
  }
  for (std::uint64_t i = 0; i < warm; ++i) CLOUDLOG_TRY_VOID(log.user_write(source.next()));
  log.start_measuring();
  for (std::uint64_t i = 0; i < measured; ++i) CLOUDLOG_TRY_VOID(log.user_write(source.next()));
  return log.result_so_far();
}

}  // namespace cloudlog

#endif  // CLOUDLOG_POLICY_SIMULATOR_HPP
