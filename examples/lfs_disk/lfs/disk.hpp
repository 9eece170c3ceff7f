// SPDX-License-Identifier: BSL-1.0
// lfs_disk's disk: the block_disk concept (one image, byte-addressed), an in-memory
// model, a file model, and a crashing wrapper that stops at an arbitrary byte.
#ifndef LFS_DISK_DISK_HPP
#define LFS_DISK_DISK_HPP

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <mutex>
#include <system_error>
#include <utility>

#include "cloudlog/backend/posix_io.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/result.hpp"

namespace lfs {

using cloudlog::byte_view;
using cloudlog::bytes;
using cloudlog::fail;
using cloudlog::mutable_byte_view;
using cloudlog::result;

// A disk D holds one image. Laws: a write followed by a read returns the bytes
// written; a write may grow the image; a read past the end fails with
// cloudlog::errc::out_of_range; after sync() returns, earlier writes are durable.
// A write that fails may have written any prefix of its bytes (a torn write).
template <class D>
concept block_disk = requires(D& d, std::uint64_t offset, mutable_byte_view out, byte_view data) {
  // Fills OUT with the bytes at OFFSET.
  { d.read(offset, out) } -> std::same_as<result<void>>;
  // Writes DATA at OFFSET, growing the image if needed.
  { d.write(offset, data) } -> std::same_as<result<void>>;
  // Makes every earlier write durable (a barrier).
  { d.sync() } -> std::same_as<result<void>>;
};

// An image in memory. Thread-safe.
class memory_disk {
 public:
  result<void> read(std::uint64_t offset, mutable_byte_view out) {
    std::lock_guard lock(mutex_);
    if (offset > data_.size() || data_.size() - offset < out.size())
      return fail(cloudlog::errc::out_of_range);
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
    return {};
  }
  result<void> write(std::uint64_t offset, byte_view data) {
    std::lock_guard lock(mutex_);
    if (data_.size() < offset + data.size()) data_.resize(offset + data.size());
    std::copy(data.begin(), data.end(), data_.begin() + static_cast<std::ptrdiff_t>(offset));
    return {};
  }
  result<void> sync() { return {}; }
  // The image's size in bytes.
  std::uint64_t size() const {
    std::lock_guard lock(mutex_);
    return data_.size();
  }

 private:
  mutable std::mutex mutex_;
  bytes data_;
};
static_assert(block_disk<memory_disk>);

// An image in a file (pread/pwrite/fsync). Move-only; thread-safe (positional I/O).
class file_disk {
 public:
  // Opens PATH, creating it if CREATE. Fails: the system error (std::generic_category).
  static result<file_disk> open(const std::filesystem::path& path, bool create) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) return fail(std::error_code(errno, std::generic_category()));
    return file_disk(fd);
  }
  file_disk(file_disk&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  file_disk& operator=(file_disk&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~file_disk() {
    if (fd_ >= 0) ::close(fd_);
  }

  result<void> read(std::uint64_t offset, mutable_byte_view out) {
    const auto got = cloudlog::posix::pread_all(fd_, out, offset);
    if (!got) return fail(got.error());
    if (*got != out.size()) return fail(cloudlog::errc::out_of_range);
    return {};
  }
  result<void> write(std::uint64_t offset, byte_view data) {
    const auto put = cloudlog::posix::pwrite_all(fd_, data, offset);
    if (!put) return fail(put.error());
    if (*put != data.size()) return fail(std::errc::io_error);  // pwrite(2) wrote nothing
    return {};
  }
  result<void> sync() {
    if (::fsync(fd_) != 0) return fail(std::error_code(errno, std::generic_category()));
    return {};
  }

 private:
  explicit file_disk(int fd) : fd_(fd) {}
  int fd_ = -1;
};
static_assert(block_disk<file_disk>);

// Wraps INNER (a disk or a reference to one) and models a crash: once BUDGET bytes
// have been written in total, the write that crosses it writes only its bytes up
// to the budget and fails with cloudlog::errc::injected_fault, as does every
// later write and sync. crash_at() picks the torn write by number instead. Reads
// pass through. Not thread-safe: the file system serializes its I/O.
template <class Inner>
requires block_disk<std::remove_reference_t<Inner>>
class crashing_disk {
 public:
  explicit crashing_disk(Inner inner,
                         std::uint64_t budget = std::numeric_limits<std::uint64_t>::max())
      : inner_(std::forward<Inner>(inner)), budget_(budget) {}

  result<void> read(std::uint64_t offset, mutable_byte_view out) {
    return inner_.read(offset, out);
  }
  // Crashes at write number N (from 1) instead, after PERMILLE / 1000 of its bytes.
  void crash_at(std::uint64_t n, std::uint32_t permille) noexcept {
    budget_ = std::numeric_limits<std::uint64_t>::max();
    crash_write_ = n;
    permille_ = std::min<std::uint32_t>(permille, 1000);
  }

  result<void> write(std::uint64_t offset, byte_view data) {
    if (crashed_) return fail(cloudlog::errc::injected_fault);
    if (++writes_ == crash_write_) budget_ = written_ + data.size() * permille_ / 1000;
    if (data.size() > budget_ - written_) {
      const auto keep = budget_ - written_;
      crashed_ = true;
      torn_ = {offset, keep};
      written_ = budget_;
      if (keep > 0) (void)inner_.write(offset, data.first(keep));
      return fail(cloudlog::errc::injected_fault);
    }
    written_ += data.size();
    return inner_.write(offset, data);
  }
  result<void> sync() {
    if (crashed_) return fail(cloudlog::errc::injected_fault);
    return inner_.sync();
  }
  // True once the crash happened.
  bool crashed() const noexcept { return crashed_; }
  // Bytes written so far (the torn prefix included).
  std::uint64_t written() const noexcept { return written_; }
  // Where the crash struck: the failed write's offset, and how many of its bytes
  // reached the disk. (0, 0) before the crash.
  std::pair<std::uint64_t, std::uint64_t> torn() const noexcept { return torn_; }

 private:
  Inner inner_;
  std::uint64_t budget_;
  std::uint64_t written_ = 0;
  std::uint64_t writes_ = 0;
  std::uint64_t crash_write_ = 0;
  std::uint32_t permille_ = 0;
  std::pair<std::uint64_t, std::uint64_t> torn_{0, 0};
  bool crashed_ = false;
};

template <class Inner>
crashing_disk(Inner&&, std::uint64_t) -> crashing_disk<Inner>;

}  // namespace lfs

#endif  // LFS_DISK_DISK_HPP
