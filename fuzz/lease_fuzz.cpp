// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: the cleaner's lease record (decode_lease, encode_lease).
// Properties: a decoded record's holder has no newline and its expiry is not
// negative; it re-encodes to the input byte for byte unless the input spelled the
// number with leading zeros; decode(encode(r)) == r; every failure is
// errc::corrupt_payload. And the other way: any record with a newline-free holder
// and a non-negative expiry, built from the input, survives encode then decode.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "cloudlog/cleaner/lease.hpp"
#include "support.hpp"

using namespace cloudlog;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::input(data, size);
  auto r = decode_lease(in);
  if (!r) {
    FUZZ_CHECK(fuzz::is_one_of(r.error(), {errc::corrupt_payload}));
  } else {
    FUZZ_CHECK(r->holder.find('\n') == r->holder.npos);
    FUZZ_CHECK(r->expires_ms >= 0);
    const auto out = encode_lease(*r);
    const auto text = as_chars(in);
    const auto digits = text.substr(text.rfind(' ') + 1);
    const bool leading_zero = digits.size() > 2 && digits[0] == '0';
    if (!leading_zero)
      FUZZ_CHECK(out.size() == size && std::equal(out.begin(), out.end(), in.begin()));
    auto again = decode_lease(out);
    FUZZ_CHECK(again && *again == *r);
  }

  // A record made from the input: 8 bytes of expiry (made non-negative), the rest the holder.
  if (size >= 8) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, data, 8);
    lease_record made{std::string(reinterpret_cast<const char*>(data) + 8, size - 8),
                      static_cast<std::int64_t>(bits >> 1)};
    for (auto& c : made.holder)
      if (c == '\n') c = ' ';
    auto back = decode_lease(encode_lease(made));
    FUZZ_CHECK(back && *back == made);
  }
  return 0;
}
