// SPDX-License-Identifier: BSL-1.0
// The namespace operations of bluesky::filesystem: lookup, listing, links, creating
// and removing names (contract: formats/bluesky/filesystem.hpp).
#ifndef CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_NAMESPACE_HPP
#define CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_NAMESPACE_HPP

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"

namespace cloudlog::bluesky {

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::uint64_t> filesystem<Store, Cipher>::lookup(std::string_view path) {
  return resolve_path(
      path,
      [&](std::uint64_t inum) -> result_with_info<const inode*> { return &nodes_.at(inum).node; },
      [&](std::uint64_t inum) { return nodes_.count(inum) != 0; });
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::vector<dir_entry>> filesystem<Store, Cipher>::list(std::string_view path) {
  auto n = lookup(path);
  if (!n) return fail(std::move(n.error()));
  const auto& node = nodes_.at(*n).node;
  if (node.type != file_type::directory)
    return fail_with(make_error_code(std::errc::not_a_directory),
                     std::string(path) + ": not a directory");
  return node.entries;
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::string> filesystem<Store, Cipher>::readlink(std::string_view path) {
  auto n = lookup(path);
  if (!n) return fail(std::move(n.error()));
  const auto& node = nodes_.at(*n).node;
  if (node.type != file_type::symlink)
    return fail_with(make_error_code(std::errc::invalid_argument),
                     std::string(path) + ": not a symbolic link");
  return node.target;
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::uint64_t> filesystem<Store, Cipher>::symlink(std::string_view path,
                                                                   std::string_view target) {
  if (target.empty() || target.find('\0') != target.npos)
    return fail_with(make_error_code(errc::invalid_argument), "invalid symlink target");
  return make_node(path, file_type::symlink, 0777, target);
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<void> filesystem<Store, Cipher>::remove(std::string_view path) {
  auto comps = path_components(path);
  if (comps.empty())
    return fail_with(make_error_code(errc::invalid_argument), "cannot remove the root");
  auto parent = parent_of(path);
  if (!parent) return fail(std::move(parent.error()));
  auto& dir = nodes_.at(*parent);
  auto e = find_entry(dir.node, comps.back());
  if (e == dir.node.entries.end())
    return fail_with(make_error_code(std::errc::no_such_file_or_directory),
                     std::string(path) + ": no such file or directory");
  const auto child = e->inum;
  auto it = nodes_.find(child);
  if (it != nodes_.end() && it->second.node.type == file_type::directory &&
      !it->second.node.entries.empty())
    return fail_with(make_error_code(std::errc::directory_not_empty),
                     std::string(path) + ": not empty");
  dir.node.entries.erase(e);
  touch(dir);
  if (it != nodes_.end()) nodes_.erase(it);
  dirty_ranges_.insert(range_of(child));
  return {};
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::uint64_t> filesystem<Store, Cipher>::parent_of(std::string_view path) {
  auto comps = path_components(path);
  std::string parent;
  for (std::size_t i = 0; i + 1 < comps.size(); ++i) (parent += '/') += comps[i];
  auto p = lookup(parent);
  if (!p) return fail(std::move(p.error()));
  if (nodes_.at(*p).node.type != file_type::directory)
    return fail_with(make_error_code(std::errc::not_a_directory),
                     std::string(path) + ": the parent is not a directory");
  return *p;
}

template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::uint64_t> filesystem<Store, Cipher>::make_node(std::string_view path,
                                                                     file_type type,
                                                                     std::uint32_t mode,
                                                                     std::string_view target) {
  auto comps = path_components(path);
  if (comps.empty() || !detail::valid_entry_name(comps.back()))
    return fail_with(make_error_code(errc::invalid_argument), "invalid path");
  auto parent = parent_of(path);
  if (!parent) return fail(std::move(parent.error()));
  auto& dir = nodes_.at(*parent);
  if (find_entry(dir.node, comps.back()) != dir.node.entries.end())
    return fail_with(make_error_code(std::errc::file_exists),
                     std::string(path) + ": already exists");
  auto cookie = new_cookie(dir.node);
  if (!cookie) return fail(cookie.error());
  const auto inum = next_inum_++;
  node_state s;
  s.node.type = type;
  s.node.mode = mode;
  s.node.uid = opt_.uid;
  s.node.gid = opt_.gid;
  s.node.nlink = 1;
  s.node.inum = inum;
  s.node.atime = s.node.ctime = s.node.mtime = s.node.ntime = now_us();
  s.node.target = std::string(target);
  s.dirty = true;
  nodes_.emplace(inum, std::move(s));
  dir_entry e{*cookie, inum, std::string(comps.back())};
  auto at = std::lower_bound(dir.node.entries.begin(), dir.node.entries.end(), e.cookie,
                             [](const dir_entry& d, std::uint32_t c) { return d.cookie < c; });
  dir.node.entries.insert(at, std::move(e));
  touch(dir);
  return inum;
}

template <segment_store Store, cloudlog::cipher Cipher>
result<std::uint32_t> filesystem<Store, Cipher>::new_cookie(const inode& dir) {
  for (;;) {
    std::array<std::byte, 4> r;
    CLOUDLOG_TRY_VOID(random_bytes(r));
    const std::uint32_t c = load_le<std::uint32_t>(r.data()) & 0x7fffffff;
    if (c < 4) continue;
    if (std::none_of(dir.entries.begin(), dir.entries.end(),
                     [&](const dir_entry& d) { return d.cookie == c; }))
      return c;
  }
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_IMPL_FILESYSTEM_NAMESPACE_HPP
