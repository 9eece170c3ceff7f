// SPDX-License-Identifier: BSL-1.0
// formats/bluesky/crypto.hpp: the master key comes from --key-file byte for byte
// (a newline included) or BLUESKY_KEY; no key, an unreadable or empty file is
// errc::bad_key; the cipher made from it seals and verifies BlueSky items, and the
// key-less cipher cannot confirm them.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/log/item.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

// GCC 12 at -O2 warns that the string inside a disengaged std::optional temporary
// "may be used uninitialized" (a known false positive, also met under the sanitizers).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace {
struct env_key {
  explicit env_key(const char* v) {
    if (v)
      ::setenv("BLUESKY_KEY", v, 1);
    else
      ::unsetenv("BLUESKY_KEY");
  }
  ~env_key() { ::unsetenv("BLUESKY_KEY"); }
};
std::string text(const bytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
}  // namespace

TEST_CASE("load_master_key reads the key file byte for byte, else BLUESKY_KEY",
          "[formats][bluesky][crypto]") {
  test::temp_dir dir;
  const auto file = dir.path() / "key";
  std::ofstream(file, std::ios::binary) << "secret key\n";
  env_key env("from the environment");
  CHECK(text(bs::load_master_key(file.string()).value()) == "secret key\n");
  CHECK(text(bs::load_master_key(std::nullopt).value()) == "from the environment");
}

TEST_CASE("No key, an unreadable or an empty key file is bad_key", "[formats][bluesky][crypto]") {
  test::temp_dir dir;
  env_key env(nullptr);
  CHECK(bs::load_master_key(std::nullopt).error() == errc::bad_key);
  CHECK(bs::load_master_key((dir.path() / "missing").string()).error() == errc::bad_key);
  const auto empty = dir.path() / "empty";
  std::ofstream(empty).close();
  CHECK(bs::load_master_key(empty.string()).error() == errc::bad_key);
}

TEST_CASE("The cipher from a master key seals what it verifies; another key does not verify it",
          "[formats][bluesky][crypto]") {
  const std::string k1 = "master key one", k2 = "master key two";
  auto c1 = bs::cipher::from_master(as_bytes(std::string_view(k1)));
  auto c2 = bs::cipher::from_master(as_bytes(std::string_view(k2)));
  REQUIRE(c1);
  REQUIRE(c2);
  item<bs::layout> it;
  it.header.magic = bs::magic_plain;
  it.header.type = bs::type_byte(bs::item_type::data);
  it.payload.assign(64, std::byte{0x42});
  bytes b;
  REQUIRE(append_item(b, it));
  REQUIRE(c1->seal(b));
  CHECK(std::equal(b.begin(), b.begin() + 4, bs::magic_encrypted.begin()));  // DATA is encrypted
  CHECK(c1->verify(b) == tag_status::ok);
  CHECK(c2->verify(b) == tag_status::bad);
  CHECK(bs::no_cipher{}.verify(b) == tag_status::bad);
  REQUIRE(c1->open(b));
  CHECK(std::all_of(b.begin() + 89, b.begin() + 89 + 64,
                    [](std::byte x) { return x == std::byte{0x42}; }));
}
