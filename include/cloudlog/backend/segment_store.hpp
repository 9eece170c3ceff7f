// SPDX-License-Identifier: BSL-1.0
// segment_store: the concept of a place segments live (memory, a directory, S3, a
// simple-store server), object-name rules, and batched reads.
#ifndef CLOUDLOG_BACKEND_SEGMENT_STORE_HPP
#define CLOUDLOG_BACKEND_SEGMENT_STORE_HPP

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlog/bytes.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog {

// One listed segment: its id, its object name and its size in bytes.
struct segment_info {
  segment_id id;
  std::string name;
  std::uint64_t size = 0;
  friend bool operator==(const segment_info&, const segment_info&) = default;
};

// The length to pass to read() for "to the end of the object".
inline constexpr std::uint64_t whole_object = std::numeric_limits<std::uint64_t>::max();

// A segment store S holds immutable objects named by segment names
// (docs/concepts/segment_store.md). Laws, checked by the conformance suite
// (tests/backend/conformance.hpp) for every model:
//   * write then read returns exactly the bytes written; write replaces whole
//     objects atomically (a reader never sees part of an object);
//   * list(d) returns every object of directory d, ascending by sequence, with
//     its exact size, and nothing else;
//   * names holding '/', "..", NUL, or that are not segment names, are refused
//     with errc::invalid_name by every operation, before any I/O;
//   * read of a missing object fails with errc::not_found; read at an offset past
//     the end fails with errc::out_of_range; a read running past the end returns
//     the bytes up to the end;
//   * remove of a missing object succeeds (deletion is idempotent, so an
//     interrupted cleaner can simply run again).
template <class S>
concept segment_store = requires(S& s, std::string_view name, std::uint32_t directory,
                                 std::uint64_t offset, std::uint64_t length, byte_view data) {
  // Lists the segments of log directory DIRECTORY, ascending by sequence.
  { s.list(directory) } -> std::same_as<result<std::vector<segment_info>>>;
  // Reads up to LENGTH bytes at OFFSET of object NAME (whole_object: to the end).
  { s.read(name, offset, length) } -> std::same_as<result<bytes>>;
  // Creates or replaces object NAME with DATA, atomically and durably.
  { s.write(name, data) } -> std::same_as<result<void>>;
  // Deletes object NAME; a missing object is not an error.
  { s.remove(name) } -> std::same_as<result<void>>;
};

// Fails with errc::invalid_name unless NAME is a segment name; the characters
// '/', NUL and the sequence ".." are refused explicitly (they could escape a
// directory or a key prefix), before the name is parsed.
inline result<segment_id> check_object_name(std::string_view name) {
  if (name.empty() || name.find('/') != name.npos || name.find('\0') != name.npos ||
      name.find("..") != name.npos)
    return fail(errc::invalid_name);
  auto id = parse_segment_name(name);
  if (!id) return fail(errc::invalid_name);
  return *id;
}

// One read of a batch.
struct read_request {
  std::string name;
  std::uint64_t offset = 0;
  std::uint64_t length = whole_object;
};

// A store that can serve a batch of reads itself (in parallel, for remote stores).
template <class S>
concept batch_readable = segment_store<S> && requires(S& s, std::span<const read_request> r) {
  // The results of R, in R's order.
  { s.read_many(r) } -> std::same_as<std::vector<result<bytes>>>;
};

// Serves the reads REQUESTS from STORE: through its read_many when it has one,
// else one after another. Results come in REQUESTS' order.
template <segment_store Store>
std::vector<result<bytes>> read_batch(Store& store, std::span<const read_request> requests) {
  if constexpr (batch_readable<Store>) {
    return store.read_many(requests);
  } else {
    std::vector<result<bytes>> out;
    out.reserve(requests.size());
    for (const auto& r : requests) out.push_back(store.read(r.name, r.offset, r.length));
    return out;
  }
}

// A store that can serve a batch of reads into buffers the caller provides: no
// buffer is allocated or zero-filled per read, so a caller that reuses its
// buffers reads into memory whose pages are in already (the file store's pread
// straight into the cleaner's read buffers). Optional: read_batch_into serves any
// store.
template <class S>
concept readable_into = segment_store<S> &&
    requires(S& s, std::span<const read_request> r, std::span<const mutable_byte_view> out) {
  // For each request R[k], up to min(R[k].length, OUT[k].size()) bytes at
  // R[k].offset of object R[k].name, written to the start of OUT[k]: how many
  // (fewer only at the object's end), or the error read() would give; in R's
  // order. REQUIRES: OUT.size() == R.size().
  { s.read_many_into(r, out) } -> std::same_as<std::vector<result<std::uint64_t>>>;
};

// Serves the reads REQUESTS from STORE into OUT (one buffer per request, as
// readable_into's read_many_into): through its read_many_into when it has one,
// else through read_batch, each result copied into its buffer.
// REQUIRES: OUT.size() == REQUESTS.size().
template <segment_store Store>
std::vector<result<std::uint64_t>> read_batch_into(Store& store,
                                                   std::span<const read_request> requests,
                                                   std::span<const mutable_byte_view> out) {
  if constexpr (readable_into<Store>) {
    return store.read_many_into(requests, out);
  } else {
    std::vector<read_request> clamped(requests.begin(), requests.end());
    for (std::size_t k = 0; k < clamped.size(); ++k)
      clamped[k].length = std::min<std::uint64_t>(clamped[k].length, out[k].size());
    auto got = read_batch(store, std::span<const read_request>(clamped));
    std::vector<result<std::uint64_t>> done;
    done.reserve(got.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      if (!got[k]) {
        done.push_back(fail(got[k].error()));
        continue;
      }
      const auto n = std::min<std::size_t>(got[k]->size(), out[k].size());
      std::copy_n(got[k]->begin(), n, out[k].begin());
      done.push_back(std::uint64_t{n});
    }
    return done;
  }
}

// Lists every segment of DIRECTORIES in STORE, directory by directory.
template <segment_store Store>
result<std::vector<segment_info>> list_all(Store& store,
                                           std::initializer_list<std::uint32_t> directories) {
  std::vector<segment_info> all;
  for (auto d : directories) {
    auto l = store.list(d);
    if (!l) return fail(l.error());
    all.insert(all.end(), l->begin(), l->end());
  }
  return all;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_SEGMENT_STORE_HPP
