// SPDX-License-Identifier: BSL-1.0
// Must not compile: cloudlog::clean's signature refuses a format lacking make_root.
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/archetypes.hpp"

void run(cloudlog::test::store_archetype& store) {
  (void)cloudlog::clean(cloudlog::test::format_without_make_root{}, store,
                        cloudlog::greedy_policy{});
}
