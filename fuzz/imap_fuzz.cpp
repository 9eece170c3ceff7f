// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: an inode-map block payload (decode_imap_block).
// Properties: decoded inode numbers are non-zero and strictly ascending and
// re-encode to the input byte for byte; every failure is errc::corrupt_payload.
#include <cstddef>
#include <cstdint>

#include "cloudlog/formats/bluesky/payload.hpp"
#include "support.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::input(data, size);
  auto inums = decode_imap_block(in);
  if (!inums) {
    FUZZ_CHECK(fuzz::is_one_of(inums.error(), {errc::corrupt_payload}));
    return 0;
  }
  FUZZ_CHECK(inums->size() * 8 == size);
  for (std::size_t i = 0; i < inums->size(); ++i) {
    FUZZ_CHECK((*inums)[i] != 0);
    if (i > 0) FUZZ_CHECK((*inums)[i - 1] < (*inums)[i]);
  }
  const auto out = encode_imap_block(*inums);
  FUZZ_CHECK(out.size() == size && std::equal(out.begin(), out.end(), in.begin()));
  return 0;
}
