// SPDX-License-Identifier: BSL-1.0
// Buffers kept between the batches and passes of one process (a process-wide pool
// per buffer type), and faulting a buffer's pages in with one call.
#ifndef CLOUDLOG_CLEANER_DETAIL_BUFFER_POOL_HPP
#define CLOUDLOG_CLEANER_DETAIL_BUFFER_POOL_HPP

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cloudlog::detail {

// Faults in the whole pages inside [FROM, TO) with one call (Linux 5.14+:
// MADV_POPULATE_WRITE) rather than a trap per page as they are written: in a VM
// the traps were most of the cost of filling fresh memory (docs/performance.md,
// "cleaner on the presets"). Only advice: elsewhere, or on an older kernel, the
// pages fault in as they are written.
inline void populate_pages([[maybe_unused]] std::uintptr_t from,
                           [[maybe_unused]] std::uintptr_t to) noexcept {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  constexpr std::uintptr_t page = 4096;
  from = (from + page - 1) / page * page;
  to = to / page * page;
  if (from < to) (void)::madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);
#endif
}

// A process-wide pool of at most Kept buffers of type Buffer (one pool per type),
// whose capacity() says how many bytes one can hold. Thread-safe.
template <class Buffer, std::size_t Kept = 4>
requires requires(const Buffer& b) {
  { b.capacity() } -> std::convertible_to<std::size_t>;
}
class buffer_pool {
 public:
  static constexpr std::size_t kept_buffers = Kept;

  // The kept buffer of the smallest capacity at least N (then no longer kept), or
  // nullopt when none is that large.
  static std::optional<Buffer> take(std::size_t n) {
    std::lock_guard lock(mutex());
    auto& kept = buffers();
    auto best = kept.end();
    for (auto it = kept.begin(); it != kept.end(); ++it)
      if (it->capacity() >= n && (best == kept.end() || it->capacity() < best->capacity()))
        best = it;
    if (best == kept.end()) return std::nullopt;
    std::optional<Buffer> out(std::move(*best));
    kept.erase(best);
    return out;
  }

  // Keeps B, unless Kept buffers are kept already and none is smaller than B (else
  // B takes the smallest one's place).
  static void give(Buffer b) {
    std::lock_guard lock(mutex());
    auto& kept = buffers();
    if (kept.size() < Kept) {
      kept.push_back(std::move(b));
      return;
    }
    auto smallest = std::min_element(
        kept.begin(), kept.end(),
        [](const Buffer& x, const Buffer& y) { return x.capacity() < y.capacity(); });
    if (smallest != kept.end() && smallest->capacity() < b.capacity()) *smallest = std::move(b);
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<Buffer>& buffers() {
    static std::vector<Buffer> kept;
    return kept;
  }
};

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_CLEANER_DETAIL_BUFFER_POOL_HPP
