// SPDX-License-Identifier: BSL-1.0
// Compile-only: every generic component of the BlueSky file-system model
// instantiates with the least a segment_store and a cipher must provide (the
// archetypes), so no component asks more of its parameters than the concepts say.
#include <catch2/catch.hpp>

#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/item_source.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/verify.hpp"
#include "cloudlog/formats/bluesky/workload.hpp"
#include "crypto/cipher_archetypes.hpp"
#include "support/archetypes.hpp"

namespace bs = cloudlog::bluesky;
using store_t = cloudlog::test::store_archetype;
using cipher_t = cloudlog::test::cipher_archetype;

template class bs::item_source<store_t, cipher_t>;
template class bs::reader<store_t, cipher_t>;
template class bs::filesystem<store_t, cipher_t>;
template cloudlog::result_with_info<bs::merge_report> bs::merge_cleaner_output(
    bs::filesystem<store_t, cipher_t>&);
template cloudlog::result_with_info<bs::verify_report> bs::verify_filesystem(
    bs::reader<store_t, cipher_t>&, std::size_t);
template cloudlog::result_with_info<bs::workload_report> bs::run_workload(
    bs::filesystem<store_t, cipher_t>&, const bs::workload_options&);

TEST_CASE("the file-system model's components instantiate with the archetypes",
          "[formats][bluesky][archetypes]") {
  store_t store;
  const cipher_t c;
  // The archetype store fails every call: opening reports it, nothing crashes.
  auto r = bs::reader<store_t, cipher_t>::open(store, c);
  CHECK_FALSE(r);
  auto fs = bs::filesystem<store_t, cipher_t>::open(store, c);
  CHECK_FALSE(fs);
}
