// SPDX-License-Identifier: BSL-1.0
// read_cost_model: what a ranged read costs on a kind of store (a request against
// bytes), from which the cleaner's read planner decides which reads to merge.
#ifndef CLOUDLOG_BACKEND_READ_COST_HPP
#define CLOUDLOG_BACKEND_READ_COST_HPP

#include <cstddef>
#include <cstdint>
#include <future>

namespace cloudlog {

// What a read costs on a kind of store, in bytes: one request costs as much as
// reading REQUEST_BYTES more, so two needed ranges of one object are read as one
// only when the gap between them is smaller. MAX_WASTE bounds the gap bytes read
// in one planned batch to that fraction of the needed bytes (the cheapest gaps
// are merged first), so a pass never reads much more than it needs whatever the
// layout. FAN_OUT: how many batches of one planned fetch are worth running at
// once (each a read_many: on a remote store, its parallelism of requests in
// flight), so that a fetch of many ranges costs few round trips one after another.
// LEVEL_FAN_OUT: as FAN_OUT, for a fetch nothing else overlaps, whose items the
// pass needs before it can plan its next reads (a walk level, the first relocation
// batch): there a round trip more is a round trip on the pass's clock.
struct read_cost_model {
  std::uint64_t request_bytes = 16u << 10;
  double max_waste = 0.10;
  std::size_t fan_out = 1;
  std::size_t level_fan_out = 1;
  friend bool operator==(const read_cost_model&, const read_cost_model&) = default;
};

// A local file: a request is a system call and a seek (~20 us), against ~1 GB/s
// of page-cache or disk bandwidth: about 16 KiB; no round trip to hide.
inline constexpr read_cost_model local_read_cost{16u << 10, 0.10, 1, 1};
// An object store (S3, the simple store over TCP): a request is a round trip
// (~10-30 ms, and on S3 a priced GET) against ~50-100 MB/s per connection: about
// 1 MiB. Fan-out 1: the planner's own (reads_ahead + 1 batches of
// s3_options::parallelism requests); 8 (64 in flight) made a walk level one round
// trip instead of two on the S3 bench store but cost more CPU than it saved
// against s3rver on the shared 2-core machine (docs/performance.md, "cleaner on S3").
// Level fan-out 8: a walk level (37 runs on the S3 bench store) and the first
// relocation batch in flight at once, one round trip each rather than two or more.
inline constexpr read_cost_model remote_read_cost{1u << 20, 0.10, 1, 8};

// The cost model of store S: S::read_cost when S declares it (remote stores do;
// decorators forward their inner store's), else local_read_cost.
template <class S>
constexpr read_cost_model read_cost_of() noexcept {
  if constexpr (requires { S::read_cost; })
    return S::read_cost;
  else
    return local_read_cost;
}

// How independent requests to store S are best started (the policy of std::async):
// at once, on other threads, where a request is a round trip to hide (its cost
// model's request is dearer than a local one); else deferred, each run on the
// thread that waits for it, since starting a thread costs more than a local read
// (a system call, a copy) and gains nothing.
template <class S>
constexpr std::launch request_launch() noexcept {
  return read_cost_of<S>().request_bytes > local_read_cost.request_bytes ? std::launch::async
                                                                         : std::launch::deferred;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_READ_COST_HPP
