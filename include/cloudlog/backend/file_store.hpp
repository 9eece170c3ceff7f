// SPDX-License-Identifier: BSL-1.0
// file_store: a segment_store in one local directory, one file per segment.
#ifndef CLOUDLOG_BACKEND_FILE_STORE_HPP
#define CLOUDLOG_BACKEND_FILE_STORE_HPP

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/conditional_store.hpp"
#include "cloudlog/backend/posix_io.hpp"
#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog {

namespace detail {
// Closes a file descriptor when it goes out of scope.
class fd_guard {
 public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  fd_guard(fd_guard&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// A file's version tag: inode, size and change time (a write renames a new file
// over the name, so every write changes it).
inline std::string file_version(const struct stat& st) {
  return std::to_string(st.st_ino) + "-" + std::to_string(st.st_size) + "-" +
         std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
}

inline std::error_code errno_code(int e) {
  if (e == ENOENT) return make_error_code(errc::not_found);
  return make_error_code(errc::io_error);
}
}  // namespace detail

// A segment store in one directory: object NAME is the file DIR/NAME. Writes go
// to a temporary file that is fsynced, renamed over NAME and followed by an
// fsync of the directory, so a crash leaves the old object or the new one,
// never a part. Temporary files are named ".tmp-NAME-XXXXXX" and never listed.
// Operations are thread-safe (each is independent system calls). The conditional
// operations (conditional_store) hold an exclusive flock(2) on the directory, so
// they are atomic against each other across processes on one machine (and on
// file systems whose flock is shared between machines).
class file_store {
 public:
  // Opens the store in DIR.
  // Fails: errc::not_found if DIR is not an existing directory.
  static result<file_store> open(std::filesystem::path dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return fail(errc::not_found);
    return file_store(std::move(dir));
  }

  // Opens the store in DIR, creating the directory (and parents) if needed.
  // Fails: errc::io_error if it cannot be created.
  static result<file_store> create(std::filesystem::path dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(errc::io_error);
    return open(std::move(dir));
  }

  // The directory this store lives in.
  const std::filesystem::path& directory() const noexcept { return dir_; }

  // Lists directory DIRECTORY's segments; files that are not segment names are ignored.
  // Fails: errc::io_error if the directory cannot be read.
  result<std::vector<segment_info>> list(std::uint32_t directory) {
    DIR* d = ::opendir(dir_.c_str());
    if (!d) return fail(detail::errno_code(errno));
    std::vector<segment_info> out;
    const auto prefix = segment_prefix(directory);
    while (auto* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n.compare(0, prefix.size(), prefix) != 0) continue;
      auto id = parse_segment_name(n);
      if (!id) continue;
      struct stat st;
      if (::stat((dir_ / std::string(n)).c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // removed while listing
        ::closedir(d);
        return fail(errc::io_error);
      }
      if (!S_ISREG(st.st_mode)) continue;
      out.push_back({*id, std::string(n), static_cast<std::uint64_t>(st.st_size)});
    }
    ::closedir(d);
    std::sort(out.begin(), out.end(),
              [](const segment_info& a, const segment_info& b) { return a.id < b.id; });
    return out;
  }

  // Fails: errc::invalid_name, errc::not_found, errc::out_of_range, errc::io_error.
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    detail::fd_guard fd(::open(path_of(name).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return fail(detail::errno_code(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail(errc::io_error);
    return read_open(fd.get(), static_cast<std::uint64_t>(st.st_size), offset, length);
  }

  // The reads REQUESTS, in their order, each as read() would serve it. A file is
  // opened once for a run of consecutive requests naming it (the read planner sends
  // each segment's ranges together), so a batch costs one pread per range.
  std::vector<result<bytes>> read_many(std::span<const read_request> requests) {
    std::vector<result<bytes>> out;
    out.reserve(requests.size());
    for_each_open(requests, [&](std::size_t k, result<std::pair<int, std::uint64_t>> file) {
      if (!file)
        out.push_back(fail(file.error()));
      else
        out.push_back(read_open(file->first, file->second, requests[k].offset, requests[k].length));
    });
    return out;
  }

  // As read_many(), each read written into its buffer of OUT (readable_into): one
  // pread per request straight into the caller's memory, nothing allocated or
  // zero-filled. REQUIRES: OUT.size() == REQUESTS.size().
  std::vector<result<std::uint64_t>> read_many_into(std::span<const read_request> requests,
                                                    std::span<const mutable_byte_view> out) {
    std::vector<result<std::uint64_t>> done;
    done.reserve(requests.size());
    for_each_open(requests, [&](std::size_t k, result<std::pair<int, std::uint64_t>> file) {
      if (!file) {
        done.push_back(fail(file.error()));
        return;
      }
      const auto& r = requests[k];
      const auto n = std::min<std::uint64_t>(r.length, out[k].size());
      done.push_back(read_open_into(file->first, file->second, r.offset, out[k].first(n)));
    });
    return done;
  }

  // Fails: errc::invalid_name, errc::io_error (nothing is left behind on failure).
  result<void> write(std::string_view name, byte_view data) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    std::string tmp = (dir_ / (".tmp-" + std::string(name) + "-XXXXXX")).string();
    detail::fd_guard fd(::mkstemp(tmp.data()));
    if (fd.get() < 0) return fail(errc::io_error);
    auto cleanup_fail = [&]() -> result<void> {
      ::unlink(tmp.c_str());
      return fail(errc::io_error);
    };
    if (auto put = posix::write_all(fd.get(), data); !put || *put != data.size())
      return cleanup_fail();
    if (::fchmod(fd.get(), 0644) != 0 || ::fsync(fd.get()) != 0) return cleanup_fail();
    if (::rename(tmp.c_str(), path_of(name).c_str()) != 0) return cleanup_fail();
    return sync_directory();
  }

  // Fails: errc::invalid_name, errc::io_error.
  result<void> remove(std::string_view name) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    if (::unlink(path_of(name).c_str()) != 0) {
      if (errno == ENOENT) return {};
      return fail(errc::io_error);
    }
    return sync_directory();
  }

  // Deletes every object of NAMES: every name checked first (one invalid name
  // deletes nothing), then each file unlinked relative to one descriptor of the
  // directory (unlinkat: no path built or resolved per name; a missing file is not
  // an error), then one fsync of that descriptor for the whole batch. On failure
  // some files may be unlinked; running it again is harmless.
  // Fails: errc::invalid_name, errc::io_error.
  result<void> remove_many(std::span<const std::string> names) {
    for (const auto& n : names)
      if (auto ok = check_object_name(n); !ok) return fail(ok.error());
    if (names.empty()) return {};
    detail::fd_guard dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) return fail(errc::io_error);
    for (const auto& n : names)
      if (::unlinkat(dir.get(), n.c_str(), 0) != 0 && errno != ENOENT) return fail(errc::io_error);
    if (::fsync(dir.get()) != 0) return fail(errc::io_error);
    return {};
  }

  // Conditional operations are always atomic here.
  result<bool> conditional_writes() { return true; }

  // The whole object NAME and its version. Fails: errc::invalid_name, errc::not_found,
  // errc::io_error.
  result<versioned_bytes> read_versioned(std::string_view name) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    struct stat before;
    if (::stat(path_of(name).c_str(), &before) != 0) return fail(detail::errno_code(errno));
    auto data = read(name, 0, whole_object);
    if (!data) return fail(data.error());
    return versioned_bytes{std::move(*data), detail::file_version(before)};
  }

  // Creates NAME if absent: its version, or nullopt if it exists.
  // Fails: errc::invalid_name, errc::io_error.
  result<std::optional<std::string>> create_if_absent(std::string_view name, byte_view data) {
    return locked_write(name, data, nullptr);
  }

  // Replaces NAME if its version is still VERSION: the new version, or nullopt.
  // Fails: errc::invalid_name, errc::io_error.
  result<std::optional<std::string>> replace_if(std::string_view name, byte_view data,
                                                std::string_view version) {
    return locked_write(name, data, &version);
  }

  // Deletes NAME if its version is still VERSION: true if deleted.
  // Fails: errc::invalid_name, errc::io_error.
  result<bool> remove_if(std::string_view name, std::string_view version) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    auto lock = lock_directory();
    if (!lock) return fail(lock.error());
    auto current = version_of(name);
    if (!current) return fail(current.error());
    if (!*current || **current != version) return false;
    if (auto r = remove(name); !r) return fail(r.error());
    return true;
  }

 private:
  // Holds an exclusive flock on the directory until destroyed.
  result<detail::fd_guard> lock_directory() const {
    detail::fd_guard fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return fail(errc::io_error);
    if (posix::retry_eintr([&] { return ::flock(fd.get(), LOCK_EX); }) != 0)
      return fail(errc::io_error);
    return fd;
  }

  // NAME's version, or nullopt if there is no such file.
  result<std::optional<std::string>> version_of(std::string_view name) const {
    struct stat st;
    if (::stat(path_of(name).c_str(), &st) == 0)
      return std::optional<std::string>(detail::file_version(st));
    if (errno == ENOENT) return std::optional<std::string>{};
    return fail(errc::io_error);
  }

  // Writes NAME under the lock if its version is EXPECTED (null: if it is absent).
  result<std::optional<std::string>> locked_write(std::string_view name, byte_view data,
                                                  const std::string_view* expected) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    auto lock = lock_directory();
    if (!lock) return fail(lock.error());
    auto current = version_of(name);
    if (!current) return fail(current.error());
    const bool matches = expected ? (*current && **current == *expected) : !*current;
    if (!matches) return std::optional<std::string>{};
    if (auto w = write(name, data); !w) return fail(w.error());
    auto after = version_of(name);
    if (!after) return fail(after.error());
    if (!*after) return fail(errc::io_error);
    return *after;
  }

  explicit file_store(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Calls F(k, file) for each request REQUESTS[k] in order, FILE being the open
  // descriptor of its object and its size, or why it cannot be read. A file is
  // opened once for a run of consecutive requests naming it.
  template <class F>
  void for_each_open(std::span<const read_request> requests, F&& f) const {
    const std::string* open_name = nullptr;  // the file FD was opened for
    std::optional<detail::fd_guard> fd;
    result<std::uint64_t> size = fail(errc::io_error);  // its size, or why it cannot be read
    for (std::size_t k = 0; k < requests.size(); ++k) {
      const auto& r = requests[k];
      if (auto ok = check_object_name(r.name); !ok) {
        f(k, fail(ok.error()));
        continue;
      }
      if (!open_name || *open_name != r.name) {
        open_name = &r.name;
        fd.emplace(::open(path_of(r.name).c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st;
        if (fd->get() < 0)
          size = fail(detail::errno_code(errno));
        else if (::fstat(fd->get(), &st) != 0)
          size = fail(errc::io_error);
        else
          size = static_cast<std::uint64_t>(st.st_size);
      }
      if (!size)
        f(k, fail(size.error()));
      else
        f(k, std::pair<int, std::uint64_t>(fd->get(), *size));
    }
  }

  // LENGTH bytes at OFFSET of the open file FD of SIZE bytes (fewer at its end).
  // Fails: errc::out_of_range past the end, errc::io_error.
  static result<bytes> read_open(int fd, std::uint64_t size, std::uint64_t offset,
                                 std::uint64_t length) {
    if (offset > size) return fail(errc::out_of_range);
    const auto n = std::min<std::uint64_t>(length, size - offset);
    bytes out(n);
    const auto done = posix::pread_all(fd, out, offset);
    if (!done) return fail(errc::io_error);
    out.resize(*done);  // shorter only if the file shrank: not our immutable objects
    return out;
  }

  // Up to OUT.size() bytes at OFFSET of the open file FD of SIZE bytes, into OUT:
  // how many (fewer at its end). Fails: as read_open().
  static result<std::uint64_t> read_open_into(int fd, std::uint64_t size, std::uint64_t offset,
                                              mutable_byte_view out) {
    if (offset > size) return fail(errc::out_of_range);
    const auto n = std::min<std::uint64_t>(out.size(), size - offset);
    const auto done = posix::pread_all(fd, out.first(n), offset);
    if (!done) return fail(errc::io_error);
    return std::uint64_t{*done};
  }

  std::filesystem::path path_of(std::string_view name) const { return dir_ / std::string(name); }

  result<void> sync_directory() {
    detail::fd_guard fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) return fail(errc::io_error);
    return {};
  }

  std::filesystem::path dir_;
};
static_assert(segment_store<file_store>);
static_assert(conditional_store<file_store>);
static_assert(batch_removable<file_store>);
static_assert(readable_into<file_store>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_FILE_STORE_HPP
