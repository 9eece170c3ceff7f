// SPDX-License-Identifier: BSL-1.0
// log_format: what the cleaner engine needs to know of a format's meaning: how to
// find the root, which links lead to leaves, how items are grouped, how a moved
// item's parents are rewritten, and when a segment may be deleted.
#ifndef CLOUDLOG_CLEANER_LOG_FORMAT_HPP
#define CLOUDLOG_CLEANER_LOG_FORMAT_HPP

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// The per-run state a format loads from a store (docs/concepts/log_format.md).
template <class C>
concept format_context = requires(const C& c, const segment_info& seg, std::uint64_t live) {
  // The location of the current root item (the one the writer acknowledged).
  { c.root() } -> std::same_as<location>;
  // Every segment the cleaner accounts for, in every directory, with sizes.
  { c.segments() } -> std::same_as<const std::vector<segment_info>&>;
  // False while the writer has not adopted earlier cleaner output: the engine then
  // only deletes dead segments and writes nothing.
  { c.writer_caught_up() } -> std::same_as<bool>;
  // The log directory relocated items go to.
  { c.output_directory() } -> std::same_as<std::uint32_t>;
  // The first sequence number in that directory no object has ever used.
  { c.next_sequence() } -> std::same_as<std::uint32_t>;
  // Whether SEG, holding LIVE bytes reachable from the root, may be deleted now.
  // The engine never deletes a segment with live bytes, whatever this says.
  { c.deletable(seg, live) } -> std::same_as<bool>;
  // The logical age of a segment: >= 1, larger is older.
  { c.age(seg.id) } -> std::same_as<std::uint64_t>;
  // Optional: quarantined(), a set of locations (count(location)) of damaged items
  // the writer found in place; a segment holding one of them live is never a victim
  // (cleaner/detail/phases.hpp, quarantined_segments).
  // Optional: root_item(), the root item's bytes as load() read them (a byte_view
  // valid as long as the context): the walk then does not read the root again.
};

// A format F the engine can clean (docs/concepts/log_format.md). Liveness is
// reachability from the root through links; interior items are read by the walk,
// leaves (whose type the parent's type names) are not.
template <class F>
concept log_format = requires(const F& f, const typename F::context& ctx, std::uint8_t type,
                              const item_view<typename F::layout>& item,
                              std::span<const item_link> links) {
  // The item header layout.
  requires header_layout<typename F::layout>;
  // The state loaded per run.
  requires format_context<typename F::context>;
  // Output segments are closed once they reach this many bytes.
  { F::segment_target } -> std::convertible_to<std::uint64_t>;
  // The type of the items linked from an item of TYPE when they are leaves, nullopt
  // when they are interior items the walk must read.
  { f.leaf_type(type) } -> std::same_as<std::optional<std::uint8_t>>;
  // The output group of items of TYPE: each group fills its own segments.
  { f.group_of(type) } -> std::same_as<std::uint32_t>;
  // Whether items of TYPE are copied with their tag intact, so a key can verify them.
  { f.verified_on_copy(type) } -> std::same_as<bool>;
  // The bytes of interior item ITEM rewritten with LINKS (same ids, new locations).
  { f.rewrite(item, links, ctx) } -> std::same_as<result<bytes>>;
  // The bytes of a new root replacing root ITEM, with LINKS.
  { f.make_root(item, links, ctx) } -> std::same_as<result<bytes>>;
};

// What a format's load returns: its context, or why there is none, as a bare
// code (result<Context>) or with the text saying which segment and why
// (result_with_info<Context>: cloudlog::clean hands that text to its caller).
template <class R, class Context>
concept load_result =
    std::same_as<R, result<Context>> || std::same_as<R, result_with_info<Context>>;

// A log_format that can load its context from STORE.
template <class F, class Store>
concept loadable_format = log_format<F> && segment_store<Store> && requires(const F& f, Store& s) {
  // Lists the store, finds the root and the writer's acknowledgement.
  { f.load(s) } -> load_result<typename F::context>;
};

}  // namespace cloudlog

#endif  // CLOUDLOG_CLEANER_LOG_FORMAT_HPP
