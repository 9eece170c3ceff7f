// SPDX-License-Identifier: BSL-1.0
// Cipher throughput: bluesky::cipher seal / open / verify on BlueSky DATA items,
// beside raw OpenSSL AES-128-CTR and HMAC-SHA256 over the same bytes, measured
// in the same run (docs/performance.md, "cipher").
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/log/item.hpp"

namespace {

namespace bs = cloudlog::bluesky;
using cloudlog::bytes;

const bytes master = cloudlog::to_bytes("benchmark master key, 32 bytes..");

// One serialized DATA item with a PAYLOAD-byte payload (plain magic, zero IV and tag).
bytes data_item(std::size_t payload) {
  cloudlog::item<bs::layout> it;
  it.header.magic = bs::magic_plain;
  it.header.type = bs::type_byte(bs::item_type::data);
  it.header.id.value[0] = std::byte{1};
  it.header.inum = 3;
  it.payload.resize(payload);
  for (std::size_t i = 0; i < payload; ++i) it.payload[i] = static_cast<std::byte>(i * 7);
  bytes out;
  if (!cloudlog::append_item(out, it)) std::abort();
  return out;
}

bs::cipher make_cipher() {
  auto c = bs::cipher::from_master(master);
  if (!c) std::abort();
  return std::move(*c);
}

// Throughput is counted in payload bytes for every benchmark, so the figures compare.
void count(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// --- raw OpenSSL, contexts reused exactly as the cipher reuses them ---
struct raw_openssl {
  EVP_CIPHER_CTX* aes = EVP_CIPHER_CTX_new();
  EVP_MAC_CTX* mac = nullptr;
  std::array<unsigned char, 16> key{1, 2, 3};
  std::array<unsigned char, 32> auth{4, 5, 6};
  std::array<unsigned char, 16> iv{7, 8, 9};
  raw_openssl() {
    EVP_EncryptInit_ex2(aes, EVP_aes_128_ctr(), key.data(), iv.data(), nullptr);
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    mac = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    EVP_MAC_init(mac, auth.data(), auth.size(), params);
  }
  ~raw_openssl() {
    EVP_CIPHER_CTX_free(aes);
    EVP_MAC_CTX_free(mac);
  }
  void ctr(std::byte* p, std::size_t n) {
    int out = 0;
    EVP_EncryptInit_ex2(aes, nullptr, nullptr, iv.data(), nullptr);
    EVP_EncryptUpdate(aes, reinterpret_cast<unsigned char*>(p), &out,
                      reinterpret_cast<unsigned char*>(p), static_cast<int>(n));
  }
  void hmac(const std::byte* p, std::size_t n, unsigned char* tag) {
    std::size_t len = 0;
    EVP_MAC_init(mac, nullptr, 0, nullptr);
    EVP_MAC_update(mac, reinterpret_cast<const unsigned char*>(p), n);
    EVP_MAC_final(mac, tag, &len, 32);
  }
};

void openssl_aes128_ctr(benchmark::State& state) {
  raw_openssl raw;
  auto item = data_item(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    raw.ctr(item.data() + 89, item.size() - 89);
    benchmark::ClobberMemory();
  }
  count(state);
}

void openssl_hmac_sha256(benchmark::State& state) {
  raw_openssl raw;
  auto item = data_item(static_cast<std::size_t>(state.range(0)));
  std::array<unsigned char, 32> tag;
  for (auto _ : state) {
    raw.hmac(item.data() + 36, item.size() - 36, tag.data());  // the covered region
    benchmark::DoNotOptimize(tag);
  }
  count(state);
}

// What seal and open must do at least: AES-128-CTR over the payload and
// HMAC-SHA256 over the covered region (bytes 36 .. end of the link ids).
void openssl_aes_then_hmac(benchmark::State& state) {
  raw_openssl raw;
  auto item = data_item(static_cast<std::size_t>(state.range(0)));
  std::array<unsigned char, 32> tag;
  for (auto _ : state) {
    raw.ctr(item.data() + 89, item.size() - 89);
    raw.hmac(item.data() + 36, item.size() - 36, tag.data());
    benchmark::DoNotOptimize(tag);
    benchmark::ClobberMemory();
  }
  count(state);
}

void cipher_seal(benchmark::State& state) {
  const auto c = make_cipher();
  auto item = data_item(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    item[3] = bs::magic_plain[3];  // seal refuses an already-encrypted item
    if (!c.seal(item)) state.SkipWithError("seal failed");
    benchmark::ClobberMemory();
  }
  count(state);
}

void cipher_open(benchmark::State& state) {
  const auto c = make_cipher();
  auto sealed = data_item(static_cast<std::size_t>(state.range(0)));
  if (!c.seal(sealed)) std::abort();
  // open changes its item: keep a small pool of sealed copies (cache-resident like
  // the other benchmarks' buffer) and refill it outside the timed region.
  constexpr std::size_t pool = 16;
  std::vector<bytes> items(pool, sealed);
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == pool) {
      state.PauseTiming();
      for (auto& i : items) std::memcpy(i.data(), sealed.data(), sealed.size());
      next = 0;
      state.ResumeTiming();
    }
    if (!c.open(items[next++])) state.SkipWithError("open failed");
    benchmark::ClobberMemory();
  }
  count(state);
}

void cipher_verify(benchmark::State& state) {
  const auto c = make_cipher();
  auto item = data_item(static_cast<std::size_t>(state.range(0)));
  if (!c.seal(item)) std::abort();
  for (auto _ : state) {
    auto s = c.verify(item);
    benchmark::DoNotOptimize(s);
  }
  count(state);
}

}  // namespace

BENCHMARK(openssl_aes128_ctr)->Arg(32768)->Arg(4096);
BENCHMARK(openssl_hmac_sha256)->Arg(32768)->Arg(4096);
BENCHMARK(openssl_aes_then_hmac)->Arg(32768)->Arg(4096);
BENCHMARK(cipher_seal)->Arg(32768)->Arg(4096);
BENCHMARK(cipher_open)->Arg(32768)->Arg(4096);
BENCHMARK(cipher_verify)->Arg(32768)->Arg(4096);

BENCHMARK_MAIN();
