// SPDX-License-Identifier: BSL-1.0
// The key checked first: before a tool reads the store for work or writes to it,
// the items the newest checkpoint covers (the checkpoint itself and the inode-map
// blocks it links to) are verified with the key (docs/tools.md, "The key first").
#ifndef CLOUDLOG_EXAMPLES_COMMON_KEY_CHECK_HPP
#define CLOUDLOG_EXAMPLES_COMMON_KEY_CHECK_HPP

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/formats/bluesky/root.hpp"
#include "cloudlog/log/item.hpp"
#include "cloudlog/segment_name.hpp"
#include "common/exit_codes.hpp"

namespace tools {

// What the key check read.
struct key_check_result {
  bool checked = false;         // a checkpoint was found and its items verified
  std::uint64_t items = 0;      // items verified (the checkpoint and its inode-map blocks)
  std::string checkpoint_name;  // the segment the checkpoint ends
};

// Verifies CIPHER against STORE's newest checkpoint: the checkpoint item, then
// every inode-map block it links to (read at its location, nothing else). A tag
// that does not verify is the wrong key (or damage there): one error line naming
// the item, and exit_corrupt, before anything else is read or written. A store
// whose root cannot be found is left to the caller (which reports it with the
// rule's own words): CHECKED stays false. Items tagged all zeros (written by a
// key-less cleaner) cannot say anything about the key and are passed over.
// Failures are reported with CONTEXT's explanation (the store's own words).
// Returns exit_ok or the exit code it reported.
template <class Store, class Cipher>
int check_key_first(Store& store, const Cipher& cipher, const std::string& uri,
                    const store_context& context, key_check_result& out) {
  namespace bs = cloudlog::bluesky;
  auto root = bs::find_root(store, bs::no_cipher{});
  if (!root) return exit_ok;
  const auto& cp = root->checkpoint;
  out.checkpoint_name = cp.segment.name;
  auto wrong = [&](const std::string& where) {
    return emit_error(fmt::format("the key does not verify the newest checkpoint of {} ({}): "
                                  "wrong key? (check --key-file or BLUESKY_KEY; nothing was "
                                  "read beyond it and nothing written)",
                                  uri, where),
                      exit_corrupt);
  };
  const auto first = cipher.verify(cp.item());
  if (first == cloudlog::tag_status::bad)
    return wrong(fmt::format("its own item, {} @{}", cp.segment.name, cp.where.offset));
  ++out.items;
  auto view = cloudlog::parse_item<bs::layout>(cp.item(), 0);
  if (!view)
    return report(
        context.error_of(view.error(), "cannot parse the checkpoint in " + cp.segment.name));
  for (const auto& link : view->links()) {
    if (!link.where) continue;
    const auto& at = *link.where;
    auto name = cloudlog::segment_name(at.segment());
    if (!name)
      return report(context.error_of(name.error(), "the checkpoint in " + cp.segment.name));
    auto item = store.read(*name, at.offset, at.size);
    if (!item)
      return report(context.error_of(item.error(), fmt::format("cannot read {} @{} (an inode-map "
                                                               "block the newest checkpoint "
                                                               "links to)",
                                                               *name, at.offset)));
    if (cipher.verify(*item) == cloudlog::tag_status::bad)
      return wrong(fmt::format("the inode-map block {} @{} it links to", *name, at.offset));
    ++out.items;
  }
  out.checked = true;
  return exit_ok;
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_KEY_CHECK_HPP
