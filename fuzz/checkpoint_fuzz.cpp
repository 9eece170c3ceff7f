// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: a checkpoint payload (decode_checkpoint).
// Properties: a decoded checkpoint re-encodes to its input byte for byte (the
// format has one spelling), its version vector and ranges are strictly ascending
// and ranges disjoint; every failure is errc::corrupt_payload.
#include <cstddef>
#include <cstdint>

#include "cloudlog/formats/bluesky/payload.hpp"
#include "support.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::input(data, size);
  auto cp = decode_checkpoint(in);
  if (!cp) {
    FUZZ_CHECK(fuzz::is_one_of(cp.error(), {errc::corrupt_payload}));
    return 0;
  }
  for (std::size_t i = 1; i < cp->version_vector.size(); ++i)
    FUZZ_CHECK(cp->version_vector[i - 1].directory < cp->version_vector[i].directory);
  for (std::size_t i = 0; i < cp->ranges.size(); ++i) {
    FUZZ_CHECK(cp->ranges[i].start <= cp->ranges[i].end);
    if (i > 0) FUZZ_CHECK(cp->ranges[i - 1].end < cp->ranges[i].start);
  }
  for (const auto& e : cp->version_vector) FUZZ_CHECK(cp->version_of(e.directory) == e.sequence);
  const auto out = encode_checkpoint(*cp);
  FUZZ_CHECK(out.size() == size && std::equal(out.begin(), out.end(), in.begin()));
  auto again = decode_checkpoint(out);
  FUZZ_CHECK(again && *again == *cp);
  return 0;
}
