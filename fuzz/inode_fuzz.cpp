// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: inode payloads, directories included (decode_inode).
// Properties: a decoded inode re-encodes to its input byte for byte; directory
// entries have valid names, non-zero inums and strictly ascending cookies; a
// regular file's size is within the format's limit; every failure is
// errc::corrupt_payload.
#include <cstddef>
#include <cstdint>

#include "cloudlog/formats/bluesky/payload.hpp"
#include "support.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::input(data, size);
  auto node = decode_inode(in);
  if (!node) {
    FUZZ_CHECK(fuzz::is_one_of(node.error(), {errc::corrupt_payload}));
    return 0;
  }
  FUZZ_CHECK(static_cast<std::uint32_t>(node->type) >= 1 &&
             static_cast<std::uint32_t>(node->type) <= 7);
  if (node->type == file_type::regular) FUZZ_CHECK(node->size <= max_file_size);
  if (node->type != file_type::directory) FUZZ_CHECK(node->entries.empty());
  if (node->type != file_type::symlink) FUZZ_CHECK(node->target.empty());
  for (std::size_t i = 0; i < node->entries.size(); ++i) {
    const auto& e = node->entries[i];
    FUZZ_CHECK(e.cookie != 0 && e.inum != 0);
    FUZZ_CHECK(!e.name.empty() && e.name.find('/') == e.name.npos &&
               e.name.find('\0') == e.name.npos);
    if (i > 0) FUZZ_CHECK(node->entries[i - 1].cookie < e.cookie);
  }
  FUZZ_CHECK(node->target.find('\0') == node->target.npos);
  const auto out = encode_inode(*node);
  FUZZ_CHECK(out.size() == size && std::equal(out.begin(), out.end(), in.begin()));
  auto again = decode_inode(out);
  FUZZ_CHECK(again && *again == *node);
  return 0;
}
