// SPDX-License-Identifier: BSL-1.0
// Must not compile: the store lacks remove(name).
#include "support/archetypes.hpp"

static_assert(cloudlog::segment_store<cloudlog::test::store_without_remove>);
