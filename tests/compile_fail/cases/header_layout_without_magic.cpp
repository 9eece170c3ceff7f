// SPDX-License-Identifier: BSL-1.0
// Must not compile: the layout lacks magic_member.
#include "support/archetypes.hpp"

static_assert(cloudlog::header_layout<cloudlog::test::layout_without_magic>);
