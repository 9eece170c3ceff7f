// SPDX-License-Identifier: BSL-1.0
// Must not compile: the policy lacks placement(age).
#include "support/archetypes.hpp"

static_assert(cloudlog::cleaning_policy<cloudlog::test::policy_without_placement>);
