// SPDX-License-Identifier: BSL-1.0
// item_source: fetches BlueSky items named by links with ranged, batched reads,
// checks that each is the item the link names, and opens it with a cipher
// (docs/format.md, section 10, "Reading").
#ifndef CLOUDLOG_FORMATS_BLUESKY_ITEM_SOURCE_HPP
#define CLOUDLOG_FORMATS_BLUESKY_ITEM_SOURCE_HPP

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cloudlog/assert.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/cleaner/detail/read_planner.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog::bluesky {

// A non-null link as the reader follows it: the id of the item and where it is.
struct item_ref {
  object_id id;
  location where;
  friend bool operator==(const item_ref&, const item_ref&) = default;
};

// One item to fetch: the link, the type and header inum the item must have, and
// (for data blocks and imap blocks) its index, used only to name it in errors.
struct fetch_request {
  item_ref ref;
  item_type type = item_type::data;
  std::uint64_t inum = 0;
  std::uint64_t index = 0;
};

// An item fetched, checked and opened: its whole bytes with the payload in clear.
struct opened_item {
  location where;
  bytes data;

  // The parsed item. Valid as long as this object (and its data) is unchanged.
  item_view<layout> view() const {
    auto v = parse_item<layout>(data, 0);
    CLOUDLOG_ASSERT(v.has_value());
    return *v;
  }
};

// Readable name of what REQUEST fetches: "checkpoint", "inode-map block 0",
// "inode 3", "block 2 of inode 3".
inline std::string describe(const fetch_request& request) {
  switch (request.type) {
    case item_type::checkpoint:
      return "checkpoint";
    case item_type::inode_map:
      return "inode-map block " + std::to_string(request.index);
    case item_type::inode:
      return "inode " + std::to_string(request.inum);
    case item_type::data:
      return "block " + std::to_string(request.index) + " of inode " + std::to_string(request.inum);
  }
  return "item";
}

// The segment name of L, or "log-?" if its numbers are out of range.
inline std::string segment_name_of(const location& l) {
  auto n = segment_name(l.segment());
  return n ? *n : std::string("log-?");
}

// What REQUEST names and where it is looked for, e.g. "block 2 of inode 3 at
// log-00000001-00000004 @65819": the one way every failure about an item begins.
inline std::string item_place(const fetch_request& request) {
  const auto& w = request.ref.where;
  return describe(request) + " at " + segment_name_of(w) + " @" + std::to_string(w.offset);
}

// Fetches items from a store and opens them with a cipher. Holds references to
// both: they must outlive it. Not thread-safe (its read planner counts reads).
// Every failure carries its text: what was read, where, and why; e.g.
// "block 2 of inode 3 at log-00000001-00000004 @65819 (32857 bytes): ...".
//
// Opening policy (docs/format.md, section 10): every item is opened with
// Cipher::open (which verifies the tag and decrypts), except INODE_MAP and
// CHECKPOINT items in directory 1 (written by the key-less cleaner) whose tag is
// all zero: those are accepted in clear. With a key every DATA and INODE item must
// verify; without one (a key-less cipher) plain items are read and encrypted ones
// fail with errc::bad_key ("a key is needed").
template <segment_store Store, cloudlog::cipher Cipher>
class item_source {
 public:
  item_source(Store& store, const Cipher& c) noexcept : store_(&store), cipher_(&c) {}

  Store& store() const noexcept { return *store_; }
  const Cipher& cipher_ref() const noexcept { return *cipher_; }

  // What fetch_each found for one request: the item, or why not (its code and text).
  struct outcome {
    std::optional<opened_item> item;
    error_info error;
  };

  // Fetches REQUESTS, in order, through the engine's read path (the read planner
  // of cleaner/detail/read_planner.hpp under the store's cost model: needed ranges
  // of one segment read as one only where the gap costs less than a request, each
  // range read once; all reads go out as one read_batch). Each item
  // must be exactly where its link says (errc::dangling_link otherwise, also for a
  // missing segment), carry the link's id (errc::dangling_link), the requested type
  // (errc::unexpected_type) and inum (errc::corrupt_payload), and open under the
  // policy above (errc::bad_tag, errc::bad_key). Other store errors pass through.
  // A failure's text names the item and its place.
  result_with_info<std::vector<opened_item>> fetch(std::span<const fetch_request> requests) {
    auto each = fetch_each(requests);
    std::vector<opened_item> out;
    out.reserve(each.size());
    for (auto& o : each) {
      if (!o.item) return fail(std::move(o.error));
      out.push_back(std::move(*o.item));
    }
    return out;
  }

  // Fetches REQUESTS as fetch does, but reports each one's outcome on its own, so
  // a caller can set aside the items that fail (see fetch for the checks).
  std::vector<outcome> fetch_each(std::span<const fetch_request> requests) {
    std::vector<location> locs;
    locs.reserve(requests.size());
    for (const auto& rq : requests) locs.push_back(rq.ref.where);
    auto got = planner_.fetch(*store_, locs, false);

    std::vector<outcome> out(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& rq = requests[i];
      auto& r = got[i];
      auto failed = [&](std::error_code code, const std::string& why) {
        out[i].error = error_info{code, where_of(rq) + why};
      };
      if (!r) {
        const bool missing = r.error() == make_error_code(errc::not_found) ||
                             r.error() == make_error_code(errc::out_of_range);
        failed(missing ? make_error_code(errc::dangling_link) : r.error(),
               missing ? "segment or range does not exist" : r.error().message());
        continue;
      }
      if (r->size() < rq.ref.where.size) {
        failed(make_error_code(errc::dangling_link), "the segment ends inside the item");
        continue;
      }
      opened_item item{rq.ref.where, std::move(*r)};
      if (auto ok = check_and_open(rq, item.data); !ok) {
        out[i].error = std::move(ok.error());
        continue;
      }
      out[i].item = std::move(item);
    }
    return out;
  }

  // What the source's reads cost so far: planned reads (requests) and bytes.
  const cloudlog::detail::read_planner_counts& read_counts() const noexcept {
    return planner_.counts();
  }

  // Fetches one item (see fetch).
  result_with_info<opened_item> fetch_one(const fetch_request& request) {
    auto r = fetch(std::span<const fetch_request>(&request, 1));
    if (!r) return fail(std::move(r.error()));
    return std::move(r->front());
  }

  // Checks and opens the item bytes ITEM_BYTES fetched for REQUEST, in place (see
  // fetch for the checks and their codes).
  result_with_info<void> check_and_open(const fetch_request& rq, bytes& item_bytes) {
    auto v = parse_item<layout>(item_bytes, 0);
    if (!v) return failure(rq, errc::dangling_link, "no item there (" + v.error().message() + ")");
    if (v->size() != item_bytes.size())
      return failure(rq, errc::dangling_link, "the item there has another size");
    if (v->id() != rq.ref.id)
      return failure(rq, errc::dangling_link, "the item there has id " + v->id().hex());
    if (v->type() != type_byte(rq.type))
      return failure(rq, errc::unexpected_type,
                     "the item there is a " + std::string(type_name(v->type())));
    if (v->owner() != rq.inum)
      return failure(rq, errc::corrupt_payload,
                     "the item there belongs to inode " + std::to_string(v->owner()));
    const bool encrypted = v->header().magic == magic_encrypted;
    if (rq.ref.where.directory == cleaner_directory && !encrypted &&
        (rq.type == item_type::inode_map || rq.type == item_type::checkpoint) &&
        cipher_->verify(item_bytes) == tag_status::zero)
      return {};
    if (auto o = cipher_->open(item_bytes); !o) {
      if (o.error() == make_error_code(errc::bad_key) && encrypted)
        return failure(rq, o.error(), "the item is encrypted: a key is needed to read it");
      return failure(rq, o.error(), o.error().message());
    }
    return {};
  }

 private:
  // "block 2 of inode 3 at log-00000001-00000004 @65819 (32857 bytes): "
  static std::string where_of(const fetch_request& rq) {
    return item_place(rq) + " (" + std::to_string(rq.ref.where.size) + " bytes): ";
  }
  static tl::unexpected<error_info> failure(const fetch_request& rq, std::error_code code,
                                            const std::string& why) {
    return fail_with(code, where_of(rq) + why);
  }
  static tl::unexpected<error_info> failure(const fetch_request& rq, errc code,
                                            const std::string& why) {
    return failure(rq, make_error_code(code), why);
  }

  Store* store_;
  const Cipher* cipher_;
  // Plans each fetch (no cache: a source lives longer than a pass, and its callers
  // keep what they need).
  cloudlog::detail::read_planner planner_{read_cost_of<Store>(), whole_object, 0};
};

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_ITEM_SOURCE_HPP
