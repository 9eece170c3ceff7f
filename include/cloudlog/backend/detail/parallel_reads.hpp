// SPDX-License-Identifier: BSL-1.0
// Runs a batch of reads on a few threads at once (the remote stores' read_many).
#ifndef CLOUDLOG_BACKEND_DETAIL_PARALLEL_READS_HPP
#define CLOUDLOG_BACKEND_DETAIL_PARALLEL_READS_HPP

#include <algorithm>
#include <atomic>
#include <span>
#include <thread>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog::detail {

// READ(request) for every request, on up to PARALLELISM threads (the caller's
// included); results in REQUESTS' order. READ must be thread-safe.
template <class Read>
std::vector<result<bytes>> parallel_reads(std::span<const read_request> requests,
                                          std::size_t parallelism, Read read) {
  std::vector<result<bytes>> out(requests.size(), fail(errc::io_error));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < requests.size();) out[i] = read(requests[i]);
  };
  const auto n = std::min<std::size_t>(std::max<std::size_t>(parallelism, 1), requests.size());
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_BACKEND_DETAIL_PARALLEL_READS_HPP
