// SPDX-License-Identifier: BSL-1.0
// A log header that reaches up into the cleaner: check_layers.py must refuse it.
#include "cloudlog/cleaner/engine.hpp"
