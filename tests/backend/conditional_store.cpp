// SPDX-License-Identifier: BSL-1.0
// conditional_store: file_store models it (and the memory store does not claim
// to); on the file store create-if-absent, replace-if and remove-if act only when
// the object is as the caller last saw it.
#include <catch2/catch.hpp>

#include "cloudlog/backend/conditional_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "support/archetypes.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;

namespace {
byte_view b(std::string_view s) {
  return as_bytes(s);
}
std::string text(const bytes& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}
}  // namespace

TEST_CASE("file_store models conditional_store; stores without the operations do not",
          "[backend][conditional]") {
  STATIC_REQUIRE(conditional_store<file_store>);
  STATIC_REQUIRE_FALSE(conditional_store<memory_store>);
  STATIC_REQUIRE_FALSE(conditional_store<test::store_archetype>);
}

TEST_CASE("Conditional operations act only on the version the caller saw",
          "[backend][conditional][file]") {
  test::temp_dir dir;
  auto store = file_store::open(dir.path()).value();
  REQUIRE(store.conditional_writes().value());
  const std::string name = "log-99999999-00000001";
  CHECK(store.read_versioned(name).error() == errc::not_found);

  auto v1 = store.create_if_absent(name, b("first"));
  REQUIRE(v1);
  REQUIRE(*v1);
  CHECK(store.create_if_absent(name, b("again")).value() == std::nullopt);  // exists
  auto got = store.read_versioned(name).value();
  CHECK(text(got.data) == "first");
  CHECK(got.version == **v1);

  auto v2 = store.replace_if(name, b("second"), **v1);
  REQUIRE(v2);
  REQUIRE(*v2);
  CHECK(**v2 != **v1);
  CHECK(store.replace_if(name, b("stale"), **v1).value() == std::nullopt);  // changed since
  CHECK(text(store.read_versioned(name).value().data) == "second");

  CHECK_FALSE(store.remove_if(name, **v1).value());  // stale version: kept
  CHECK(store.remove_if(name, **v2).value());
  CHECK(store.read_versioned(name).error() == errc::not_found);
  CHECK_FALSE(store.remove_if(name, **v2).value());  // gone
  CHECK(store.replace_if(name, b("x"), **v2).value() == std::nullopt);
}
