// SPDX-License-Identifier: BSL-1.0
// The segments a cleaning pass fills in its output directory, one open per (group, class).
#ifndef CLOUDLOG_CLEANER_DETAIL_OUTPUT_LOG_HPP
#define CLOUDLOG_CLEANER_DETAIL_OUTPUT_LOG_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "cloudlog/bytes.hpp"
#include "cloudlog/cleaner/detail/buffer_pool.hpp"
#include "cloudlog/location.hpp"

namespace cloudlog::detail {

// Output-segment buffers kept between the passes of one process, emptied (at
// most kept_buffers, the largest): a daemon's next pass fills pages already
// faulted in, not fresh ones (fresh pages were about a sixth of a small-file
// pass's CPU, docs/performance.md, "cleaner on the presets"). Thread-safe.
class segment_buffers {
 public:
  static constexpr std::size_t kept_buffers = 4;

  // The kept buffer of the smallest capacity at least N (then no longer kept), or
  // an empty one; FAULTED (if given) is set to how many of its first bytes have
  // their pages in (0 for an empty one).
  static bytes take(std::size_t n, std::size_t* faulted = nullptr) {
    if (faulted) *faulted = 0;
    auto kept = pool::take(n);
    if (!kept) return {};
    if (faulted) *faulted = kept->faulted;
    return std::move(kept->data);
  }

  // Keeps B, emptied, unless kept_buffers larger ones are kept already. Its first
  // B.size() bytes were written, so their pages are in: a pass filling it again
  // need not fault them in.
  static void give(bytes b) {
    const auto faulted = b.size();
    give(std::move(b), faulted);
  }
  // Keeps B, emptied, whose first FAULTED bytes have their pages in.
  static void give(bytes b, std::size_t faulted) {
    if (b.capacity() == 0) return;
    b.clear();
    const auto in = std::min(faulted, b.capacity());
    pool::give({std::move(b), in});
  }

 private:
  struct kept_buffer {
    bytes data;  // empty
    std::size_t faulted = 0;
    std::size_t capacity() const noexcept { return data.capacity(); }
  };
  using pool = buffer_pool<kept_buffer, kept_buffers>;
};

class output_log {
 public:
  struct segment {
    std::uint32_t sequence = 0;
    bytes data;
    std::uintptr_t faulted = 0;  // DATA's pages below this address are faulted in
  };

  // Where an appended item went, and the segment it filled (to be written now).
  struct appended {
    location where;
    std::optional<segment> full;
  };

  output_log(std::uint32_t directory, std::uint32_t next_sequence, std::uint64_t target)
      : directory_(directory), next_sequence_(next_sequence), target_(target) {}

  // Appends ITEM to the open segment of (GROUP, CLS), opening one if needed; a
  // segment that reaches the target is closed and handed back.
  appended append(std::uint32_t group, std::uint32_t cls, byte_view item) {
    auto key = std::pair(group, cls);
    auto it = open_.find(key);
    if (it == open_.end()) {
      it = open_.emplace(key, segment{next_sequence_++, {}}).first;
      // Room for a full segment at once: growing it item by item would copy it
      // and fault its pages in again at every doubling. A written segment's buffer
      // given back (recycle) has its pages in already.
      // Their pages are not faulted in again (an madvise over pages already in
      // still walks them: 5 % of a small-file pass's CPU).
      auto& seg = it->second;
      std::size_t faulted = 0;
      if (!spare_.empty() && spare_.back().data.capacity() >= target_ + item.size()) {
        seg.data = std::move(spare_.back().data);
        faulted = spare_.back().faulted;
        spare_.pop_back();
      } else {
        seg.data = segment_buffers::take(target_ + item.size(), &faulted);
        seg.data.reserve(target_ + item.size());
      }
      seg.faulted = reinterpret_cast<std::uintptr_t>(seg.data.data()) + faulted;
    }
    auto& seg = it->second;
    fault_in(seg, item.size());
    appended out{location{directory_, seg.sequence, static_cast<std::uint32_t>(seg.data.size()),
                          static_cast<std::uint32_t>(item.size())},
                 std::nullopt};
    append_to(seg.data, item);
    if (seg.data.size() >= target_) {
      out.full = std::move(seg);
      open_.erase(it);
    }
    return out;
  }

  // Places the root so that its segment has the highest sequence of the run: in the
  // open segment of GROUP if that was the last one opened, else in a new one.
  // Returns the root's location; the root segment is then root_segment().
  location place_root(std::uint32_t group, byte_view item) {
    auto it = open_.find(std::pair(group, std::uint32_t{0}));
    if (it != open_.end() && it->second.sequence + 1 == next_sequence_) {
      root_ = std::move(it->second);
      open_.erase(it);
    } else {
      root_ = segment{next_sequence_++, {}};
    }
    const location where{directory_, root_.sequence, static_cast<std::uint32_t>(root_.data.size()),
                         static_cast<std::uint32_t>(item.size())};
    append_to(root_.data, item);
    return where;
  }

  // The segments still open (not holding the root), lowest sequence first.
  std::vector<segment> take_open() { return take_open_but({}); }

  // The open segments of every group but those of KEEP (which stay open), lowest
  // sequence first: the groups no item will be appended to any more.
  std::vector<segment> take_open_but(const std::set<std::uint32_t>& keep) {
    std::vector<segment> out;
    for (auto it = open_.begin(); it != open_.end();) {
      if (keep.count(it->first.first)) {
        ++it;
        continue;
      }
      out.push_back(std::move(it->second));
      it = open_.erase(it);
    }
    std::sort(out.begin(), out.end(),
              [](const segment& a, const segment& b) { return a.sequence < b.sequence; });
    return out;
  }
  segment& root_segment() { return root_; }

  // Takes back BUFFER, the bytes of a segment handed out and written, to fill a
  // later segment with (unless it is smaller than the target, or max_spare are
  // held already): its memory is reused rather than faulted in afresh.
  void recycle(bytes buffer) {
    if (spare_.size() >= max_spare || buffer.capacity() < target_) return;
    const auto faulted = buffer.size();  // written, so faulted in
    buffer.clear();
    spare_.push_back({std::move(buffer), faulted});
  }
  static constexpr std::size_t max_spare = 2;

  // Hands the buffers given back (recycle) to segment_buffers, for the next pass.
  void release_spare() {
    for (auto& b : spare_) segment_buffers::give(std::move(b.data), b.faulted);
    spare_.clear();
  }
  std::uint32_t directory() const { return directory_; }

 private:
  static void append_to(bytes& b, byte_view item) { b.insert(b.end(), item.begin(), item.end()); }

  // Faults in the pages of SEG's buffer that its next N bytes touch, and up to
  // fault_step past them, with one call (populate_pages) rather than a trap per
  // 4 KiB page as they are written.
  static void fault_in(segment& seg, std::size_t n) {
    constexpr std::uintptr_t page = 4096;
    const auto base = reinterpret_cast<std::uintptr_t>(seg.data.data());
    const auto end = base + seg.data.size() + n;
    if (end <= seg.faulted) return;
    const auto limit = (base + seg.data.capacity()) / page * page;
    const auto from = std::max(seg.faulted, (base + seg.data.size() + page - 1) / page * page);
    const auto to = std::min(limit, (end + fault_step + page - 1) / page * page);
    seg.faulted = std::max(to, end);
    populate_pages(from, to);
  }
  static constexpr std::uintptr_t fault_step = 256u << 10;

  std::uint32_t directory_;
  std::uint32_t next_sequence_;
  std::uint64_t target_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, segment> open_;
  segment root_;
  struct spare_buffer {
    bytes data;               // empty
    std::size_t faulted = 0;  // its first bytes whose pages are in
  };
  std::vector<spare_buffer> spare_;  // recycled buffers
};

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_CLEANER_DETAIL_OUTPUT_LOG_HPP
