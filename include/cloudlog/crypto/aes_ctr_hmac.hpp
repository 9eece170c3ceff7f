// SPDX-License-Identifier: BSL-1.0
// aes_ctr_hmac_cipher: the cipher model that encrypts payloads with AES-128-CTR
// and authenticates items with HMAC-SHA256 (encrypt-then-MAC), on OpenSSL EVP,
// generic over a format's crypto_traits (docs/crypto.md).
#ifndef CLOUDLOG_CRYPTO_AES_CTR_HMAC_HPP
#define CLOUDLOG_CRYPTO_AES_CTR_HMAC_HPP

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>

#include "cloudlog/assert.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/crypto/crypto_traits.hpp"
#include "cloudlog/crypto/random.hpp"
#include "cloudlog/crypto/secret.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// The two keys of an aes_ctr_hmac_cipher. Cleansed when destroyed; move-only.
struct aes_ctr_hmac_keys {
  secret_bytes<16> encryption;      // the AES-128 key
  secret_bytes<32> authentication;  // the HMAC-SHA256 key
};

namespace detail {
struct evp_cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
struct evp_mac_ctx_free {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

// Counts fork()s of this process (as seen by the child), so per-object pools of
// random bytes can be dropped in a child: parent and child must never both use
// the same pooled IV.
inline std::uint64_t fork_generation() noexcept {
  static std::atomic<std::uint64_t> generation{0};
  [[maybe_unused]] static const int registered =
      ::pthread_atfork(nullptr, nullptr, [] { generation.fetch_add(1); });
  return generation.load(std::memory_order_relaxed);
}

// HMAC-SHA256(KEY, MESSAGE) into OUT (32 bytes), one shot.
// Fails: errc::crypto_failure.
inline result<void> hmac_sha256(byte_view key, byte_view message, mutable_byte_view out) {
  CLOUDLOG_ASSERT(out.size() == 32);
  std::size_t n = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                 reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                 reinterpret_cast<unsigned char*>(out.data()), out.size(), &n) ||
      n != 32)
    return fail(errc::crypto_failure);
  return {};
}
}  // namespace detail

// Per item, with the format's Traits:
//   seal: if Traits::encrypts(type): a fresh random IV (from OpenSSL's CSPRNG,
//     drawn in batches; never reused, also not across fork()), the payload encrypted in
//     place with AES-128-CTR (the IV is the initial big-endian 128-bit counter
//     block), magic = Traits::encrypted_magic; otherwise IV = 16 zero bytes and
//     magic = Traits::plain_magic. Then tag = HMAC-SHA256(auth key, covered
//     region), the region running from member Traits::covered_from_member to the
//     end of the link-id section (so the magic, the tag and the link locations
//     are not covered).
//   open: recomputes the tag and compares in constant time; only on a match, and
//     when the magic agrees with the type (the magic is not covered by the tag),
//     an encrypted item has its payload decrypted; then magic = plain, IV = 0.
//   verify: ok / bad, or zero for an all-zero tag.
// Key material lives only in the EVP contexts (the raw keys are cleansed once the
// contexts are keyed), held in one heap block owned by the cipher and reused for
// every item (no per-item key setup or allocation); moving a cipher moves that
// pointer, so no copy of a key is left behind; destruction frees the contexts,
// which cleanse their key schedules and HMAC pads.
// Thread safety: calls on one object are serialized by an internal mutex; use one
// object per thread (clone()) for parallel throughput. Move-only.
template <crypto_traits Traits>
class aes_ctr_hmac_cipher {
 public:
  using traits = Traits;
  using layout = typename Traits::layout;

  // Derives the two keys from MASTER as the format says: the master key is the
  // first Traits::master_key_size bytes of MASTER, zero-padded if shorter (equal
  // to keying HMAC with MASTER itself when MASTER is not longer); then
  //   encryption key     = HMAC-SHA256(master, Traits::encryption_key_label)[0:16]
  //   authentication key = HMAC-SHA256(master, Traits::authentication_key_label).
  // Fails: errc::bad_key for an empty MASTER; errc::crypto_failure.
  static result<aes_ctr_hmac_keys> derive_keys(byte_view master) {
    if (master.empty()) return fail(errc::bad_key);
    secret_bytes<Traits::master_key_size> padded(
        master.first(std::min(master.size(), Traits::master_key_size)));
    aes_ctr_hmac_keys keys;
    secret_bytes<32> full;
    CLOUDLOG_TRY_VOID(
        detail::hmac_sha256(padded.view(), as_bytes(Traits::encryption_key_label), full.span()));
    keys.encryption = secret_bytes<16>(full.view().first(16));
    CLOUDLOG_TRY_VOID(detail::hmac_sha256(padded.view(), as_bytes(Traits::authentication_key_label),
                                          keys.authentication.span()));
    return keys;
  }

  // A cipher keyed from the master key bytes MASTER (see derive_keys).
  // Fails: errc::bad_key for an empty MASTER; errc::crypto_failure.
  static result<aes_ctr_hmac_cipher> from_master(byte_view master) {
    auto keys = derive_keys(master);
    if (!keys) return fail(keys.error());
    return from_keys(std::move(*keys));
  }

  // A cipher using KEYS as they are. The keys are loaded into the OpenSSL
  // contexts and KEYS is cleansed when this returns: afterwards key material
  // lives only inside those contexts.
  // Fails: errc::crypto_failure if OpenSSL cannot set up its contexts.
  static result<aes_ctr_hmac_cipher> from_keys(aes_ctr_hmac_keys keys) {
    const aes_ctr_hmac_keys owned = std::move(keys);
    auto s = std::make_unique<state>();
    s->aes.reset(EVP_CIPHER_CTX_new());
    s->mac.reset(make_mac_ctx());
    if (!s->aes || !s->mac) return fail(errc::crypto_failure);
    EVP_CIPHER* aes = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
    const bool aes_ok =
        aes && EVP_EncryptInit_ex2(s->aes.get(), aes, owned.encryption.data(), nullptr, nullptr);
    EVP_CIPHER_free(aes);
    if (!aes_ok) return fail(errc::crypto_failure);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    if (!EVP_MAC_init(s->mac.get(), owned.authentication.data(), 32, params))
      return fail(errc::crypto_failure);
    return aes_ctr_hmac_cipher(std::move(s));
  }

  aes_ctr_hmac_cipher(aes_ctr_hmac_cipher&&) noexcept = default;
  aes_ctr_hmac_cipher& operator=(aes_ctr_hmac_cipher&&) noexcept = default;
  aes_ctr_hmac_cipher(const aes_ctr_hmac_cipher&) = delete;
  aes_ctr_hmac_cipher& operator=(const aes_ctr_hmac_cipher&) = delete;
  ~aes_ctr_hmac_cipher() = default;

  // An independent cipher with the same keys (for another thread).
  // REQUIRES: *this is not moved-from. Fails: errc::crypto_failure.
  result<aes_ctr_hmac_cipher> clone() const {
    CLOUDLOG_ASSERT(s_);
    auto s = std::make_unique<state>();
    std::lock_guard lock(s_->mutex);
    s->aes.reset(EVP_CIPHER_CTX_new());
    s->mac.reset(EVP_MAC_CTX_dup(s_->mac.get()));
    if (!s->aes || !s->mac || !EVP_CIPHER_CTX_copy(s->aes.get(), s_->aes.get()))
      return fail(errc::crypto_failure);
    return aes_ctr_hmac_cipher(std::move(s));
  }

  // Seals ITEM (one whole item whose magic is the plain one) in place.
  // REQUIRES: *this is not moved-from.
  // Fails: errc::short_header, errc::section_overrun, errc::invalid_argument (not
  // exactly one item, or already encrypted), errc::bad_magic, errc::crypto_failure
  // (ITEM's contents are then unspecified).
  result<void> seal(mutable_byte_view item) const {
    CLOUDLOG_ASSERT(s_);
    auto f = detail::frame_item<Traits>(item);
    if (!f) return fail(f.error());
    const auto magic = detail::read_member<Traits, layout::magic_member>(item);
    if (magic == Traits::encrypted_magic) return fail(errc::invalid_argument);
    if (magic != Traits::plain_magic) return fail(errc::bad_magic);
    const bool encrypt = Traits::encrypts(detail::read_member<Traits, layout::type_member>(item));
    std::array<std::byte, 16> iv{};
    std::lock_guard lock(s_->mutex);
    if (encrypt) {
      CLOUDLOG_TRY_VOID(next_iv(iv));
      CLOUDLOG_TRY_VOID(ctr(iv, item.subspan(f->payload_at, f->payload_size)));
    }
    detail::write_member<Traits, Traits::iv_member>(item, iv);
    detail::write_member<Traits, layout::magic_member>(
        item, encrypt ? Traits::encrypted_magic : Traits::plain_magic);
    std::array<std::byte, 32> tag;
    CLOUDLOG_TRY_VOID(mac(item.subspan(f->covered_at, f->covered_end - f->covered_at), tag));
    detail::write_member<Traits, Traits::tag_member>(item, tag);
    return {};
  }

  // Verifies ITEM's tag; only if it verifies, decrypts an encrypted-magic item's
  // payload in place; then sets the plain magic and a zero IV (the tag bytes are
  // left as they were).
  // REQUIRES: *this is not moved-from.
  // Fails, leaving ITEM unchanged: errc::short_header, errc::section_overrun,
  // errc::invalid_argument (not exactly one item), errc::bad_tag (wrong key,
  // tampered item, or an unauthenticated all-zero tag), errc::bad_magic (neither
  // magic, or a magic that contradicts the type: encrypted types must carry the
  // encrypted magic, the others the plain one); and
  // errc::crypto_failure (ITEM's contents are then unspecified).
  result<void> open(mutable_byte_view item) const {
    CLOUDLOG_ASSERT(s_);
    auto f = detail::frame_item<Traits>(item);
    if (!f) return fail(f.error());
    const auto magic = detail::read_member<Traits, layout::magic_member>(item);
    if (magic != Traits::encrypted_magic && magic != Traits::plain_magic)
      return fail(errc::bad_magic);
    std::lock_guard lock(s_->mutex);
    auto ok = matches(item, *f);
    if (!ok) return fail(ok.error());
    if (!*ok) return fail(errc::bad_tag);
    // The magic is outside the tag: trust it only as far as the (covered) type
    // agrees, or a flipped magic would hand back ciphertext as data, or
    // "decrypt" clear text into garbage.
    const bool encrypted = magic == Traits::encrypted_magic;
    if (encrypted != Traits::encrypts(detail::read_member<Traits, layout::type_member>(item)))
      return fail(errc::bad_magic);
    if (encrypted)
      CLOUDLOG_TRY_VOID(ctr(detail::read_member<Traits, Traits::iv_member>(item),
                            item.subspan(f->payload_at, f->payload_size)));
    detail::write_member<Traits, Traits::iv_member>(item, {});
    detail::write_member<Traits, layout::magic_member>(item, Traits::plain_magic);
    return {};
  }

  // zero for a whole item with an all-zero tag; ok if the tag verifies; bad
  // otherwise (including items that are not exactly one whole item, and a
  // crypto library failure). Never changes ITEM.
  // REQUIRES: *this is not moved-from.
  tag_status verify(byte_view item) const {
    CLOUDLOG_ASSERT(s_);
    auto f = detail::frame_item<Traits>(item);
    if (!f) return tag_status::bad;
    if (detail::tag_is_zero<Traits>(item)) return tag_status::zero;
    std::lock_guard lock(s_->mutex);
    auto ok = matches(item, *f);
    return ok && *ok ? tag_status::ok : tag_status::bad;
  }

 private:
  struct state {
    std::unique_ptr<EVP_CIPHER_CTX, detail::evp_cipher_ctx_free> aes;
    std::unique_ptr<EVP_MAC_CTX, detail::evp_mac_ctx_free> mac;
    std::mutex mutex;
    // Fresh IVs drawn from RAND_bytes 256 at a time (one call per IV costs ~100x
    // more); each is handed out once, then cleansed from the pool.
    std::array<std::byte, 4096> iv_pool{};
    std::size_t iv_next = 4096;
    std::uint64_t iv_generation = 0;
  };

  explicit aes_ctr_hmac_cipher(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}

  static EVP_MAC_CTX* make_mac_ctx() {
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!hmac) return nullptr;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);
    return ctx;
  }

  // The next unused random IV (a new pool after a fork, so a child never repeats
  // its parent's IVs).
  // REQUIRES: the mutex is held.
  result<void> next_iv(std::array<std::byte, 16>& iv) const {
    auto& st = *s_;
    const auto generation = detail::fork_generation();
    if (st.iv_next == st.iv_pool.size() || st.iv_generation != generation) {
      CLOUDLOG_TRY_VOID(random_bytes(st.iv_pool));
      st.iv_next = 0;
      st.iv_generation = generation;
    }
    const auto used = mutable_byte_view(st.iv_pool).subspan(st.iv_next, iv.size());
    std::copy(used.begin(), used.end(), iv.begin());
    cleanse(used);
    st.iv_next += iv.size();
    return {};
  }

  // AES-128-CTR over DATA in place, starting from counter block IV.
  // REQUIRES: the mutex is held.
  result<void> ctr(const std::array<std::byte, 16>& iv, mutable_byte_view data) const {
    if (!EVP_EncryptInit_ex2(s_->aes.get(), nullptr, nullptr,
                             reinterpret_cast<const unsigned char*>(iv.data()), nullptr))
      return fail(errc::crypto_failure);
    constexpr std::size_t chunk = std::size_t{1} << 30;
    for (std::size_t at = 0; at < data.size(); at += chunk) {
      const int n = static_cast<int>(std::min(chunk, data.size() - at));
      auto* p = reinterpret_cast<unsigned char*>(data.data() + at);
      int out = 0;
      if (!EVP_EncryptUpdate(s_->aes.get(), p, &out, p, n) || out != n)
        return fail(errc::crypto_failure);
    }
    return {};
  }

  // HMAC-SHA256 of DATA under the authentication key into TAG.
  // REQUIRES: the mutex is held.
  result<void> mac(byte_view data, std::array<std::byte, 32>& tag) const {
    std::size_t n = 0;
    if (!EVP_MAC_init(s_->mac.get(), nullptr, 0, nullptr) ||
        !EVP_MAC_update(s_->mac.get(), reinterpret_cast<const unsigned char*>(data.data()),
                        data.size()) ||
        !EVP_MAC_final(s_->mac.get(), reinterpret_cast<unsigned char*>(tag.data()), &n,
                       tag.size()) ||
        n != tag.size())
      return fail(errc::crypto_failure);
    return {};
  }

  // True when ITEM's stored tag equals the one computed over its covered region.
  // REQUIRES: the mutex is held.
  result<bool> matches(byte_view item, const detail::item_frame& f) const {
    std::array<std::byte, 32> tag;
    CLOUDLOG_TRY_VOID(mac(item.subspan(f.covered_at, f.covered_end - f.covered_at), tag));
    const auto stored = detail::read_member<Traits, Traits::tag_member>(item);
    return CRYPTO_memcmp(tag.data(), stored.data(), tag.size()) == 0;
  }

  std::unique_ptr<state> s_;
};

}  // namespace cloudlog

#endif  // CLOUDLOG_CRYPTO_AES_CTR_HMAC_HPP
