// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: a whole segment (segment_items, parse_segment, serialize_segment).
// Properties: items are contiguous from offset 0, each inside the input; a clean
// segment is tiled exactly and re-serializes byte for byte; a corrupt one yields
// exactly one error element, at the end of the last good item, and parse_segment
// reports the same offset, the rest of the segment as its length, and the same code.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"
#include "support.hpp"

using namespace cloudlog;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using layout = bluesky::layout;
  const auto in = fuzz::input(data, size);

  std::vector<item<layout>> items;
  std::uint64_t end = 0;
  std::optional<item_error> error;
  for (const auto& e : segment_items<layout>(in)) {
    FUZZ_CHECK(!error);  // an error element is the last
    if (!e) {
      error = e.error();
      continue;
    }
    FUZZ_CHECK(e->offset() == end);
    FUZZ_CHECK(fuzz::within(e->bytes(), in));
    FUZZ_CHECK(e->bytes().data() == in.data() + end);
    end += e->size();
    items.push_back(item<layout>::from_view(*e));
  }

  std::optional<corruption> reported;
  auto parsed = parse_segment<layout>("log-00000000-00000001", in, [&](const corruption& c) {
    FUZZ_CHECK(!reported);
    reported = c;
  });
  if (error) {
    FUZZ_CHECK(error->offset == end);
    FUZZ_CHECK(fuzz::is_one_of(
        error->code, {errc::short_header, errc::bad_magic, errc::bad_link_id_size,
                      errc::size_overflow, errc::section_overrun, errc::bad_link_location_size}));
    FUZZ_CHECK(!parsed && parsed.error() == error->code);
    FUZZ_CHECK(reported && reported->offset == end && reported->length == size - end &&
               reported->code == error->code && reported->segment == "log-00000000-00000001");
    return 0;
  }
  FUZZ_CHECK(end == size);
  FUZZ_CHECK(parsed && parsed->size() == items.size() && !reported);
  auto out = serialize_segment(items);
  FUZZ_CHECK(out && out->size() == size);
  FUZZ_CHECK(std::equal(out->begin(), out->end(), in.begin()));
  return 0;
}
