// SPDX-License-Identifier: BSL-1.0
// Segments: a segment is items back to back. A lazy range-v3 view of a segment's
// items, corruption reports, and whole-segment parse and serialization.
#ifndef CLOUDLOG_LOG_SEGMENT_HPP
#define CLOUDLOG_LOG_SEGMENT_HPP

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <range/v3/view/facade.hpp>
#include <tl/expected.hpp>

#include "cloudlog/bytes.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// Where and why an item failed to parse.
struct item_error {
  std::uint64_t offset = 0;  // offset of the bad item within the segment
  std::error_code code;      // one of the framing errc values (parse_item)
};

// One element of a segment's item range: a parsed item, or why parsing stopped.
template <header_layout Layout>
using item_or_error = tl::expected<item_view<Layout>, item_error>;

// A corruption report, as handed to a sink: which segment, at which offset, how
// many bytes from there to the segment's end could not be read, and why.
struct corruption {
  std::string segment;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::error_code code;

  // One line: "log-00000000-00000001 @ 1234: bad item magic".
  std::string to_string() const {
    return segment + " @ " + std::to_string(offset) + ": " + code.message();
  }
};

// The items of a segment as a lazy range-v3 view. Each element is an
// item_or_error; a corrupt item yields one error element and ends the range (a
// segment has no framing to resynchronize on), so corruption never silently
// truncates the list. The view and its items are valid as long as the buffer.
template <header_layout Layout>
class segment_items : public ranges::view_facade<segment_items<Layout>, ranges::finite> {
 public:
  segment_items() = default;
  explicit segment_items(byte_view segment) noexcept : segment_(segment) {}

 private:
  friend ranges::range_access;

  // Holds only the position: read() parses the item there on demand (cheap: a
  // header and the link ids), so no parsed element is stored in the iterator.
  class cursor {
   public:
    cursor() = default;
    explicit cursor(byte_view segment) : segment_(segment) { done_ = segment_.empty(); }
    item_or_error<Layout> read() const {
      auto r = parse_item<Layout>(segment_, offset_);
      if (!r) return tl::unexpected(item_error{offset_, r.error()});
      return *r;
    }
    void next() {
      auto r = parse_item<Layout>(segment_, offset_);
      if (!r) {
        done_ = true;  // the error element was the last
        return;
      }
      offset_ += r->size();
      done_ = offset_ == segment_.size();
    }
    bool equal(ranges::default_sentinel_t) const { return done_; }

   private:
    byte_view segment_;
    std::uint64_t offset_ = 0;
    bool done_ = true;
  };

  cursor begin_cursor() const { return cursor(segment_); }

  byte_view segment_;
};

// Parses every item of the segment NAME whose bytes are SEGMENT. On the first
// corrupt item, hands SINK a corruption report (segment, offset, remaining
// bytes, code) and returns that code; otherwise returns all items in order.
// The views are valid as long as SEGMENT's buffer.
template <header_layout Layout, class Sink>
requires std::invocable<Sink&, const corruption&> result<std::vector<item_view<Layout>>>
parse_segment(std::string_view name, byte_view segment, Sink&& sink) {
  std::vector<item_view<Layout>> out;
  for (const auto& it : segment_items<Layout>(segment)) {
    if (!it) {
      sink(corruption{std::string(name), it.error().offset, segment.size() - it.error().offset,
                      it.error().code});
      return fail(it.error().code);
    }
    out.push_back(*it);
  }
  return out;
}

// Same, with corruption reported only through the returned code.
template <header_layout Layout>
result<std::vector<item_view<Layout>>> parse_segment(byte_view segment) {
  return parse_segment<Layout>("", segment, [](const corruption&) {});
}

// Serializes ITEMS back to back (what a segment is).
template <header_layout Layout>
result<bytes> serialize_segment(const std::vector<item<Layout>>& items) {
  bytes out;
  for (const auto& it : items) CLOUDLOG_TRY_VOID(append_item(out, it));
  return out;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_LOG_SEGMENT_HPP
