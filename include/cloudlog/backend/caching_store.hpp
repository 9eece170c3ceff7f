// SPDX-License-Identifier: BSL-1.0
// caching_store: a decorator that keeps whole objects of a (remote) store in a
// local directory, bounded in size, verified by size and SHA-256 on every reuse.
#ifndef CLOUDLOG_BACKEND_CACHING_STORE_HPP
#define CLOUDLOG_BACKEND_CACHING_STORE_HPP

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/detail/digest.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/posix_io.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog {

// Where the cache lives and how large it may grow.
struct cache_options {
  // The cache directory (created if missing). It persists across runs; any file
  // in it that is not a verified entry is removed when the cache opens
  // (subdirectories are left alone).
  std::filesystem::path directory;
  // The bound on the bytes of cached objects; the least recently used go first.
  std::uint64_t max_bytes = 1ull << 30;
  // On a miss of a ranged read, fetch and cache the whole object (segments are
  // read item by item, so the rest is usually wanted soon). When false, only
  // whole-object reads fill the cache and ranged misses read just their range.
  bool fetch_whole_objects = true;
  // Re-hash an entry on every hit (true), or only on its first hit in this
  // process after it was loaded from the directory (false: later hits check the
  // size and read just the range asked for — much cheaper when a segment is
  // read item by item, but blind to a file damaged while the process runs).
  bool verify_every_hit = true;
};

// Counters of a caching_store.
struct cache_counters {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;  // entries dropped to respect max_bytes
  std::uint64_t corrupted = 0;  // entries dropped because size or SHA-256 did not match
  std::uint64_t bytes = 0;      // bytes cached now
  std::uint64_t entries = 0;    // objects cached now
};

// Wraps INNER (a store or a reference to one). Object NAME is cached as the file
// DIR/NAME with DIR/NAME.meta holding its size and SHA-256 (hex); a hit checks
// the size and re-hashes the file (every hit, or the first after loading — see
// cache_options::verify_every_hit), and an entry that does not match is dropped
// and fetched again, so a damaged cache costs a read, never wrong bytes. write and remove
// go to INNER and drop the entry first. Recency is kept in memory and in the
// files' modification times, so eviction order survives a restart.
// ASSUMES objects are not rewritten behind the cache's back (segments are
// written once under a fresh name); a rewrite through this store is seen.
// Thread-safe if INNER is (cache files are handled under one mutex).
// Failure codes: INNER's; cache-file failures are never reported (the read goes
// to INNER instead).
template <class Inner>
requires segment_store<std::remove_reference_t<Inner>>
class caching_store {
 public:
  // Opens the cache in OPTIONS.directory over INNER, loading the entries there.
  // Fails: errc::io_error if the directory cannot be created or read.
  static result<caching_store> open(Inner inner, cache_options options) {
    auto st = std::make_unique<state>();
    st->options = std::move(options);
    std::error_code ec;
    std::filesystem::create_directories(st->options.directory, ec);
    if (ec || !std::filesystem::is_directory(st->options.directory, ec))
      return fail(errc::io_error);
    if (auto ok = load(*st); !ok) return fail(ok.error());
    return caching_store(std::forward<Inner>(inner), std::move(st));
  }

  result<std::vector<segment_info>> list(std::uint32_t directory) { return inner_.list(directory); }

  // Serves from the cache when the object is there and verifies; else from INNER.
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    if (auto hit = lookup(name, offset, length)) return std::move(*hit);
    ++st_->misses;
    if (!st_->options.fetch_whole_objects && (offset != 0 || length != whole_object))
      return inner_.read(name, offset, length);
    auto whole = inner_.read(name, 0, whole_object);
    if (!whole) return fail(whole.error());
    insert(name, *whole);
    return slice(std::move(*whole), offset, length);
  }

  result<void> write(std::string_view name, byte_view data) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    drop(name);
    return inner_.write(name, data);
  }

  result<void> remove(std::string_view name) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    drop(name);
    return inner_.remove(name);
  }

  // Hits are served from the cache; the misses go to INNER as one batch.
  std::vector<result<bytes>> read_many(std::span<const read_request> requests) {
    std::vector<result<bytes>> out(requests.size(), fail(errc::io_error));
    std::vector<std::size_t> missed;
    std::vector<read_request> fetch;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& r = requests[i];
      if (auto ok = check_object_name(r.name); !ok) {
        out[i] = fail(ok.error());
      } else if (auto hit = lookup(r.name, r.offset, r.length)) {
        out[i] = std::move(*hit);
      } else {
        ++st_->misses;
        missed.push_back(i);
        const bool whole = st_->options.fetch_whole_objects;
        fetch.push_back(whole ? read_request{r.name, 0, whole_object} : r);
      }
    }
    auto got = read_batch(inner_, std::span<const read_request>(fetch));
    for (std::size_t j = 0; j < missed.size(); ++j) {
      const auto& r = requests[missed[j]];
      if (!got[j]) {
        out[missed[j]] = fail(got[j].error());
      } else if (st_->options.fetch_whole_objects) {
        insert(r.name, *got[j]);
        out[missed[j]] = slice(std::move(*got[j]), r.offset, r.length);
      } else {
        if (r.offset == 0 && r.length == whole_object) insert(r.name, *got[j]);
        out[missed[j]] = std::move(got[j]);
      }
    }
    return out;
  }

  // INNER's (read_cost_of).
  static constexpr read_cost_model read_cost = read_cost_of<std::remove_reference_t<Inner>>();
  // INNER's (batch_remove_limit).
  static constexpr std::size_t max_batch_remove =
      batch_remove_limit<std::remove_reference_t<Inner>>();

  // Present when INNER has remove_many.
  result<void> remove_many(std::span<const std::string> names) requires
      batch_removable<std::remove_reference_t<Inner>> {
    for (const auto& n : names)
      if (auto ok = check_object_name(n); !ok) return fail(ok.error());
    for (const auto& n : names) drop(n);
    return inner_.remove_many(names);
  }

  cache_counters counters() const {
    std::lock_guard lock(st_->mutex);
    return {st_->hits.load(), st_->misses.load(), st_->evictions,
            st_->corrupted,   st_->total,         st_->entries.size()};
  }
  const cache_options& options() const noexcept { return st_->options; }
  // The wrapped store.
  std::remove_reference_t<Inner>& inner() noexcept { return inner_; }

 private:
  struct entry {
    std::uint64_t size = 0;
    std::string sha256;      // hex
    std::uint64_t used = 0;  // recency: larger is more recent
    bool verified = false;   // hashed since this process loaded it, or written by it
  };
  struct state {
    cache_options options;
    mutable std::mutex mutex;
    std::map<std::string, entry, std::less<>> entries;
    std::uint64_t total = 0, clock = 0, evictions = 0, corrupted = 0;
    std::atomic<std::uint64_t> hits{0}, misses{0};
  };

  caching_store(Inner inner, std::unique_ptr<state> st)
      : inner_(std::forward<Inner>(inner)), st_(std::move(st)) {}

  static std::filesystem::path data_path(const state& st, std::string_view name) {
    return st.options.directory / std::string(name);
  }
  static std::filesystem::path meta_path(const state& st, std::string_view name) {
    return st.options.directory / (std::string(name) + ".meta");
  }

  static bool read_whole(const std::filesystem::path& p, bytes& out) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    bool ok = ::fstat(fd, &st) == 0;
    if (ok) {
      out.resize(static_cast<std::size_t>(st.st_size));
      const auto got = posix::read_all(fd, out);
      ok = got && *got == out.size();
    }
    ::close(fd);
    return ok;
  }

  static bool write_file(const std::filesystem::path& p, byte_view data) {
    std::string tmp = p.string() + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) return false;
    const auto put = posix::write_all(fd, data);
    bool ok = put && *put == data.size();
    ok = ::close(fd) == 0 && ok && ::rename(tmp.c_str(), p.c_str()) == 0;
    if (!ok) ::unlink(tmp.c_str());
    return ok;
  }

  // Parses "SIZE SHA256HEX\n".
  static bool parse_meta(const bytes& text, entry& e) {
    const auto s = as_chars(text);
    const auto sp = s.find(' ');
    if (sp == s.npos || sp == 0 || s.size() != sp + 1 + 64 + 1 || s.back() != '\n') return false;
    std::uint64_t size = 0;
    for (char c : s.substr(0, sp)) {
      if (c < '0' || c > '9') return false;
      size = size * 10 + static_cast<std::uint64_t>(c - '0');
    }
    e.size = size;
    e.sha256 = std::string(s.substr(sp + 1, 64));
    return true;
  }

  // Loads the entries in the directory, oldest first by modification time, and
  // removes everything else (temporary files, orphans, unreadable metadata).
  static result<void> load(state& st) {
    std::error_code ec;
    std::vector<std::pair<std::filesystem::file_time_type, std::string>> found;
    std::vector<std::filesystem::path> junk;
    for (auto it = std::filesystem::directory_iterator(st.options.directory, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (it->is_directory()) continue;  // not the cache's (the usage index's local copy)
      if (name.ends_with(".meta") && check_object_name(name.substr(0, name.size() - 5))) continue;
      if (!check_object_name(name) || !it->is_regular_file()) {
        junk.push_back(it->path());
        continue;
      }
      found.emplace_back(it->last_write_time(), name);
    }
    if (ec) return fail(errc::io_error);
    std::sort(found.begin(), found.end());
    for (const auto& [when, name] : found) {
      bytes meta;
      entry e;
      std::error_code size_ec;
      const auto size = std::filesystem::file_size(data_path(st, name), size_ec);
      if (!read_whole(meta_path(st, name), meta) || !parse_meta(meta, e) || size_ec ||
          size != e.size) {
        junk.push_back(data_path(st, name));
        continue;
      }
      e.used = ++st.clock;
      st.total += e.size;
      st.entries.emplace(name, std::move(e));
    }
    for (auto it = std::filesystem::directory_iterator(st.options.directory, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (name.ends_with(".meta") && !st.entries.contains(name.substr(0, name.size() - 5)))
        junk.push_back(it->path());
    }
    for (const auto& p : junk) std::filesystem::remove(p, ec);
    evict(st);
    return {};
  }

  // The read of [OFFSET, OFFSET + LENGTH) of NAME served from the cache, if NAME is
  // cached and its file verifies: its size always, its SHA-256 on every hit or on
  // the first (options().verify_every_hit). The file is streamed through the hash
  // and only the range asked for is kept. Nothing: a miss (a damaged entry is dropped).
  std::optional<result<bytes>> lookup(std::string_view name, std::uint64_t offset,
                                      std::uint64_t length) {
    std::lock_guard lock(st_->mutex);
    auto it = st_->entries.find(name);
    if (it == st_->entries.end()) return std::nullopt;
    auto& e = it->second;
    const int fd = ::open(data_path(*st_, name).c_str(), O_RDONLY | O_CLOEXEC);
    struct stat info;
    const bool sized =
        fd >= 0 && ::fstat(fd, &info) == 0 && static_cast<std::uint64_t>(info.st_size) == e.size;
    std::optional<result<bytes>> out;
    if (sized) {
      const bool hash = st_->options.verify_every_hit || !e.verified;
      if (offset > e.size) {
        out = fail(errc::out_of_range);
      } else {
        const auto n = std::min<std::uint64_t>(length, e.size - offset);
        bytes data(n);
        if (read_range(fd, e.size, offset, data, hash ? &e.sha256 : nullptr)) out = std::move(data);
      }
      if (out && hash) e.verified = true;
    }
    if (fd >= 0) ::close(fd);
    if (!out) {
      ++st_->corrupted;
      erase(*st_, it);
      return std::nullopt;
    }
    e.used = ++st_->clock;
    ::utimensat(AT_FDCWD, data_path(*st_, name).c_str(), nullptr, 0);  // recency for restarts
    ++st_->hits;
    return out;
  }

  // Reads OUT.size() bytes at OFFSET of the SIZE-byte file FD into OUT; with
  // EXPECTED, streams the whole file through SHA-256 and compares. False on any
  // read failure or mismatch.
  static bool read_range(int fd, std::uint64_t size, std::uint64_t offset, bytes& out,
                         const std::string* expected) {
    if (!expected) {
      const auto got = posix::pread_all(fd, out, offset);
      return got && *got == out.size();
    }
    detail::sha256_stream hash;
    std::vector<std::byte> chunk(1 << 20);
    for (std::uint64_t at = 0; at < size;) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - at));
      const auto r = posix::retry_eintr(
          [&] { return ::pread(fd, chunk.data(), want, static_cast<off_t>(at)); });
      if (r <= 0) return false;
      const auto got = static_cast<std::uint64_t>(r);
      hash.update(byte_view(chunk.data(), got));
      // Keep the part of this chunk that falls in [offset, offset + out.size()).
      const auto lo = std::max(at, offset), hi = std::min(at + got, offset + out.size());
      if (lo < hi)
        std::copy(chunk.begin() + static_cast<std::ptrdiff_t>(lo - at),
                  chunk.begin() + static_cast<std::ptrdiff_t>(hi - at),
                  out.begin() + static_cast<std::ptrdiff_t>(lo - offset));
      at += got;
    }
    return to_hex(hash.finish()) == *expected;
  }

  void insert(std::string_view name, byte_view data) {
    std::lock_guard lock(st_->mutex);
    if (data.size() > st_->options.max_bytes) return;
    if (auto it = st_->entries.find(name); it != st_->entries.end()) erase(*st_, it);
    entry e{data.size(), detail::sha256_hex(data), ++st_->clock, true};
    const std::string meta = std::to_string(e.size) + " " + e.sha256 + "\n";
    // Metadata first: a data file without metadata is junk, never trusted.
    if (!write_file(meta_path(*st_, name), as_bytes(meta)) ||
        !write_file(data_path(*st_, name), data)) {
      std::error_code ec;
      std::filesystem::remove(meta_path(*st_, name), ec);
      std::filesystem::remove(data_path(*st_, name), ec);
      return;
    }
    st_->total += e.size;
    st_->entries.emplace(std::string(name), std::move(e));
    evict(*st_);
  }

  void drop(std::string_view name) {
    std::lock_guard lock(st_->mutex);
    if (auto it = st_->entries.find(name); it != st_->entries.end()) erase(*st_, it);
  }

  static void erase(state& st, typename std::map<std::string, entry, std::less<>>::iterator it) {
    std::error_code ec;
    std::filesystem::remove(data_path(st, it->first), ec);
    std::filesystem::remove(meta_path(st, it->first), ec);
    st.total -= it->second.size;
    st.entries.erase(it);
  }

  // Drops least recently used entries until the total fits max_bytes.
  static void evict(state& st) {
    while (st.total > st.options.max_bytes && !st.entries.empty()) {
      auto oldest = std::min_element(
          st.entries.begin(), st.entries.end(),
          [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
      erase(st, oldest);
      ++st.evictions;
    }
  }

  static result<bytes> slice(bytes whole, std::uint64_t offset, std::uint64_t length) {
    if (offset > whole.size()) return fail(errc::out_of_range);
    const auto n = std::min<std::uint64_t>(length, whole.size() - offset);
    if (offset == 0 && n == whole.size()) return whole;
    return bytes(whole.begin() + static_cast<std::ptrdiff_t>(offset),
                 whole.begin() + static_cast<std::ptrdiff_t>(offset + n));
  }

  Inner inner_;
  std::unique_ptr<state> st_;
};

// Opens a caching_store over INNER (an lvalue is wrapped by reference, an rvalue moved in).
// Fails: errc::io_error (see caching_store::open).
template <class Inner>
requires segment_store<std::remove_reference_t<Inner>> result<caching_store<Inner>>
make_caching_store(Inner&& inner, cache_options options) {
  return caching_store<Inner>::open(std::forward<Inner>(inner), std::move(options));
}

static_assert(segment_store<caching_store<memory_store>>);
static_assert(batch_readable<caching_store<memory_store&>>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_CACHING_STORE_HPP
