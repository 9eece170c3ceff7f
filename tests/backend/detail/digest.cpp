// SPDX-License-Identifier: BSL-1.0
// backend/detail/digest.hpp against published vectors: SHA-256 and MD5 of "abc"
// (FIPS 180-2, RFC 1321), HMAC-SHA256 (RFC 4231 test case 2), base64 (RFC 4648),
// and the incremental SHA-256 equal to the one-shot one however the data is cut.
#include <catch2/catch.hpp>

#include <string>

#include "cloudlog/backend/detail/digest.hpp"

using namespace cloudlog;

namespace {
byte_view b(std::string_view s) {
  return as_bytes(s);
}
}  // namespace

TEST_CASE("Digests match the published vectors", "[backend][digest]") {
  CHECK(detail::sha256_hex(b("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(detail::sha256_hex(b("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(detail::md5(b("abc"))) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(to_hex(detail::hmac_sha256(b("Jefe"), b("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(detail::base64(b("")) == "");
  CHECK(detail::base64(b("f")) == "Zg==");
  CHECK(detail::base64(b("fo")) == "Zm8=");
  CHECK(detail::base64(b("foobar")) == "Zm9vYmFy");
}

TEST_CASE("sha256_stream equals the one-shot digest whatever the pieces", "[backend][digest]") {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += static_cast<char>('a' + i % 26);
  const auto whole = detail::sha256(b(text));
  for (std::size_t piece : {1, 7, 64, 1000, 5000}) {
    detail::sha256_stream s;
    for (std::size_t at = 0; at < text.size(); at += piece)
      s.update(b(std::string_view(text).substr(at, piece)));
    CHECK(s.finish() == whole);
  }
}
