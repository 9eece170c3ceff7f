// SPDX-License-Identifier: BSL-1.0
// memory_store: a segment_store held in memory (tests, demos, crash simulation).
#ifndef CLOUDLOG_BACKEND_MEMORY_STORE_HPP
#define CLOUDLOG_BACKEND_MEMORY_STORE_HPP

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog {

// A segment store in memory. All operations are thread-safe.
class memory_store {
 public:
  result<std::vector<segment_info>> list(std::uint32_t directory) {
    std::lock_guard lock(mutex_);
    std::vector<segment_info> out;
    const auto prefix = segment_prefix(directory);
    for (auto it = objects_.lower_bound(prefix);
         it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
      out.push_back({*parse_segment_name(it->first), it->first, it->second.size()});
    return out;
  }

  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    std::lock_guard lock(mutex_);
    auto it = objects_.find(name);
    if (it == objects_.end()) return fail(errc::not_found);
    const auto& b = it->second;
    if (offset > b.size()) return fail(errc::out_of_range);
    const auto n = std::min<std::uint64_t>(length, b.size() - offset);
    return bytes(b.begin() + static_cast<std::ptrdiff_t>(offset),
                 b.begin() + static_cast<std::ptrdiff_t>(offset + n));
  }

  result<void> write(std::string_view name, byte_view data) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    bytes copy(data.begin(), data.end());
    std::lock_guard lock(mutex_);
    objects_.insert_or_assign(std::string(name), std::move(copy));
    return {};
  }

  result<void> remove(std::string_view name) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    std::lock_guard lock(mutex_);
    if (auto it = objects_.find(name); it != objects_.end()) objects_.erase(it);
    return {};
  }

  // A copy of every object, by name (for tests and snapshots).
  std::map<std::string, bytes, std::less<>> snapshot() const {
    std::lock_guard lock(mutex_);
    return objects_;
  }

  // Replaces every object with SNAPSHOT's.
  void restore(std::map<std::string, bytes, std::less<>> snapshot) {
    std::lock_guard lock(mutex_);
    objects_ = std::move(snapshot);
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, bytes, std::less<>> objects_;
};
static_assert(segment_store<memory_store>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_MEMORY_STORE_HPP
