// SPDX-License-Identifier: BSL-1.0
// The file contents of bluesky::filesystem: reading, writing and truncating regular
// files, blocks fetched on demand (contract: formats/bluesky/filesystem.hpp).
#ifndef CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_CONTENTS_HPP
#define CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_CONTENTS_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"

namespace cloudlog::bluesky {

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<bytes> filesystem<Store, Cipher>::read(std::uint64_t inum, std::uint64_t offset,
                                                        std::uint64_t length) {
  auto s = regular(inum);
  if (!s) return fail(std::move(s.error()));
  const node_state& n = **s;
  const std::uint64_t size = n.node.size;
  if (offset >= size) return bytes{};
  const auto [end, first, last] = blocks_read(size, offset, length);
  std::vector<fetch_request> rqs;
  for (std::uint64_t i = first; i <= last; ++i)
    if (n.blocks[i].stored()) rqs.push_back(block_request(inum, n, i));
  auto items = source_.fetch(rqs);
  if (!items) return fail(std::move(items.error()));
  bytes out(end - offset);
  std::size_t k = 0;
  for (std::uint64_t i = first; i <= last; ++i) {
    const auto& b = n.blocks[i];
    byte_view content;
    if (b.data) {
      content = *b.data;
    } else if (b.stored()) {
      auto payload = block_payload((*items)[k], rqs[k], size);
      if (!payload) return fail(std::move(payload.error()));
      content = *payload;
      ++k;
    } else {
      continue;  // a hole: zeros
    }
    copy_block_part(content, i, offset, end, out);
  }
  return out;
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<void> filesystem<Store, Cipher>::write(std::uint64_t inum, std::uint64_t offset,
                                                        byte_view data) {
  auto s = regular(inum);
  if (!s) return fail(std::move(s.error()));
  node_state& n = **s;
  if (offset > max_file_size || data.size() > max_file_size - offset)
    return fail_with(make_error_code(errc::invalid_argument), "write past the largest file");
  if (data.empty()) return {};
  const std::uint64_t end = offset + data.size();
  const std::uint64_t first = offset / block_size, last = (end - 1) / block_size;
  // Blocks written in part need their old contents: fetch them before changing anything.
  std::vector<std::uint64_t> partial;
  for (auto i : {first, last}) {
    if (i >= n.blocks.size() || !n.blocks[i].stored()) continue;
    const std::uint64_t start = i * block_size;
    if (offset > start || end < start + block_length(n.node.size, i))
      if (partial.empty() || partial.back() != i) partial.push_back(i);
  }
  if (auto ok = materialize(inum, n, partial); !ok) return fail(std::move(ok.error()));
  if (end > n.node.size)
    if (auto ok = resize(inum, n, end); !ok) return fail(std::move(ok.error()));
  for (std::uint64_t i = first; i <= last; ++i) {
    const std::uint64_t start = i * block_size;
    const std::uint64_t len = block_length(n.node.size, i);
    const std::uint64_t from = std::max(offset, start), to = std::min(end, start + len);
    auto& b = n.blocks[i];
    if (from == start && to == start + len) {
      b.data.emplace(data.begin() + static_cast<std::ptrdiff_t>(from - offset),
                     data.begin() + static_cast<std::ptrdiff_t>(to - offset));
    } else {
      if (!b.data) b.data.emplace(len, std::byte{0});  // a hole (stored ones are materialized)
      std::copy(data.begin() + static_cast<std::ptrdiff_t>(from - offset),
                data.begin() + static_cast<std::ptrdiff_t>(to - offset),
                b.data->begin() + static_cast<std::ptrdiff_t>(from - start));
    }
    b.id = {};
    b.where.reset();
  }
  touch(n);
  return {};
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<void> filesystem<Store, Cipher>::truncate(std::uint64_t inum, std::uint64_t size) {
  auto s = regular(inum);
  if (!s) return fail(std::move(s.error()));
  if (size > max_file_size)
    return fail_with(make_error_code(errc::invalid_argument), "size past the largest file");
  if (size == (*s)->node.size) return {};
  if (auto ok = resize(inum, **s, size); !ok) return fail(std::move(ok.error()));
  touch(**s);
  return {};
}

template <segment_store Store, cloudlog::cipher Cipher>
auto filesystem<Store, Cipher>::regular(std::uint64_t inum) -> result_with_info<node_state*> {
  auto it = nodes_.find(inum);
  if (it == nodes_.end())
    return fail_with(make_error_code(std::errc::no_such_file_or_directory),
                     "inode " + std::to_string(inum) + " does not exist");
  if (it->second.node.type == file_type::directory)
    return fail_with(make_error_code(std::errc::is_a_directory),
                     "inode " + std::to_string(inum) + " is a directory");
  if (it->second.node.type != file_type::regular)
    return fail_with(make_error_code(errc::invalid_argument),
                     "inode " + std::to_string(inum) + " is not a regular file");
  return &it->second;
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<void> filesystem<Store, Cipher>::materialize(
    std::uint64_t inum, node_state& n, std::span<const std::uint64_t> which) {
  std::vector<fetch_request> rqs;
  for (auto i : which)
    if (n.blocks[i].stored()) rqs.push_back(block_request(inum, n, i));
  if (rqs.empty()) return {};
  auto items = source_.fetch(rqs);
  if (!items) return fail(std::move(items.error()));
  std::vector<byte_view> payloads;  // all checked before any block changes
  payloads.reserve(rqs.size());
  for (std::size_t k = 0; k < rqs.size(); ++k) {
    auto payload = block_payload((*items)[k], rqs[k], n.node.size);
    if (!payload) return fail(std::move(payload.error()));
    payloads.push_back(*payload);
  }
  for (std::size_t k = 0; k < rqs.size(); ++k)
    n.blocks[rqs[k].index].data.emplace(payloads[k].begin(), payloads[k].end());
  return {};
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<void> filesystem<Store, Cipher>::resize(std::uint64_t inum, node_state& n,
                                                         std::uint64_t size) {
  const std::uint64_t old = n.node.size;
  const std::uint64_t old_count = block_count(old), new_count = block_count(size);
  // The one block whose length changes without being dropped: the old last one
  // when growing, the new last one when shrinking.
  std::optional<std::uint64_t> edge;
  if (size > old && old_count > 0 && old % block_size != 0) edge = old_count - 1;
  if (size < old && new_count > 0 && size % block_size != 0) edge = new_count - 1;
  if (edge) {
    const std::uint64_t e = *edge;
    if (auto ok = materialize(inum, n, std::span<const std::uint64_t>(&e, 1)); !ok)
      return fail(std::move(ok.error()));
  }
  n.blocks.resize(new_count);
  n.node.size = size;
  if (edge) {
    auto& b = n.blocks[*edge];
    if (b.data) {
      b.data->resize(block_length(size, *edge), std::byte{0});
      b.id = {};
      b.where.reset();
    }
  }
  return {};
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_CONTENTS_HPP
