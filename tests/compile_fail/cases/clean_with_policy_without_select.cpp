// SPDX-License-Identifier: BSL-1.0
// Must not compile: cloudlog::clean's signature refuses a policy lacking select.
#include "cloudlog/cleaner/engine.hpp"
#include "support/archetypes.hpp"

void run(cloudlog::test::store_archetype& store) {
  (void)cloudlog::clean(cloudlog::test::format_archetype{}, store,
                        cloudlog::test::policy_without_select{});
}
