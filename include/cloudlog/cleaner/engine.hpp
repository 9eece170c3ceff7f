// SPDX-License-Identifier: BSL-1.0
// The cleaner engine, generic over the format, the store, the policy and an optional
// verifier: one pass is load -> walk -> tabulate -> choose -> mark -> schedule ->
// relocate -> rewrite -> commit -> delete (the phases: cleaner/detail/phases.hpp,
// docs/design.md "The engine").
#ifndef CLOUDLOG_CLEANER_ENGINE_HPP
#define CLOUDLOG_CLEANER_ENGINE_HPP

#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/cleaner/log_format.hpp"
#include "cloudlog/cleaner/options.hpp"
#include "cloudlog/cleaner/report.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/policy/cleaning_policy.hpp"

namespace cloudlog {

// Runs one cleaning pass of STORE, whose format is FORMAT, choosing victims with
// POLICY. Crash safety (docs/design.md): relocated items and rewritten parents are
// written to new segments of the output directory first; the segment holding the
// new root is written last, after every other one succeeded; only segments the
// format calls deletable and that hold no live byte are deleted, after the commit.
// A failure at any point returns its error having deleted nothing of this run's
// victims; a rerun converges. Items the verifier refuses, or that are corrupt, stay
// where they are (reported in clean_report::rejected).
// Fails: the store's and the format's errors; errc::dangling_link if a link does
// not lead to the item it names (nothing is written then). Each failure carries
// its text (error_info::what): the format's load's own (which segment and why:
// BlueSky's is find_root's) as it is; a later phase's prefixed with what the pass
// was doing ("walking the live items from the root at ...", "relocating N live
// items", "committing ...").
// Not thread-safe with respect to another cleaner on the same store.
template <class Format, segment_store Store, cleaning_policy Policy,
          item_verifier Verifier = accept_all>
requires loadable_format<Format, Store> result_with_info<clean_report> clean(
    const Format& format, Store& store, const Policy& policy, const clean_options& options = {},
    const Verifier& verify = {});

}  // namespace cloudlog

#include "cloudlog/cleaner/impl/engine.hpp"

#endif  // CLOUDLOG_CLEANER_ENGINE_HPP
