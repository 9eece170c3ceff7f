// SPDX-License-Identifier: BSL-1.0
// Must not compile: the context lacks deletable(seg, live).
#include "support/archetypes.hpp"

static_assert(cloudlog::format_context<cloudlog::test::context_without_deletable>);
