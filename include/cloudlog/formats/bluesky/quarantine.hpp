// SPDX-License-Identifier: BSL-1.0
// The quarantine record: the writer's list of damaged live items the cleaner must
// leave where they are (docs/format.md, section 12, "Damaged items").
#ifndef CLOUDLOG_FORMATS_BLUESKY_QUARANTINE_HPP
#define CLOUDLOG_FORMATS_BLUESKY_QUARANTINE_HPP

#include <algorithm>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/location.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog::bluesky {

// Where the record lives: beside the cleaner's lease (log-99999999-00000000) and
// pass history (log-99999999-00000001), in a directory neither the proxy nor the
// cleaner writes segments to.
inline constexpr segment_id quarantine_object{max_segment_number, 2};

// The record's text: a header line, one "directory sequence offset size" line per
// item, and "end COUNT" (a record cut short has no matching end line).
inline std::string encode_quarantine(const std::set<location>& items) {
  std::string out = "cloudlog quarantine 1\n";
  for (const auto& l : items)
    out += std::to_string(l.directory) + ' ' + std::to_string(l.sequence) + ' ' +
           std::to_string(l.offset) + ' ' + std::to_string(l.size) + '\n';
  out += "end " + std::to_string(items.size()) + '\n';
  return out;
}

// The items of a record's TEXT.
// Fails: errc::corrupt_payload (not a complete version-1 record).
inline result<std::set<location>> decode_quarantine(std::string_view text) {
  if (text.empty() || text.back() != '\n') return fail(errc::corrupt_payload);
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != "cloudlog quarantine 1")
    return fail(errc::corrupt_payload);
  std::set<location> items;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string word;
    fields >> word;
    if (word == "end") {
      std::uint64_t count = 0;
      std::string rest;
      if (!(fields >> count) || (fields >> rest) || count != items.size() || in.get() != EOF)
        return fail(errc::corrupt_payload);
      return items;
    }
    location l{};
    std::istringstream all(line);
    if (!(all >> l.directory >> l.sequence >> l.offset >> l.size) || (all >> word))
      return fail(errc::corrupt_payload);
    items.insert(l);
  }
  return fail(errc::corrupt_payload);
}

// A record as read: its items, and a note when a damaged one was ignored.
struct quarantine_record {
  std::set<location> items;
  std::string note;  // empty, or "<name> is not a complete quarantine record: ignored"
};

// The record in STORE; empty when there is none. It only ever keeps items where
// they are, so a damaged record is not an error: it reads as empty (the cleaner
// then copies those items again, as it would without a record) and its note says
// so.
// Fails: the store's errors other than errc::not_found.
template <segment_store Store>
result<quarantine_record> read_quarantine(Store& store) {
  auto name = segment_name(quarantine_object);
  if (!name) return fail(name.error());
  auto text = store.read(*name, 0, whole_object);
  if (!text) {
    if (text.error() == make_error_code(errc::not_found)) return quarantine_record{};
    return fail(text.error());
  }
  auto items = decode_quarantine(as_chars(*text));
  if (!items) return quarantine_record{{}, *name + " is not a complete quarantine record: ignored"};
  return quarantine_record{std::move(*items), {}};
}

// Replaces the record in STORE with ITEMS (removes it when ITEMS is empty).
// Fails: the store's errors.
template <segment_store Store>
result<void> write_quarantine(Store& store, const std::set<location>& items) {
  auto name = segment_name(quarantine_object);
  if (!name) return fail(name.error());
  if (items.empty()) return store.remove(*name);
  const auto text = encode_quarantine(items);
  return store.write(*name, as_bytes(text));
}

}  // namespace cloudlog::bluesky

#endif  // CLOUDLOG_FORMATS_BLUESKY_QUARANTINE_HPP
