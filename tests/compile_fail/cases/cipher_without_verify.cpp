// SPDX-License-Identifier: BSL-1.0
// Must not compile: the cipher lacks verify(view).
#include "crypto/cipher_archetypes.hpp"

static_assert(cloudlog::cipher<cloudlog::test::cipher_without_verify>);
