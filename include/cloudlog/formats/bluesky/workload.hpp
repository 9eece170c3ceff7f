// SPDX-License-Identifier: BSL-1.0
// The workload generator: creates files and overwrites them at random through a
// BlueSky filesystem, to build test and benchmark stores (docs/tools.md,
// "bluesky_fs workload"). Seeded and reproducible.
#ifndef CLOUDLOG_FORMATS_BLUESKY_WORKLOAD_HPP
#define CLOUDLOG_FORMATS_BLUESKY_WORKLOAD_HPP

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/splitmix64.hpp"

namespace cloudlog::bluesky {

// What a workload does. Phase 1 creates FILES files of FILE_SIZE bytes, spread
// round-robin over DIRECTORIES directories /dir000, /dir001, ... (0: all in the
// root), named fileNNNNNN, written in WRITE_SIZE pieces. Phase 2, repeated ROUNDS
// times, overwrites OVERWRITE_FRACTION of the data: that many bytes, as random
// WRITE_SIZE-aligned writes of WRITE_SIZE bytes into random files. Every
// FLUSH_EVERY writes (both phases) the filesystem is flushed, and once at the end.
// SCALE multiplies the number of files (at least 1), hence the data and overwrites.
// Overwrites pick their file uniformly unless skewed: with HOT_FRACTION F > 0 the
// first round(F x files) files (at least one) get HOT_SHARE R of the writes and the
// others the rest ("90/10": F = 0.1, R = 0.9); with ZIPF THETA > 0 file i is picked
// with probability proportional to 1 / (i + 1)^THETA.
// Contents come from a generator seeded with SEED, so a seed always produces the
// same operations and the same file contents (ids, IVs and times stay random).
struct workload_options {
  std::uint64_t files = 8;
  std::uint64_t file_size = 8u << 20;
  std::uint64_t directories = 1;
  std::uint64_t write_size = 512u << 10;
  double overwrite_fraction = 1.0;
  std::uint64_t rounds = 1;
  std::uint64_t flush_every = 1;
  std::uint64_t seed = 1;
  double scale = 1.0;
  double hot_fraction = 0.0;  // in [0, 1]; 0: no hot set
  double hot_share = 0.0;     // in [0, 1]: the hot files' share of the overwrites
  double zipf = 0.0;          // >= 0; 0: no Zipf skew (not with hot_fraction)
  // False: skip phase 1; the files must already exist (made by an earlier run with
  // the same files, directories and scale), and only the overwrites run.
  bool create_files = true;
};

// The bounds run_workload enforces (docs/tools.md, "workload"). Names keep one
// width: file000000..file999999 in dir000..dir999.
inline constexpr std::uint64_t max_workload_files = 1'000'000;  // after scaling
inline constexpr std::uint64_t max_workload_directories = 1000;
// The smallest write, unless the file is smaller (then it is written whole): one
// pass over the data makes at most one write (and, flushing after every write, one
// segment) per 4 KiB.
inline constexpr std::uint64_t min_workload_write_size = 4096;

// The "cleanbench" preset: the original's cleaner/cleanbench.sh, 8 files x 8 MiB
// (64 MiB), then 128 random 512 KiB overwrites, flushing after every write.
inline workload_options cleanbench_preset() {
  return {};
}

// The "smallfiles" preset: 4096 files of 4 KiB in 16 directories, then half of
// them overwritten at random in 4 KiB writes, flushing every 64 writes.
inline workload_options smallfiles_preset() {
  workload_options o;
  o.files = 4096;
  o.file_size = 4096;
  o.directories = 16;
  o.write_size = 4096;
  o.overwrite_fraction = 0.5;
  o.flush_every = 64;
  return o;
}

// The preset named NAME ("cleanbench" or "smallfiles"), if there is one.
inline std::optional<workload_options> workload_preset(std::string_view name) {
  if (name == "cleanbench") return cleanbench_preset();
  if (name == "smallfiles") return smallfiles_preset();
  return std::nullopt;
}

// What a workload did.
struct workload_report {
  std::uint64_t files = 0;          // files created or rewritten
  std::uint64_t writes = 0;         // write calls
  std::uint64_t bytes_written = 0;  // file bytes written (both phases)
  std::uint64_t flushes = 0;        // flushes that wrote something
  flush_report uploaded;            // segments and bytes the flushes uploaded
  double seconds = 0;               // wall-clock time of the whole run
};

namespace detail {
inline std::string numbered(std::string_view prefix, std::uint64_t n, int width) {
  std::string digits = std::to_string(n);
  if (digits.size() < static_cast<std::size_t>(width))
    digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  return std::string(prefix) + digits;
}
}  // namespace detail

// The path of file I of a workload with options OPT: "/dir003/file000011" (or
// "/file000011" with no directories).
inline std::string workload_file_path(const workload_options& opt, std::uint64_t i) {
  const std::string name = detail::numbered("file", i, 6);
  if (opt.directories == 0) return "/" + name;
  return "/" + detail::numbered("dir", i % opt.directories, 3) + "/" + name;
}

// The number of files a workload with options OPT creates: files x scale, at least 1.
inline std::uint64_t workload_file_count(const workload_options& opt) {
  const double n = std::floor(static_cast<double>(opt.files) * opt.scale + 0.5);
  return n < 1 ? 1 : static_cast<std::uint64_t>(n);
}

namespace detail {

// True when OPT is within run_workload's bounds (see its failure codes).
inline bool workload_options_valid(const workload_options& opt) {
  return !(opt.file_size == 0 || opt.file_size > max_file_size ||
           opt.write_size < std::min(min_workload_write_size, opt.file_size) ||
           opt.write_size > opt.file_size || !(opt.overwrite_fraction >= 0) ||
           !(opt.overwrite_fraction <= 1) || !std::isfinite(opt.scale) || opt.scale <= 0 ||
           opt.files == 0 || opt.files > max_workload_files ||
           std::floor(static_cast<double>(opt.files) * opt.scale + 0.5) >
               static_cast<double>(max_workload_files) ||
           opt.directories > max_workload_directories ||
           !(opt.hot_fraction >= 0 && opt.hot_fraction <= 1) ||
           !(opt.hot_share >= 0 && opt.hot_share <= 1) ||
           !(opt.zipf >= 0 && std::isfinite(opt.zipf)) || (opt.zipf > 0 && opt.hot_fraction > 0));
}

// Which of FILES files an overwrite goes to: uniform, or skewed by hot_fraction /
// hot_share or by zipf (see workload_options).
class file_picker {
 public:
  file_picker(const workload_options& opt, std::uint64_t files)
      : files_(files), hot_share_(opt.hot_share) {
    if (opt.hot_fraction > 0)
      hot_ = std::clamp<std::uint64_t>(
          static_cast<std::uint64_t>(std::llround(opt.hot_fraction * static_cast<double>(files))),
          1, files);
    if (opt.zipf > 0) {
      double sum = 0;
      for (std::uint64_t i = 0; i < files; ++i)
        zipf_cdf_.push_back(sum += std::pow(static_cast<double>(i + 1), -opt.zipf));
      for (auto& c : zipf_cdf_) c /= sum;
    }
  }

  std::uint64_t operator()(splitmix64& rng) const {
    if (!zipf_cdf_.empty()) {
      const auto it = std::lower_bound(zipf_cdf_.begin(), zipf_cdf_.end(), rng.unit());
      return std::min<std::uint64_t>(static_cast<std::uint64_t>(it - zipf_cdf_.begin()),
                                     files_ - 1);
    }
    if (hot_ == 0 || hot_ == files_) return rng.below(files_);
    return rng.unit() < hot_share_ ? rng.below(hot_) : hot_ + rng.below(files_ - hot_);
  }

 private:
  std::uint64_t files_;
  double hot_share_;
  std::uint64_t hot_ = 0;
  std::vector<double> zipf_cdf_;
};

}  // namespace detail

// Runs the workload OPT against FS (see workload_options). Existing directories
// are reused and existing files of the same names are rewritten, so a workload can
// be run again on its own output to age a store.
// Fails: errc::invalid_argument (options out of bounds: file_size not in
// [1, max_file_size]; write_size not in [min(min_workload_write_size, file_size),
// file_size]; overwrite_fraction not in [0, 1]; scale not finite and > 0; files not
// in [1, max_workload_files] before or after scaling; directories above
// max_workload_directories; hot_fraction or hot_share outside [0, 1]; a negative or
// non-finite zipf, or zipf with hot_fraction; without create_files, a file of
// another size), std::errc::no_such_file_or_directory (without create_files, a
// missing file), std::errc::not_a_directory / std::errc::is_a_directory (a name
// taken by something else), and FS's write and flush errors (with their text).
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<workload_report> run_workload(filesystem<Store, Cipher>& fs,
                                               const workload_options& opt) {
  if (!detail::workload_options_valid(opt)) return fail(errc::invalid_argument);
  const auto start = std::chrono::steady_clock::now();
  workload_report rep;
  splitmix64 rng(opt.seed);
  const std::uint64_t files = workload_file_count(opt);

  auto flush = [&]() -> result_with_info<void> {
    auto f = fs.flush();
    if (!f) return fail(f.error());
    if (f->checkpoints) ++rep.flushes;
    rep.uploaded.segments += f->segments;
    rep.uploaded.bytes += f->bytes;
    rep.uploaded.data_items += f->data_items;
    rep.uploaded.inode_items += f->inode_items;
    rep.uploaded.imap_items += f->imap_items;
    rep.uploaded.checkpoints += f->checkpoints;
    return {};
  };
  bytes buf;
  auto write = [&](std::uint64_t inum, std::uint64_t offset,
                   std::uint64_t len) -> result_with_info<void> {
    buf.resize(len);
    rng.fill(buf);
    CLOUDLOG_TRY_VOID(fs.write(inum, offset, buf));
    ++rep.writes;
    rep.bytes_written += len;
    if (opt.flush_every && rep.writes % opt.flush_every == 0) return flush();
    return {};
  };

  for (std::uint64_t d = 0; opt.create_files && d < opt.directories && d < files; ++d) {
    const auto path = "/" + detail::numbered("dir", d, 3);
    if (auto n = fs.lookup(path); n) {
      if (fs.stat(*n)->type != file_type::directory) return fail(std::errc::not_a_directory);
    } else if (auto made = fs.mkdir(path); !made) {
      return fail(made.error());
    }
  }
  std::vector<std::uint64_t> inums;
  inums.reserve(files);
  for (std::uint64_t i = 0; i < files; ++i) {
    const auto path = workload_file_path(opt, i);
    std::uint64_t inum = 0;
    if (!opt.create_files) {
      auto n = fs.lookup(path);
      if (!n) return fail(n.error());
      if (fs.stat(*n)->type != file_type::regular) return fail(std::errc::is_a_directory);
      if (fs.stat(*n)->size != opt.file_size) return fail(errc::invalid_argument);
      inums.push_back(*n);
      continue;
    }
    if (auto n = fs.lookup(path); n) {
      inum = *n;
      if (fs.stat(inum)->type != file_type::regular) return fail(std::errc::is_a_directory);
      CLOUDLOG_TRY_VOID(fs.truncate(inum, 0));
    } else {
      auto made = fs.create(path);
      if (!made) return fail(made.error());
      inum = *made;
    }
    inums.push_back(inum);
    ++rep.files;
    for (std::uint64_t off = 0; off < opt.file_size; off += opt.write_size)
      CLOUDLOG_TRY_VOID(write(inum, off, std::min(opt.write_size, opt.file_size - off)));
  }
  const std::uint64_t slots = (opt.file_size + opt.write_size - 1) / opt.write_size;
  const double total = static_cast<double>(files) * static_cast<double>(opt.file_size);
  const auto per_round = static_cast<std::uint64_t>(
      std::floor(total * opt.overwrite_fraction / static_cast<double>(opt.write_size) + 0.5));
  const detail::file_picker pick(opt, files);
  for (std::uint64_t r = 0; r < opt.rounds; ++r) {
    for (std::uint64_t k = 0; k < per_round; ++k) {
      const auto inum = inums[pick(rng)];
      const std::uint64_t off = rng.below(slots) * opt.write_size;
      CLOUDLOG_TRY_VOID(write(inum, off, std::min(opt.write_size, opt.file_size - off)));
    }
  }
  CLOUDLOG_TRY_VOID(flush());
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return rep;
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_WORKLOAD_HPP
