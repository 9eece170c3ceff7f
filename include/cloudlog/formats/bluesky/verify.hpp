// SPDX-License-Identifier: BSL-1.0
// Verifying a BlueSky filesystem: walk everything reachable from the current
// checkpoint (imap blocks, every inode, every directory entry, every data block),
// checking framing, ids, types, tags and payloads (docs/format.md, section 10).
#ifndef CLOUDLOG_FORMATS_BLUESKY_VERIFY_HPP
#define CLOUDLOG_FORMATS_BLUESKY_VERIFY_HPP

#include <algorithm>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::bluesky {

// What a verification walked.
struct verify_report {
  location checkpoint;  // where the current checkpoint is
  std::vector<version_entry> version_vector;
  std::uint64_t imap_blocks = 0;
  std::uint64_t inodes = 0;  // inodes in the inode map (all loaded and checked)
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t symlinks = 0;
  std::uint64_t other = 0;        // devices, sockets, fifos
  std::uint64_t data_blocks = 0;  // stored blocks read and checked
  std::uint64_t holes = 0;        // null links
  std::uint64_t file_bytes = 0;   // sum of regular file sizes
  std::uint64_t item_bytes = 0;   // bytes of every item checked (checkpoint included)
  std::uint64_t unreachable = 0;  // inodes in the map no directory names (not an error)
};

// Walks READER's whole filesystem. Every item is fetched and opened as the reader
// does (so with a key every tag is checked); every directory entry must name an
// inode in the inode map (errc::dangling_link); data blocks are read in batches of
// at most BATCH blocks.
// Fails: the first error found (corruption: errc::bad_tag, errc::corrupt_payload,
// errc::dangling_link, errc::unexpected_type, framing codes; errc::bad_key without
// a key on an encrypted store; store errors), with its text saying where.
template <segment_store Store, cloudlog::cipher Cipher>
result_with_info<verify_report> verify_filesystem(reader<Store, Cipher>& r,
                                                  std::size_t batch = 256) {
  verify_report rep;
  const auto& rt = r.current_root();
  rep.checkpoint = rt.self.where;
  rep.version_vector = rt.payload.version_vector;
  rep.imap_blocks = rt.imap_refs.size();
  rep.item_bytes += rt.self.where.size;
  for (const auto& i : rt.imap_refs) rep.item_bytes += i.where.size;
  std::vector<std::uint64_t> inums;
  for (const auto& [n, ref] : r.inode_map()) inums.push_back(n);
  std::set<std::uint64_t> named{root_inum};
  for (std::size_t at = 0; at < inums.size(); at += batch) {
    const auto n = std::min(batch, inums.size() - at);
    auto recs = r.load_inodes(std::span<const std::uint64_t>(inums.data() + at, n));
    if (!recs) return fail(std::move(recs.error()));
    for (const auto& rec : *recs) {
      ++rep.inodes;
      rep.item_bytes += rec.self.where.size;
      switch (rec.node.type) {
        case file_type::regular: {
          ++rep.files;
          rep.file_bytes += rec.node.size;
          for (const auto& b : rec.blocks) {
            if (b.is_null()) {
              ++rep.holes;
            } else {
              ++rep.data_blocks;
              rep.item_bytes += b.where->size;
            }
          }
          const std::uint64_t chunk = block_size * batch;
          for (std::uint64_t off = 0; off < rec.node.size; off += chunk)
            if (auto d = r.read_file(rec, off, chunk); !d) return fail(std::move(d.error()));
          break;
        }
        case file_type::directory:
          ++rep.directories;
          for (const auto& e : rec.node.entries) {
            if (!r.inode_map().count(e.inum))
              return fail_with(make_error_code(errc::dangling_link),
                               "directory inode " + std::to_string(rec.node.inum) + ": entry '" +
                                   e.name + "' names inode " + std::to_string(e.inum) +
                                   ", which is not in the inode map");
            named.insert(e.inum);
          }
          break;
        case file_type::symlink:
          ++rep.symlinks;
          break;
        default:
          ++rep.other;
          break;
      }
    }
  }
  for (auto n : inums)
    if (!named.count(n)) ++rep.unreachable;
  return rep;
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_VERIFY_HPP
