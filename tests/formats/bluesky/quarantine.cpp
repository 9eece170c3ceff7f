// SPDX-License-Identifier: BSL-1.0
// The quarantine record (formats/bluesky/quarantine.hpp): its text, and how a store
// without one, or with a damaged one, reads.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/formats/bluesky/quarantine.hpp"

using namespace cloudlog;

TEST_CASE("a quarantine record is text that round-trips, and a cut one is refused",
          "[formats][bluesky][quarantine]") {
  const std::set<location> items{{0, 0, 0, 105}, {1, 7, 4096, 32857}};
  const auto text = bluesky::encode_quarantine(items);
  CHECK(text == "cloudlog quarantine 1\n0 0 0 105\n1 7 4096 32857\nend 2\n");
  auto back = bluesky::decode_quarantine(text);
  REQUIRE(back);
  CHECK(*back == items);
  CHECK(bluesky::decode_quarantine("cloudlog quarantine 1\nend 0\n").value().empty());
  // Every proper prefix is refused: the end line is what says it is complete.
  for (std::size_t n = 0; n < text.size(); ++n) {
    INFO(n);
    CHECK(!bluesky::decode_quarantine(text.substr(0, n)));
  }
  for (const char* bad :
       {"cloudlog quarantine 2\nend 0\n", "cloudlog quarantine 1\nend 1\n",
        "cloudlog quarantine 1\n0 0 0\nend 1\n", "cloudlog quarantine 1\n0 0 0 1 9\nend 1\n",
        "cloudlog quarantine 1\nend 0\nmore\n"}) {
    INFO(bad);
    CHECK(bluesky::decode_quarantine(bad).error() == make_error_code(errc::corrupt_payload));
  }
}

TEST_CASE("a store's quarantine record: none reads empty, a damaged one reads empty with a note",
          "[formats][bluesky][quarantine]") {
  memory_store store;
  auto none = bluesky::read_quarantine(store);
  REQUIRE(none);
  CHECK(none->items.empty());
  CHECK(none->note.empty());

  const std::set<location> items{{0, 3, 10, 20}};
  REQUIRE(bluesky::write_quarantine(store, items));
  CHECK(store.read("log-99999999-00000002", 0, whole_object).has_value());
  CHECK(bluesky::read_quarantine(store).value().items == items);

  REQUIRE(store.write("log-99999999-00000002", as_bytes("cloudlog quarantine 1\n0 3 10 20\n")));
  auto cut = bluesky::read_quarantine(store);
  REQUIRE(cut);
  CHECK(cut->items.empty());
  CHECK(cut->note == "log-99999999-00000002 is not a complete quarantine record: ignored");

  // An empty record removes the object.
  REQUIRE(bluesky::write_quarantine(store, {}));
  CHECK(store.read("log-99999999-00000002", 0, whole_object).error() ==
        make_error_code(errc::not_found));
}
