// SPDX-License-Identifier: BSL-1.0
// cleaner/log_format.hpp: the concepts (format_context, log_format,
// loadable_format) hold for the models and fail for one near miss per requirement;
// the tree format's loaded context keeps the contract's promises on a real store.
#include <catch2/catch.hpp>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/log_format.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "support/archetypes.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"

using namespace cloudlog;

TEST_CASE("The formats and the archetypes model log_format; near misses do not",
          "[cleaner][concepts]") {
  STATIC_REQUIRE(log_format<tree::format>);
  STATIC_REQUIRE(loadable_format<tree::format, memory_store>);
  STATIC_REQUIRE(log_format<bluesky::format>);
  STATIC_REQUIRE(loadable_format<bluesky::format, memory_store>);
  STATIC_REQUIRE(log_format<test::format_archetype>);
  STATIC_REQUIRE(format_context<test::context_archetype>);
  STATIC_REQUIRE_FALSE(format_context<test::context_without_root>);
  STATIC_REQUIRE_FALSE(format_context<test::context_without_deletable>);
  STATIC_REQUIRE_FALSE(format_context<test::context_without_writer_caught_up>);
  STATIC_REQUIRE_FALSE(format_context<test::context_with_copied_segments>);
  STATIC_REQUIRE_FALSE(log_format<test::format_without_rewrite>);
  STATIC_REQUIRE_FALSE(log_format<test::format_without_make_root>);
  STATIC_REQUIRE_FALSE(log_format<test::format_without_leaf_type>);
  STATIC_REQUIRE_FALSE(log_format<test::format_without_segment_target>);
  STATIC_REQUIRE_FALSE(log_format<test::format_with_bad_layout>);
  STATIC_REQUIRE_FALSE(log_format<test::format_with_bad_context>);
  STATIC_REQUIRE_FALSE(loadable_format<test::format_without_load, memory_store>);
  STATIC_REQUIRE(loadable_format<test::format_with_load_info, memory_store>);
  STATIC_REQUIRE_FALSE(loadable_format<test::format_with_load_of_strings, memory_store>);
}

TEST_CASE("A loaded tree context keeps the format_context promises", "[cleaner][log_format]") {
  memory_store store;
  tree::writer w{2, 4};
  for (int round = 0; round < 3; ++round) {
    w.put(round % 2, round % 4, bytes(500, std::byte{static_cast<unsigned char>(round)}));
    REQUIRE(w.commit(store));
  }
  auto ctx = tree::format{}.load(store);
  REQUIRE(ctx);
  // The root is in a listed segment, inside its bytes.
  const auto root = ctx->root();
  bool found = false;
  for (const auto& seg : ctx->segments())
    if (seg.id == root.segment()) {
      found = true;
      CHECK(root.end() <= seg.size);
    }
  CHECK(found);
  CHECK(ctx->writer_caught_up());  // no cleaner output yet
  // The next output sequence is above every listed one of the output directory.
  for (const auto& seg : ctx->segments()) {
    CHECK(ctx->age(seg.id) >= 1);
    if (seg.id.directory == ctx->output_directory()) CHECK(seg.id.sequence < ctx->next_sequence());
    // The root's own segment is never deletable while it is the root.
    if (seg.id == root.segment()) CHECK_FALSE(ctx->deletable(seg, 0));
  }
}
