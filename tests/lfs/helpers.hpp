// SPDX-License-Identifier: BSL-1.0
// Test helpers for lfs_disk: a small geometry, a model of the files, random data.
#ifndef CLOUDLOG_TESTS_LFS_HELPERS_HPP
#define CLOUDLOG_TESTS_LFS_HELPERS_HPP

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "cloudlog/bytes.hpp"
#include "lfs/file_system.hpp"

namespace lfs::test {

// What the files should hold: name -> content.
using model = std::map<std::string, cloudlog::bytes>;

// A disk small enough that a few files put it under space pressure:
// 20 segments x 14 data blocks x 512 bytes.
inline mkfs_options small_disk() {
  mkfs_options o;
  o.segment_count = 20;
  o.blocks_per_segment = 16;
  o.block_size = 512;
  o.max_inodes = 32;
  o.reserve_segments = 2;
  return o;
}

// LEN pseudo-random bytes.
inline cloudlog::bytes random_bytes(std::mt19937_64& rng, std::size_t len) {
  cloudlog::bytes b(len);
  for (auto& x : b) x = static_cast<std::byte>(rng());
  return b;
}

// Applies a write of DATA at OFFSET of NAME to the model.
inline void model_write(model& m, const std::string& name, std::uint64_t offset,
                        const cloudlog::bytes& data) {
  auto& f = m[name];
  if (f.size() < offset + data.size()) f.resize(offset + data.size(), std::byte{0});
  std::copy(data.begin(), data.end(), f.begin() + static_cast<std::ptrdiff_t>(offset));
}

// Every file of FS with its content.
template <class FileSystem>
model contents(FileSystem& fs) {
  model m;
  for (const auto& name : fs.list()) m[name] = fs.read(name).value();
  return m;
}

}  // namespace lfs::test

#endif  // CLOUDLOG_TESTS_LFS_HELPERS_HPP
