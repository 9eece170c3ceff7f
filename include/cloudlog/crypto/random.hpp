// SPDX-License-Identifier: BSL-1.0
// Cryptographically strong random bytes and object ids, from OpenSSL.
#ifndef CLOUDLOG_CRYPTO_RANDOM_HPP
#define CLOUDLOG_CRYPTO_RANDOM_HPP

#include <climits>

#include <openssl/rand.h>

#include "cloudlog/bytes.hpp"
#include "cloudlog/object_id.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// Fills OUT with random bytes from OpenSSL's CSPRNG. Thread-safe.
// Fails: errc::crypto_failure if OpenSSL cannot produce them.
inline result<void> random_bytes(mutable_byte_view out) {
  if (out.size() > INT_MAX ||
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1)
    return fail(errc::crypto_failure);
  return {};
}

// A fresh random, non-null object id. Thread-safe.
// Fails: errc::crypto_failure.
inline result<object_id> random_object_id() {
  object_id id;
  do {
    CLOUDLOG_TRY_VOID(random_bytes(id.value));
  } while (id.is_null());
  return id;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_CRYPTO_RANDOM_HPP
