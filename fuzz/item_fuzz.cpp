// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: one item (parse_item) under both BlueSky header layouts.
// Properties: a parsed item lies inside its input and its sections tile it exactly;
// its links agree with its sections; from_view + append_item give back its bytes
// byte for byte; every failure is one of parse_item's framing codes.
#include <cstddef>
#include <cstdint>

#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/item.hpp"
#include "support.hpp"

using namespace cloudlog;

namespace {

template <header_layout Layout>
void check_item(byte_view in) {
  auto r = parse_item<Layout>(in, 0);
  if (!r) {
    FUZZ_CHECK(fuzz::is_one_of(
        r.error(), {errc::short_header, errc::bad_magic, errc::bad_link_id_size,
                    errc::size_overflow, errc::section_overrun, errc::bad_link_location_size}));
    return;
  }
  const auto& v = *r;
  FUZZ_CHECK(v.offset() == 0);
  FUZZ_CHECK(v.bytes().data() == in.data());
  FUZZ_CHECK(fuzz::within(v.bytes(), in));
  FUZZ_CHECK(std::uint64_t{v.header_size} + v.payload_size() + v.link_ids_size() +
                 v.link_locations_size() ==
             v.size());
  FUZZ_CHECK(fuzz::within(v.payload(), v.bytes()) && v.payload().size() == v.payload_size());
  FUZZ_CHECK(fuzz::within(v.link_ids(), v.bytes()) && v.link_ids().size() == v.link_ids_size());
  FUZZ_CHECK(fuzz::within(v.link_locations(), v.bytes()) &&
             v.link_locations().size() == v.link_locations_size());
  const auto links = v.links();
  FUZZ_CHECK(links.size() == v.link_count());
  std::size_t located = 0;
  for (const auto& l : links) {
    FUZZ_CHECK(l.is_null() != l.where.has_value());
    located += l.where ? 1 : 0;
  }
  FUZZ_CHECK(located * link_location_size == v.link_locations_size());

  // Round trip: the item re-serialized is the very bytes it was parsed from.
  bytes out;
  FUZZ_CHECK(append_item(out, item<Layout>::from_view(v)).has_value());
  FUZZ_CHECK(out.size() == v.size());
  FUZZ_CHECK(std::equal(out.begin(), out.end(), v.bytes().begin()));

  // The same item inside a larger buffer parses the same at its offset.
  bytes shifted(3, std::byte{0x5a});
  shifted.insert(shifted.end(), v.bytes().begin(), v.bytes().end());
  auto again = parse_item<Layout>(shifted, 3);
  FUZZ_CHECK(again && again->offset() == 3 && again->size() == v.size());
  // And one byte short of it, it does not parse.
  auto cut = parse_item<Layout>(byte_view(v.bytes()).first(v.size() - 1), 0);
  FUZZ_CHECK(!cut);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::input(data, size);
  check_item<bluesky::layout>(in);
  check_item<bluesky::legacy_layout>(in);
  return 0;
}
