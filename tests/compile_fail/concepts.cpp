// SPDX-License-Identifier: BSL-1.0
// Archetypes model cleaning_policy, format_context and log_format; each near miss
// (one requirement missing) does not; and cloudlog::clean instantiates with
// nothing but archetypes for its format, store and policy.
#include <catch2/catch.hpp>

#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/policy/policies.hpp"
#include "support/archetypes.hpp"

using namespace cloudlog;
using namespace cloudlog::test;

TEST_CASE(
    "The policy archetype and the library's policies model cleaning_policy; near misses do not",
    "[concepts][cleaning_policy]") {
  STATIC_REQUIRE(cleaning_policy<policy_archetype>);
  STATIC_REQUIRE(cleaning_policy<threshold_policy>);
  STATIC_REQUIRE(cleaning_policy<greedy_policy>);
  STATIC_REQUIRE(cleaning_policy<cost_benefit_policy>);
  STATIC_REQUIRE(cleaning_policy<age_threshold_policy>);
  STATIC_REQUIRE_FALSE(cleaning_policy<policy_without_select>);
  STATIC_REQUIRE_FALSE(cleaning_policy<policy_without_placement>);
  STATIC_REQUIRE_FALSE(cleaning_policy<policy_without_name>);
  STATIC_REQUIRE_FALSE(cleaning_policy<policy_with_mutable_select>);
  STATIC_REQUIRE_FALSE(cleaning_policy<policy_returning_rows>);
}

TEST_CASE("The context archetype models format_context; near misses do not",
          "[concepts][format_context]") {
  STATIC_REQUIRE(format_context<context_archetype>);
  STATIC_REQUIRE_FALSE(format_context<context_without_root>);
  STATIC_REQUIRE_FALSE(format_context<context_without_deletable>);
  STATIC_REQUIRE_FALSE(format_context<context_without_writer_caught_up>);
  STATIC_REQUIRE_FALSE(format_context<context_with_copied_segments>);
}

TEST_CASE("The format archetype models log_format and loadable_format; near misses do not",
          "[concepts][log_format]") {
  STATIC_REQUIRE(log_format<format_archetype>);
  STATIC_REQUIRE(loadable_format<format_archetype, store_archetype>);
  STATIC_REQUIRE_FALSE(log_format<format_without_rewrite>);
  STATIC_REQUIRE_FALSE(log_format<format_without_make_root>);
  STATIC_REQUIRE_FALSE(log_format<format_without_leaf_type>);
  STATIC_REQUIRE_FALSE(log_format<format_without_segment_target>);
  STATIC_REQUIRE_FALSE(log_format<format_with_bad_layout>);
  STATIC_REQUIRE_FALSE(log_format<format_with_bad_context>);
  STATIC_REQUIRE(log_format<format_without_load>);
  STATIC_REQUIRE_FALSE(loadable_format<format_without_load, store_archetype>);
  // load may carry its failure's text (result_with_info); any other error type is a miss.
  STATIC_REQUIRE(loadable_format<format_with_load_info, store_archetype>);
  STATIC_REQUIRE(log_format<format_with_load_of_strings>);
  STATIC_REQUIRE_FALSE(loadable_format<format_with_load_of_strings, store_archetype>);
  // A format is loadable only from a segment_store.
  STATIC_REQUIRE_FALSE(loadable_format<format_archetype, store_without_remove>);
}

TEST_CASE("cloudlog::clean instantiates with a format, store and policy that are bare archetypes",
          "[concepts][engine]") {
  // Taking the address instantiates the whole body: the engine uses nothing the
  // concepts do not promise.
  auto* instantiated = &clean<format_archetype, store_archetype, policy_archetype, accept_all>;
  CHECK(instantiated != nullptr);
  // And running it reports the archetype store's failure as a value.
  store_archetype store;
  auto r = clean(format_archetype{}, store, policy_archetype{});
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::no_checkpoint);
  CHECK(r.error().what.empty());  // a bare code's failure has no text
  // A load that says why: its text reaches clean's caller as it is.
  auto* with_info = &clean<format_with_load_info, store_archetype, policy_archetype, accept_all>;
  CHECK(with_info != nullptr);
  auto i = clean(format_with_load_info{}, store, policy_archetype{});
  REQUIRE_FALSE(i);
  CHECK(i.error() == errc::no_checkpoint);
  CHECK(i.error().what == "the archetype store holds no root");
}
