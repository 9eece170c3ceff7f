// SPDX-License-Identifier: BSL-1.0
// Must not compile: the format lacks rewrite(item, links, ctx).
#include "support/archetypes.hpp"

static_assert(cloudlog::log_format<cloudlog::test::format_without_rewrite>);
