// SPDX-License-Identifier: BSL-1.0
// memory_store: the segment_store laws.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "backend/conformance.hpp"
#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "support/archetypes.hpp"
#include "support/dump_txt.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;

TEST_CASE("memory_store obeys the segment_store laws", "[backend][memory]") {
  memory_store store;
  test::check_segment_store_laws(store);
}
