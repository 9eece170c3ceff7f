// SPDX-License-Identifier: BSL-1.0
// The tree format as cloudlog's cleaner engine sees it: a log_format model.
#ifndef TREE_FORMAT_HPP
#define TREE_FORMAT_HPP

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/cleaner/log_format.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/log/segment.hpp"
#include "layout.hpp"

namespace tree {

// The last item of segment SEG if it is a root: its location, payload and bytes.
struct found_root {
  cloudlog::location where;
  root_payload payload;
  cloudlog::bytes item;
};
template <cloudlog::segment_store Store>
cloudlog::result<std::optional<found_root>> last_root(Store& store,
                                                      const cloudlog::segment_info& seg) {
  auto data = store.read(seg.name, 0, cloudlog::whole_object);
  if (!data) return cloudlog::fail(data.error());
  auto items = cloudlog::parse_segment<layout>(*data);
  if (!items) return cloudlog::fail(items.error());
  if (items->empty() || items->back().type() != type_byte(item_type::root) ||
      items->back().payload().size() != cloudlog::packed_size_v<root_payload>)
    return std::optional<found_root>();
  const auto& v = items->back();
  return std::optional<found_root>(
      found_root{{seg.id.directory, seg.id.sequence, static_cast<std::uint32_t>(v.offset()),
                  static_cast<std::uint32_t>(v.size())},
                 cloudlog::decode_packed<root_payload>(v.payload().data()),
                 cloudlog::bytes(v.bytes().begin(), v.bytes().end())});
}

// What one cleaning run knows of a tree store.
class context {
 public:
  // The writer's newest root.
  cloudlog::location root() const { return root_; }
  const std::vector<cloudlog::segment_info>& segments() const { return segments_; }
  // The writer has adopted the newest cleaner output (or there is none).
  bool writer_caught_up() const {
    return !newest_output_ || (root_payload_.has_ack && root_payload_.ack >= *newest_output_);
  }
  std::uint32_t output_directory() const { return cleaner_directory; }
  std::uint32_t next_sequence() const { return next_sequence_; }
  // Writer segments older than the root's, and cleaner segments the writer
  // adopted, once nothing in them is live.
  bool deletable(const cloudlog::segment_info& seg, std::uint64_t live) const {
    if (live != 0) return false;
    if (seg.id.directory == writer_directory) return seg.id.sequence < root_.sequence;
    return root_payload_.has_ack && seg.id.sequence <= root_payload_.ack;
  }
  // Writer segments age with every newer commit; cleaner output counts as older.
  std::uint64_t age(cloudlog::segment_id s) const {
    if (s.directory == writer_directory)
      return writer_head_ >= s.sequence ? writer_head_ - s.sequence + 1 : 1;
    return std::uint64_t{writer_head_} + 2 +
           (cleaner_head_ >= s.sequence ? cleaner_head_ - s.sequence : 0);
  }
  const root_payload& current_root() const { return root_payload_; }
  // The root item's bytes as load() read them (with the rest of its segment): the
  // engine hands them to the walk, which then does not read the root again.
  cloudlog::byte_view root_item() const { return root_item_; }

 private:
  friend struct format;
  cloudlog::location root_{};
  root_payload root_payload_{};
  cloudlog::bytes root_item_;
  std::vector<cloudlog::segment_info> segments_;
  std::optional<std::uint32_t> newest_output_;
  std::uint32_t next_sequence_ = 0;
  std::uint32_t writer_head_ = 0, cleaner_head_ = 0;
};

// The tree log_format: roots link directories (interior), directories link blobs (leaves).
struct format {
  using layout = tree::layout;
  using context = tree::context;
  static constexpr std::uint64_t segment_target = 16 * 1024;

  std::optional<std::uint8_t> leaf_type(std::uint8_t type) const {
    if (type == type_byte(item_type::directory)) return type_byte(item_type::blob);
    return std::nullopt;
  }
  std::uint32_t group_of(std::uint8_t type) const {
    if (type == type_byte(item_type::blob)) return 0;
    return type == type_byte(item_type::directory) ? 1 : 2;
  }
  bool verified_on_copy(std::uint8_t) const { return false; }

  // A directory keeps its bytes; only its link locations change.
  // Fails: cloudlog::errc::unexpected_type for anything but a directory.
  cloudlog::result<cloudlog::bytes> rewrite(const cloudlog::item_view<layout>& item,
                                            std::span<const cloudlog::item_link> links,
                                            const context&) const {
    if (item.type() != type_byte(item_type::directory))
      return cloudlog::fail(cloudlog::errc::unexpected_type);
    cloudlog::bytes out(item.bytes().begin(), item.bytes().end());
    std::vector<cloudlog::location> locs;
    for (const auto& l : links)
      if (l.where) locs.push_back(*l.where);
    cloudlog::rewrite_link_locations<layout>(out, locs);
    return out;
  }

  // The cleaner's root: the writer's root payload and id, the new links.
  cloudlog::result<cloudlog::bytes> make_root(const cloudlog::item_view<layout>& item,
                                              std::span<const cloudlog::item_link> links,
                                              const context&) const {
    auto it = cloudlog::item<layout>::from_view(item);
    it.links.assign(links.begin(), links.end());
    cloudlog::bytes out;
    CLOUDLOG_TRY_VOID(cloudlog::append_item(out, it));
    return out;
  }

  // Root: the newest writer segment ending with a root. Newest output: the newest
  // cleaner segment ending with a root.
  // Failures carry their text: the directory or segment, and why.
  // Fails: cloudlog::errc::no_checkpoint; the store's and framing errors.
  template <cloudlog::segment_store Store>
  cloudlog::result_with_info<context> load(Store& store) const {
    context ctx;
    auto writer = store.list(writer_directory);
    if (!writer) return cloudlog::fail_while(writer.error(), "cannot list the writer's segments");
    auto cleaner = store.list(cleaner_directory);
    if (!cleaner)
      return cloudlog::fail_while(cleaner.error(), "cannot list the cleaner's segments");
    ctx.segments_ = *writer;
    ctx.segments_.insert(ctx.segments_.end(), cleaner->begin(), cleaner->end());
    if (!writer->empty()) ctx.writer_head_ = writer->back().id.sequence;
    if (!cleaner->empty()) ctx.cleaner_head_ = cleaner->back().id.sequence;
    bool found = false;
    for (auto it = writer->rbegin(); it != writer->rend() && !found; ++it) {
      auto r = last_root(store, *it);
      if (!r) return cloudlog::fail_while(r.error(), "cannot read the root of " + it->name);
      if (*r) {
        ctx.root_ = (*r)->where;
        ctx.root_payload_ = (*r)->payload;
        ctx.root_item_ = std::move((*r)->item);
        found = true;
      }
    }
    if (!found)
      return cloudlog::fail_with(make_error_code(cloudlog::errc::no_checkpoint),
                                 "no writer segment ends with a root");
    for (auto it = cleaner->rbegin(); it != cleaner->rend(); ++it) {
      auto r = last_root(store, *it);
      if (!r) return cloudlog::fail_while(r.error(), "cannot read the root of " + it->name);
      if (*r) {
        ctx.newest_output_ = it->id.sequence;
        break;
      }
    }
    ctx.next_sequence_ = cleaner->empty() ? 0 : cleaner->back().id.sequence + 1;
    if (ctx.root_payload_.has_ack)
      ctx.next_sequence_ = std::max(ctx.next_sequence_, ctx.root_payload_.ack + 1);
    return ctx;
  }
};
static_assert(cloudlog::log_format<format>);

}  // namespace tree

#endif  // TREE_FORMAT_HPP
