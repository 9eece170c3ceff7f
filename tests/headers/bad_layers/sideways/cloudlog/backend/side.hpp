// SPDX-License-Identifier: BSL-1.0
// A backend header that includes a crypto header (siblings): check_layers.py must refuse it.
#include "cloudlog/crypto/cipher.hpp"
