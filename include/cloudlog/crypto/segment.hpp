// SPDX-License-Identifier: BSL-1.0
// Ciphers over whole segments: the tag status of every item, and opening every
// item in place, with failures reported as corruption (segment, offset, code).
#ifndef CLOUDLOG_CRYPTO_SEGMENT_HPP
#define CLOUDLOG_CRYPTO_SEGMENT_HPP

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/log/segment.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// One item's tag status within its segment.
struct item_tag {
  std::uint64_t offset = 0;  // offset of the item's header in the segment
  std::uint64_t size = 0;    // the whole item's size
  tag_status status = tag_status::bad;
  friend bool operator==(const item_tag&, const item_tag&) = default;
};

// The tag status of every item of the segment NAME whose bytes are SEGMENT, in
// order. On the first item that does not parse (framing, see parse_item), hands
// SINK a corruption report and returns its code: a segment has no framing to
// resynchronize on. Never changes SEGMENT.
template <header_layout Layout, cipher Cipher, class Sink>
requires std::invocable<Sink&, const corruption&> result<std::vector<item_tag>> verify_segment(
    std::string_view name, byte_view segment, const Cipher& c, Sink&& sink) {
  std::vector<item_tag> out;
  for (const auto& it : segment_items<Layout>(segment)) {
    if (!it) {
      sink(corruption{std::string(name), it.error().offset, segment.size() - it.error().offset,
                      it.error().code});
      return fail(it.error().code);
    }
    out.push_back({it->offset(), it->size(), c.verify(it->bytes())});
  }
  return out;
}

// Opens every item of the segment NAME in place (SEGMENT is then what a reader
// with the key sees: payloads in clear, plain magics, zero IVs).
// An item that fails to open (errc::bad_tag for a wrong key, a tampered item or
// an all-zero tag; errc::bad_key for an encrypted item without a key) is left
// unchanged, reported to SINK as corruption{NAME, its offset, its size, code},
// and the walk goes on with the next item. An item that does not parse stops the
// walk: it is reported with the length from its offset to the segment's end.
// Returns success only if every item opened; otherwise the first failure's code.
// Items never come back half-decrypted: each is verified before it is touched.
template <header_layout Layout, cipher Cipher, class Sink>
requires std::invocable<Sink&, const corruption&> result<void> open_segment(
    std::string_view name, mutable_byte_view segment, const Cipher& c, Sink&& sink) {
  std::error_code first;
  std::uint64_t offset = 0;
  while (offset < segment.size()) {
    auto it = parse_item<Layout>(segment, offset);
    if (!it) {
      sink(corruption{std::string(name), offset, segment.size() - offset, it.error()});
      return fail(first ? first : it.error());
    }
    if (auto r = c.open(segment.subspan(offset, it->size())); !r) {
      sink(corruption{std::string(name), offset, it->size(), r.error()});
      if (!first) first = r.error();
    }
    offset += it->size();
  }
  if (first) return fail(first);
  return {};
}

}  // namespace cloudlog

#endif  // CLOUDLOG_CRYPTO_SEGMENT_HPP
