// SPDX-License-Identifier: BSL-1.0
// The BlueSky reader: finds the current checkpoint by the one rule (root.hpp), walks
// checkpoint -> inode map -> inodes -> data blocks, and reads files, directories
// and symlinks with ranged, batched reads (docs/format.md, section 10).
#ifndef CLOUDLOG_FORMATS_BLUESKY_READER_HPP
#define CLOUDLOG_FORMATS_BLUESKY_READER_HPP

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/formats/bluesky/item_source.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/formats/bluesky/root.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/log/segment.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::bluesky {

// The root of a filesystem: the checkpoint item, its decoded payload, and the
// inode-map blocks it links to (one per range, in range order).
struct root {
  item_ref self;                    // the checkpoint item
  checkpoint payload;               // its version vector and ranges
  std::vector<item_ref> imap_refs;  // link i -> the inode-map block of payload.ranges[i]
};

// One inode as read from the store: the decoded inode, the item it came from,
// and its links (regular files: one per block, null links are holes).
struct inode_record {
  inode node;
  item_ref self;
  std::vector<item_link> blocks;
};

// Splits PATH at '/' into its non-empty components ("/a//b/" -> {"a", "b"}).
inline std::vector<std::string_view> path_components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at <= path.size()) {
    auto slash = path.find('/', at);
    if (slash == path.npos) slash = path.size();
    if (slash > at) out.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

// The blocks a read of LENGTH bytes at OFFSET of a file of SIZE touches
// (OFFSET < SIZE): [first, last], and END, where the bytes read stop (clamped to
// SIZE). The one block arithmetic of reader::read_file and filesystem::read.
struct block_range {
  std::uint64_t end, first, last;
};
inline block_range blocks_read(std::uint64_t size, std::uint64_t offset, std::uint64_t length) {
  const std::uint64_t end = size - offset < length ? size : offset + length;
  return {end, offset / block_size, (end - 1) / block_size};
}

// Copies the part of block I (CONTENT: the file's bytes from I * block_size on)
// that lies in [OFFSET, END) into OUT, which holds the file's bytes [OFFSET, END).
inline void copy_block_part(byte_view content, std::uint64_t i, std::uint64_t offset,
                            std::uint64_t end, bytes& out) {
  const std::uint64_t start = i * block_size;
  const std::uint64_t from = std::max(offset, start);
  const std::uint64_t to = std::min(end, start + content.size());
  if (to <= from) return;
  std::copy(content.begin() + static_cast<std::ptrdiff_t>(from - start),
            content.begin() + static_cast<std::ptrdiff_t>(to - start),
            out.begin() + static_cast<std::ptrdiff_t>(from - offset));
}

// The one text for block RQ of a file of SIZE whose payload holds GOT bytes, not
// the length SIZE gives it.
inline std::string wrong_block_length(const fetch_request& rq, std::size_t got,
                                      std::uint64_t size) {
  return item_place(rq) + ": holds " + std::to_string(got) + " bytes, expected " +
         std::to_string(block_length(size, rq.index));
}

// The entry named NAME of directory DIR, or DIR.entries.end(): the one search of a
// directory by name (resolve_path; filesystem's create, mkdir, symlink and remove).
inline std::vector<dir_entry>::const_iterator find_entry(const inode& dir, std::string_view name) {
  return std::find_if(dir.entries.begin(), dir.entries.end(),
                      [&](const dir_entry& d) { return d.name == name; });
}

// The payload of block RQ.index (ITEM, fetched for RQ) of a file of SIZE, which
// must hold exactly the length SIZE gives that block: the one check of a stored
// block's length (reader::read_file, filesystem's read and write, the merge's
// check of the cleaner's copies). The view is into ITEM.
// Fails: errc::corrupt_payload, with wrong_block_length's text.
inline result_with_info<byte_view> block_payload(const opened_item& item, const fetch_request& rq,
                                                 std::uint64_t size) {
  const auto payload = item.view().payload();
  if (payload.size() != block_length(size, rq.index))
    return fail_with(make_error_code(errc::corrupt_payload),
                     wrong_block_length(rq, payload.size(), size));
  return payload;
}

// The one rule for resolving PATH ("/" or "" is the root; symlinks are not
// followed), shared by reader and filesystem: from the root, each component must
// be an entry of a directory, naming an inode the map holds. DIR_OF(inum) gives
// the inode at INUM (result_with_info<const inode*>, valid until the next call);
// KNOWN(inum) says whether the map holds INUM. A failure's text names PATH.
// Fails: std::errc::no_such_file_or_directory, std::errc::not_a_directory (a
// component is not a directory), errc::dangling_link (an entry naming an inode the
// map lacks), DIR_OF's errors.
template <class DirOf, class Known>
result_with_info<std::uint64_t> resolve_path(std::string_view path, DirOf&& dir_of, Known&& known) {
  std::uint64_t at = root_inum;
  for (auto name : path_components(path)) {
    auto dir = dir_of(at);
    if (!dir) return fail(std::move(dir.error()));
    const inode& n = **dir;
    if (n.type != file_type::directory)
      return fail_with(make_error_code(std::errc::not_a_directory),
                       std::string(path) + ": a component is not a directory");
    auto e = find_entry(n, name);
    if (e == n.entries.end())
      return fail_with(make_error_code(std::errc::no_such_file_or_directory),
                       std::string(path) + ": no such file or directory");
    if (!known(e->inum))
      return fail_with(make_error_code(errc::dangling_link),
                       std::string(path) + ": the entry names inode " + std::to_string(e->inum) +
                           ", which is not in the inode map");
    at = e->inum;
  }
  return at;
}

// Decodes the INODE item ITEM (opened) into a record for inode INUM. Checks the
// payload (decode_inode), that the payload's inum is INUM, and the links: a regular
// file has exactly block_count(size) links, other types none.
// Fails: errc::corrupt_payload.
inline result<inode_record> decode_inode_item(const opened_item& item, std::uint64_t inum) {
  const auto v = item.view();
  auto node = decode_inode(v.payload());
  if (!node) return fail(node.error());
  if (node->inum != inum) return fail(errc::corrupt_payload);
  auto links = v.links();
  const std::uint64_t want = node->type == file_type::regular ? block_count(node->size) : 0;
  if (links.size() != want) return fail(errc::corrupt_payload);
  return inode_record{std::move(*node), item_ref{v.id(), item.where}, std::move(links)};
}

// Decodes the inode-map block ITEM (opened) for range RANGE: its inode numbers lie
// in RANGE, one non-null link each. Appends inum -> link to MAP.
// Fails: errc::corrupt_payload.
inline result<void> decode_imap_item(const opened_item& item, const inode_range& range,
                                     std::map<std::uint64_t, item_ref>& map) {
  const auto v = item.view();
  auto inums = decode_imap_block(v.payload());
  if (!inums) return fail(inums.error());
  const auto links = v.links();
  if (links.size() != inums->size()) return fail(errc::corrupt_payload);
  for (std::size_t j = 0; j < links.size(); ++j) {
    const auto n = (*inums)[j];
    if (links[j].is_null() || n < range.start || n > range.end) return fail(errc::corrupt_payload);
    map[n] = item_ref{links[j].id, *links[j].where};
  }
  return {};
}

// The newest segment of DIRECTORY in STORE, if it has any.
// Fails: the store's list errors.
template <segment_store Store>
result<std::optional<segment_info>> newest_segment(Store& store, std::uint32_t directory) {
  auto l = store.list(directory);
  if (!l) return fail(l.error());
  if (l->empty()) return std::optional<segment_info>();
  return std::optional<segment_info>(l->back());
}

// Opens the stored checkpoint CP with SOURCE's cipher (its tag must verify, or be
// zero in directory 1) and decodes it with its links.
// Fails: errc::bad_tag, errc::bad_key, errc::corrupt_payload, with the text of
// what and where.
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<root> open_checkpoint(item_source<Store, Cipher>& source,
                                       const stored_checkpoint& cp) {
  fetch_request rq{item_ref{object_id{}, cp.where}, item_type::checkpoint, 0, 0};
  const auto stored = cp.item();
  opened_item item{cp.where, bytes(stored.begin(), stored.end())};
  if (auto v = parse_item<layout>(item.data, 0)) rq.ref.id = v->id();
  if (auto ok = source.check_and_open(rq, item.data); !ok) return fail(std::move(ok.error()));
  const auto v = item.view();
  auto decoded = decode_checkpoint(v.payload());
  const auto links = v.links();
  auto bad = [&]() {
    return fail_with(make_error_code(errc::corrupt_payload), item_place(rq) + ": corrupt payload");
  };
  if (!decoded || links.size() != decoded->ranges.size()) return bad();
  root r{item_ref{v.id(), cp.where}, std::move(*decoded), {}};
  for (const auto& l : links) {
    if (l.is_null()) return bad();
    r.imap_refs.push_back({l.id, *l.where});
  }
  return r;
}

// Loads the inode map of ROOT: every imap block, fetched in one batch.
// Fails: fetch errors; errc::corrupt_payload for a malformed block.
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<std::map<std::uint64_t, item_ref>> load_inode_map(
    item_source<Store, Cipher>& source, const root& r) {
  std::vector<fetch_request> rqs;
  for (std::size_t i = 0; i < r.imap_refs.size(); ++i)
    rqs.push_back({r.imap_refs[i], item_type::inode_map, 0, i});
  auto items = source.fetch(rqs);
  if (!items) return fail(std::move(items.error()));
  std::map<std::uint64_t, item_ref> map;
  for (std::size_t i = 0; i < items->size(); ++i)
    if (auto ok = decode_imap_item((*items)[i], r.payload.ranges[i], map); !ok)
      return fail_with(ok.error(), item_place(rqs[i]) + ": corrupt payload");
  return map;
}

// A read-only view of a BlueSky filesystem at its current checkpoint. Inodes and
// blocks are fetched on demand with ranged reads (only the items needed), batched.
// Every failure carries its text (what failed, where, why). Holds references to
// the store and the cipher: they must outlive it. Not thread-safe.
template <segment_store Store, cloudlog::cipher Cipher>
class reader {
 public:
  // Opens the filesystem at the checkpoint RULE finds (root.hpp: the newest
  // directory-0 segment ending with a checkpoint, past the segments of a flush
  // interrupted before its checkpoint, never past damage), then every inode-map
  // block it links to. Failures carry their text: what failed and where.
  // Fails: errc::no_checkpoint, errc::damaged_log (find_root); store, framing, tag
  // and payload errors.
  static result_with_info<reader> open(Store& store, const Cipher& c, const root_rule& rule = {}) {
    reader r(store, c);
    if (auto ok = r.load(rule); !ok) return fail(std::move(ok.error()));
    return r;
  }

  // The current checkpoint.
  const root& current_root() const noexcept { return root_; }
  // The directory-0 segment holding the checkpoint.
  const segment_info& newest_segment() const noexcept { return found_.checkpoint.segment; }
  // Where the root was found: the checkpoint, the newer segments skipped (an
  // interrupted flush's, or those a recovery abandons), the newest segment.
  const found_root& found() const noexcept { return found_; }
  // Every live inode: number -> its current INODE item.
  const std::map<std::uint64_t, item_ref>& inode_map() const noexcept { return map_; }
  // The item source (for callers fetching items themselves).
  item_source<Store, Cipher>& source() noexcept { return source_; }

  // Loads inode INUM.
  // Fails: std::errc::no_such_file_or_directory if INUM is not in the inode map; fetch errors;
  // errc::corrupt_payload.
  result_with_info<inode_record> load_inode(std::uint64_t inum) {
    auto r = load_inodes(std::span<const std::uint64_t>(&inum, 1));
    if (!r) return fail(std::move(r.error()));
    return std::move(r->front());
  }

  // Loads the inodes INUMS in one batch, in order (see load_inode).
  result_with_info<std::vector<inode_record>> load_inodes(std::span<const std::uint64_t> inums) {
    std::vector<fetch_request> rqs;
    rqs.reserve(inums.size());
    for (auto n : inums) {
      auto it = map_.find(n);
      if (it == map_.end())
        return fail_with(make_error_code(std::errc::no_such_file_or_directory),
                         "inode " + std::to_string(n) + " is not in the inode map");
      rqs.push_back({it->second, item_type::inode, n, 0});
    }
    auto items = source_.fetch(rqs);
    if (!items) return fail(std::move(items.error()));
    std::vector<inode_record> out;
    out.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
      auto rec = decode_inode_item((*items)[i], inums[i]);
      if (!rec) return fail_with(rec.error(), item_place(rqs[i]) + ": corrupt inode payload");
      out.push_back(std::move(*rec));
    }
    return out;
  }

  // The inode number at PATH, by resolve_path's rule.
  // Fails: resolve_path's errors, load_inode's errors.
  result_with_info<std::uint64_t> lookup(std::string_view path) {
    std::optional<inode_record> held;  // the directory being looked in
    return resolve_path(
        path,
        [&](std::uint64_t inum) -> result_with_info<const inode*> {
          auto rec = load_inode(inum);
          if (!rec) return fail(std::move(rec.error()));
          held = std::move(*rec);
          return &held->node;
        },
        [&](std::uint64_t inum) { return map_.count(inum) != 0; });
  }

  // Reads LENGTH bytes at OFFSET of the regular file REC (clamped to its size).
  // Null links read as zeros. Every stored block must hold exactly its expected
  // length (errc::corrupt_payload).
  // Fails: std::errc::is_a_directory / errc::invalid_argument (not a regular file);
  // fetch errors.
  result_with_info<bytes> read_file(const inode_record& rec, std::uint64_t offset = 0,
                                    std::uint64_t length = whole_object) {
    if (rec.node.type == file_type::directory)
      return fail_with(make_error_code(std::errc::is_a_directory),
                       "inode " + std::to_string(rec.node.inum) + " is a directory");
    if (rec.node.type != file_type::regular)
      return fail_with(make_error_code(errc::invalid_argument),
                       "inode " + std::to_string(rec.node.inum) + " is not a regular file");
    const std::uint64_t size = rec.node.size;
    if (offset >= size) return bytes{};
    const auto [end, first, last] = blocks_read(size, offset, length);
    std::vector<fetch_request> rqs;
    for (std::uint64_t i = first; i <= last; ++i)
      if (!rec.blocks[i].is_null())
        rqs.push_back(
            {{rec.blocks[i].id, *rec.blocks[i].where}, item_type::data, rec.node.inum, i});
    auto items = source_.fetch(rqs);
    if (!items) return fail(std::move(items.error()));
    bytes out(end - offset);
    std::size_t k = 0;
    for (std::uint64_t i = first; i <= last; ++i) {
      if (rec.blocks[i].is_null()) continue;
      const auto payload = block_payload((*items)[k], rqs[k], size);
      if (!payload) return fail(std::move(payload.error()));
      copy_block_part(*payload, i, offset, end, out);
      ++k;
    }
    return out;
  }

 private:
  reader(Store& store, const Cipher& c) : source_(store, c) {}

  result_with_info<void> load(const root_rule& rule) {
    auto found = find_root(source_.store(), source_.cipher_ref(), rule);
    if (!found) return fail(std::move(found.error()));
    found_ = std::move(*found);
    auto rt = open_checkpoint(source_, found_.checkpoint);
    if (!rt) return fail(std::move(rt.error()));
    root_ = std::move(*rt);
    auto map = load_inode_map(source_, root_);
    if (!map) return fail(std::move(map.error()));
    map_ = std::move(*map);
    return {};
  }

  item_source<Store, Cipher> source_;
  found_root found_;
  root root_;
  std::map<std::uint64_t, item_ref> map_;
};

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_READER_HPP
