// SPDX-License-Identifier: BSL-1.0
// aes_ctr_hmac_cipher: seal/open round trips on random items of every type and
// payload sizes 0..64 KiB, with tags and ciphertext checked against OpenSSL's
// one-shot HMAC() and a separate EVP AES-128-CTR; genericity over a made-up
// format; moves, clones, threads; fresh IVs.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cloudlog/crypto/aes_ctr_hmac.hpp"
#include "cloudlog/crypto/no_cipher.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/log/item.hpp"
#include "crypto/cipher_archetypes.hpp"
#include "crypto/helpers.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {

// HMAC-SHA256 with OpenSSL's one-shot HMAC(), independent of the cipher's EVP_MAC.
std::array<std::byte, 32> one_shot_hmac(byte_view key, byte_view data) {
  std::array<std::byte, 32> out{};
  unsigned int n = 0;
  REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(data.data()), data.size(),
               reinterpret_cast<unsigned char*>(out.data()), &n));
  REQUIRE(n == 32);
  return out;
}

// AES-128-CTR of DATA with a fresh context (no state shared with the cipher).
bytes one_shot_ctr(byte_view key, byte_view iv, byte_view data) {
  bytes out(data.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  REQUIRE(ctx);
  int n = 0;
  REQUIRE(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr,
                             reinterpret_cast<const unsigned char*>(key.data()),
                             reinterpret_cast<const unsigned char*>(iv.data())));
  if (!data.empty())
    REQUIRE(EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                              reinterpret_cast<const unsigned char*>(data.data()),
                              static_cast<int>(data.size())));
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

const bytes master = to_bytes("round-trip master key, 32 bytes+");

}  // namespace

TEST_CASE("seal then open round-trips random items of every type, 0 to 64 KiB",
          "[crypto][aes_ctr_hmac][roundtrip]") {
  auto keys = bs::cipher::derive_keys(master);
  REQUIRE(keys);
  const bytes enc(keys->encryption.view().begin(), keys->encryption.view().end());
  const bytes auth(keys->authentication.view().begin(), keys->authentication.view().end());
  auto c = bs::cipher::from_master(master);
  REQUIRE(c);
  std::mt19937_64 rng(42);
  std::vector<std::size_t> sizes = {0,  1,    15,    16,    17,    31,    32,
                                    33, 4095, 32767, 32768, 32769, 65535, 65536};
  for (int i = 0; i < 8; ++i) sizes.push_back(rng() % 65537);
  int items = 0;
  for (std::uint8_t type : {'1', '2', '3', '4', '0', '9', '@', 'A'}) {
    const bool encrypted = type != '3' && type != '4';  // unknown digits must encrypt (spec)
    for (std::size_t size : sizes) {
      INFO("type " << type << " payload " << size);
      const auto original = test::random_item(rng, type, size, rng() % 6);
      auto x = original;
      REQUIRE(c->seal(x));
      ++items;
      auto v = parse_item<bs::layout>(x, 0);
      REQUIRE(v);
      const auto& h = v->header();
      const std::size_t covered_end = 89 + h.size1 + h.size2;
      // The tag is HMAC-SHA256(auth key, bytes 36 .. end of the link ids).
      CHECK(h.crypt_auth == one_shot_hmac(auth, byte_view(x).subspan(36, covered_end - 36)));
      CHECK(h.magic == (encrypted ? bs::magic_encrypted : bs::magic_plain));
      if (encrypted) {
        CHECK(h.crypt_iv != bs::iv_bytes{});
        CHECK(bytes(v->payload().begin(), v->payload().end()) ==
              one_shot_ctr(enc, h.crypt_iv, byte_view(original).subspan(89, size)));
      } else {
        CHECK(h.crypt_iv == bs::iv_bytes{});
        CHECK(std::equal(v->payload().begin(), v->payload().end(), original.begin() + 89));
      }
      // Everything after the payload, and type..sizes, is untouched.
      CHECK(std::equal(x.begin() + 52, x.begin() + 89, original.begin() + 52));
      CHECK(std::equal(x.begin() + 89 + static_cast<std::ptrdiff_t>(size), x.end(),
                       original.begin() + 89 + static_cast<std::ptrdiff_t>(size)));
      REQUIRE(c->open(x));
      auto expect = original;
      std::copy(h.crypt_auth.begin(), h.crypt_auth.end(), expect.begin() + 4);
      CHECK(x == expect);
    }
  }
  CHECK(items == 8 * 22);
}

TEST_CASE("every seal draws a fresh IV", "[crypto][aes_ctr_hmac]") {
  auto c = bs::cipher::from_master(master);
  REQUIRE(c);
  std::mt19937_64 rng(5);
  const auto original = test::random_item(rng, '1', 64, 0);
  auto a = original, b = original;
  REQUIRE(c->seal(a));
  REQUIRE(c->seal(b));
  CHECK(!std::equal(a.begin() + 36, a.begin() + 52, b.begin() + 36));
  CHECK(!std::equal(a.begin() + 89, a.end(), b.begin() + 89));
  CHECK(c->seal(a).error() == errc::invalid_argument);  // already encrypted
}

TEST_CASE("IVs are never repeated: across many seals, and between a parent and its fork",
          "[crypto][aes_ctr_hmac][iv]") {
  auto c = bs::cipher::from_master(master);
  REQUIRE(c);
  std::mt19937_64 rng(11);
  const auto original = test::random_item(rng, '1', 16, 0);
  auto iv_of_seal = [&] {
    auto x = original;
    REQUIRE(c->seal(x));
    return bytes(x.begin() + 36, x.begin() + 52);
  };
  std::set<bytes> ivs;
  for (int i = 0; i < 1000; ++i) ivs.insert(iv_of_seal());  // spans several IV batches
  CHECK(ivs.size() == 1000);
  CHECK(ivs.count(bytes(16)) == 0);

  // The parent has IVs pooled; a forked child must not hand out the same ones.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto x = original;
    const bool ok = static_cast<bool>(c->seal(x));
    [[maybe_unused]] auto n = ::write(fds[1], x.data() + 36, ok ? 16 : 0);
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  bytes child(16);
  const auto n = ::read(fds[0], child.data(), child.size());
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(n == 16);
  CHECK(WIFEXITED(status));
  const auto parent = iv_of_seal();
  CHECK(parent != child);
  CHECK(ivs.count(child) == 0);
}

TEST_CASE("the cipher is generic: a made-up format with other fields and coverage",
          "[crypto][aes_ctr_hmac][generic]") {
  using toy = aes_ctr_hmac_cipher<test::traits_archetype>;
  auto c = toy::from_master(as_bytes("toy"));
  REQUIRE(c);
  auto keys = toy::derive_keys(as_bytes("toy"));
  REQUIRE(keys);
  for (std::uint8_t type : {std::uint8_t{'x'}, std::uint8_t{'y'}}) {
    item<test::toy_layout> it;
    it.header.magic = 'p';
    it.header.type = type;
    it.header.owner = 7;
    it.payload = to_bytes("toy payload bytes");
    item_link l;
    l.id.value[0] = std::byte{1};
    l.where = location{0, 1, 2, 3};
    it.links = {l};
    bytes x;
    REQUIRE(append_item(x, it));
    const auto original = x;
    REQUIRE(c->seal(x));
    const auto h = decode_packed<test::toy_header>(x.data());
    CHECK(h.magic == (type == 'x' ? 'e' : 'p'));
    constexpr std::size_t covered_at = header_offset_v<test::toy_layout, 3>;  // from `type`
    const std::size_t covered_end = header_size_v<test::toy_layout> + 17 + 16;
    CHECK(h.tag == one_shot_hmac(keys->authentication.view(),
                                 byte_view(x).subspan(covered_at, covered_end - covered_at)));
    CHECK(c->verify(x) == tag_status::ok);
    auto flipped = x;
    flipped[covered_at] ^= std::byte{1};
    CHECK(c->verify(flipped) == tag_status::bad);
    flipped = x;
    flipped[1] ^= std::byte{1};  // the IV is outside this format's coverage
    CHECK(c->verify(flipped) == tag_status::ok);
    REQUIRE(c->open(x));
    auto expect = original;
    std::copy(h.tag.begin(), h.tag.end(), expect.begin() + 17);
    CHECK(x == expect);
    // The key-less model over the same format.
    const basic_no_cipher<test::traits_archetype> none;
    REQUIRE(none.seal(x));
    CHECK(none.verify(x) == tag_status::zero);
    CHECK(c->verify(x) == tag_status::zero);
    REQUIRE(none.open(x));
    x[0] = std::byte{'e'};
    CHECK(none.open(x).error() == errc::bad_key);
  }
}

TEST_CASE("moves transfer the keys; clones work independently; threads may share",
          "[crypto][aes_ctr_hmac]") {
  auto c = bs::cipher::from_master(master);
  REQUIRE(c);
  std::mt19937_64 rng(9);
  auto x = test::random_item(rng, '2', 1000, 2);
  REQUIRE(c->seal(x));
  bs::cipher moved = std::move(*c);
  CHECK(moved.verify(x) == tag_status::ok);
  auto copy = moved.clone();
  REQUIRE(copy);
  CHECK(copy->verify(x) == tag_status::ok);
  // The clone's AES and HMAC contexts carry the same keys: each opens what the other seals.
  const auto plain = test::random_item(rng, '1', 5000, 0);
  auto y = plain;
  REQUIRE(copy->seal(y));
  REQUIRE(moved.open(y));
  CHECK(std::equal(y.begin() + 36, y.end(), plain.begin() + 36));
  REQUIRE(moved.seal(y));
  REQUIRE(copy->open(y));
  CHECK(std::equal(y.begin() + 36, y.end(), plain.begin() + 36));

  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::mt19937_64 r(100 + t);
      for (int i = 0; i < 50; ++i) {
        const auto original = test::random_item(r, '1', 3000, 0);
        auto y = original;
        if (!moved.seal(y) || moved.verify(y) != tag_status::ok || !moved.open(y) ||
            !std::equal(y.begin() + 36, y.end(), original.begin() + 36))
          ++failures[t];
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures == std::vector<int>(4, 0));
}
