// SPDX-License-Identifier: BSL-1.0
// The tree format's writer (its "proxy"): commits blobs, directories and a root per
// segment, adopts the cleaner's output, and reads the whole tree back.
#ifndef TREE_WRITER_HPP
#define TREE_WRITER_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/segment_name.hpp"
#include "format.hpp"
#include "layout.hpp"

namespace tree {

// A blob's place: directory number and slot.
using slot = std::pair<std::uint32_t, std::uint32_t>;
using content = std::map<slot, cloudlog::bytes>;

// Reads the item at WHERE and checks it is of TYPE (and has id ID, if given).
template <cloudlog::segment_store Store>
cloudlog::result<cloudlog::item<layout>> read_item(Store& store, const cloudlog::location& where,
                                                   item_type type,
                                                   std::optional<cloudlog::object_id> id = {}) {
  auto name = cloudlog::segment_name(where.segment());
  if (!name) return cloudlog::fail(name.error());
  auto data = store.read(*name, where.offset, where.size);
  if (!data) return cloudlog::fail(data.error());
  auto v = cloudlog::parse_item<layout>(*data, 0);
  if (!v) return cloudlog::fail(v.error());
  if (v->size() != where.size || v->type() != type_byte(type) || (id && v->id() != *id))
    return cloudlog::fail(cloudlog::errc::dangling_link);
  return cloudlog::item<layout>::from_view(*v);
}

// Everything reachable from the writer's newest root: each blob's content by slot.
// Fails: cloudlog::errc::dangling_link if a link does not lead to the item it names.
template <cloudlog::segment_store Store>
cloudlog::result<content> read_tree(Store& store) {
  auto ctx = format{}.load(store);
  if (!ctx) return cloudlog::fail(ctx.error().code);
  auto root = read_item(store, ctx->root(), item_type::root);
  if (!root) return cloudlog::fail(root.error());
  content out;
  for (std::uint32_t d = 0; d < root->links.size(); ++d) {
    const auto& dl = root->links[d];
    auto dir = read_item(store, *dl.where, item_type::directory, dl.id);
    if (!dir) return cloudlog::fail(dir.error());
    for (std::uint32_t s = 0; s < dir->links.size(); ++s) {
      const auto& bl = dir->links[s];
      if (bl.is_null()) continue;
      auto blob = read_item(store, *bl.where, item_type::blob, bl.id);
      if (!blob) return cloudlog::fail(blob.error());
      out[{d, s}] = blob->payload;
    }
  }
  return out;
}

// Writes commits of a fixed tree shape: DIRECTORIES directories of SLOTS blobs.
class writer {
 public:
  writer(std::uint32_t directories, std::uint32_t slots) : dirs_(directories) {
    for (auto& d : dirs_) d.blobs.resize(slots);
  }

  // Stages a new version of the blob in slot S of directory D.
  void put(std::uint32_t d, std::uint32_t s, cloudlog::bytes data) {
    staged_[{d, s}] = std::move(data);
  }

  // Writes one new writer segment: the staged blobs, every directory that changed,
  // and a root linking all directories, last.
  // Fails: the store's errors.
  template <cloudlog::segment_store Store>
  cloudlog::result<void> commit(Store& store) {
    const cloudlog::segment_id seg{writer_directory, next_sequence_++};
    cloudlog::bytes out;
    auto add =
        [&](item_type type, std::uint32_t owner, cloudlog::bytes payload,
            std::vector<cloudlog::item_link> links) -> cloudlog::result<cloudlog::item_link> {
      cloudlog::item<layout> it;
      it.header.magic = magic;
      it.header.type = type_byte(type);
      it.header.id = next_id();
      it.header.owner = owner;
      it.payload = std::move(payload);
      it.links = std::move(links);
      const auto at = static_cast<std::uint32_t>(out.size());
      CLOUDLOG_TRY_VOID(cloudlog::append_item(out, it));
      return cloudlog::item_link{it.header.id,
                                 cloudlog::location{seg.directory, seg.sequence, at,
                                                    static_cast<std::uint32_t>(out.size() - at)}};
    };
    for (auto& [where, data] : staged_) {
      auto l = add(item_type::blob, where.first, data, {});
      if (!l) return cloudlog::fail(l.error());
      dirs_[where.first].blobs[where.second] = *l;
      dirs_[where.first].dirty = true;
      expected_[where] = std::move(data);
    }
    staged_.clear();
    std::vector<cloudlog::item_link> dir_links;
    for (std::uint32_t d = 0; d < dirs_.size(); ++d) {
      auto& dir = dirs_[d];
      if (dir.dirty) {
        auto l = add(item_type::directory, d, {}, dir.blobs);
        if (!l) return cloudlog::fail(l.error());
        dir.self = *l;
        dir.dirty = false;
      }
      dir_links.push_back(dir.self);
    }
    root_payload p{++generation_, ack_ ? std::uint8_t{1} : std::uint8_t{0}, ack_.value_or(0)};
    cloudlog::bytes payload(cloudlog::packed_size_v<root_payload>);
    cloudlog::encode_packed(p, payload.data());
    auto root = add(item_type::root, 0, std::move(payload), std::move(dir_links));
    if (!root) return cloudlog::fail(root.error());
    auto name = cloudlog::segment_name(seg);
    if (!name) return cloudlog::fail(name.error());
    return store.write(*name, out);
  }

  // Adopts the newest complete cleaner output, if newer than the last adopted one:
  // items the cleaner moved (matched by id) take their new locations; directories
  // whose blobs moved are rewritten; a new root acknowledges the output.
  // Returns whether there was output to adopt.
  // Fails: the store's errors; cloudlog::errc::dangling_link.
  template <cloudlog::segment_store Store>
  cloudlog::result<bool> adopt(Store& store) {
    auto listed = store.list(cleaner_directory);
    if (!listed) return cloudlog::fail(listed.error());
    std::optional<found_root> newest;
    for (auto it = listed->rbegin(); it != listed->rend() && !newest; ++it) {
      auto r = last_root(store, *it);
      if (!r) return cloudlog::fail(r.error());
      newest = *r;
    }
    if (!newest || (ack_ && *ack_ >= newest->where.sequence)) return false;
    auto root = read_item(store, newest->where, item_type::root);
    if (!root) return cloudlog::fail(root.error());
    std::map<cloudlog::object_id, cloudlog::location> moved_dirs, moved_blobs;
    for (const auto& dl : root->links) {
      moved_dirs[dl.id] = *dl.where;
      auto dir = read_item(store, *dl.where, item_type::directory, dl.id);
      if (!dir) return cloudlog::fail(dir.error());
      for (const auto& bl : dir->links)
        if (!bl.is_null()) moved_blobs[bl.id] = *bl.where;
    }
    for (auto& dir : dirs_) {
      for (auto& b : dir.blobs)
        if (auto m = moved_blobs.find(b.id); !b.is_null() && m != moved_blobs.end())
          b.where = m->second;
      if (auto m = moved_dirs.find(dir.self.id); !dir.dirty && m != moved_dirs.end())
        dir.self.where = m->second;  // the cleaner's copy links the moved blobs already
      else
        dir.dirty = true;
    }
    ack_ = newest->where.sequence;
    CLOUDLOG_TRY_VOID(commit(store));
    return true;
  }

  // What every slot should hold after the commits so far.
  const content& expected() const { return expected_; }

 private:
  struct dir_state {
    cloudlog::item_link self;
    std::vector<cloudlog::item_link> blobs;
    bool dirty = true;
  };

  // Ids need only be unique per item version: a counter, never zero.
  cloudlog::object_id next_id() {
    cloudlog::object_id id;
    cloudlog::store_le(id.value.data(), ++ids_);
    id.value[15] = std::byte{0x7e};
    return id;
  }

  std::vector<dir_state> dirs_;
  std::map<slot, cloudlog::bytes> staged_;
  content expected_;
  std::uint32_t next_sequence_ = 0;
  std::uint32_t generation_ = 0;
  std::optional<std::uint32_t> ack_;
  std::uint64_t ids_ = 0;
};

}  // namespace tree

#endif  // TREE_WRITER_HPP
