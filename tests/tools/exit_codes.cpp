// examples/common/exit_codes.hpp: every error group maps to its exit code and hint
// through the library's conditions (one table), as docs/tools.md lists them.
#include <catch2/catch.hpp>

#include <system_error>

#include "common/exit_codes.hpp"

using cloudlog::errc;

TEST_CASE("every error code exits with its group's code, as docs/tools.md lists",
          "[tools][exit_codes]") {
  for (auto e : {errc::invalid_argument, errc::bad_key})
    CHECK(tools::exit_code_for(e) == tools::exit_usage);
  for (auto e : {errc::unreachable, errc::timeout, errc::access_denied, errc::bad_credentials,
                 errc::no_such_bucket, errc::tls_failure})
    CHECK(tools::exit_code_for(e) == tools::exit_unreachable);
  for (auto e : {errc::short_header, errc::bad_magic, errc::section_overrun, errc::bad_link_id_size,
                 errc::bad_link_location_size, errc::size_overflow, errc::bad_tag,
                 errc::corrupt_payload, errc::dangling_link, errc::unexpected_type})
    CHECK(tools::exit_code_for(e) == tools::exit_corrupt);
  for (auto e : {errc::no_checkpoint, errc::not_found, errc::io_error, errc::protocol_error})
    CHECK(tools::exit_code_for(e) == tools::exit_failed);
  CHECK(tools::exit_code_for(std::make_error_code(std::errc::no_such_file_or_directory)) ==
        tools::exit_failed);
}

TEST_CASE("a code without its own hint gets its group's", "[tools][exit_codes]") {
  CHECK(tools::hint(errc::dangling_link) == tools::hint(errc::section_overrun));
  CHECK(!tools::hint(errc::dangling_link).empty());
  CHECK(tools::hint(errc::invalid_argument) == "see --help");
  CHECK(tools::hint(errc::bad_tag) != tools::hint(errc::bad_magic));  // its own
  CHECK(tools::hint(errc::protocol_error).empty());  // neither its own nor a group's
  CHECK(!tools::hint(errc::io_error).empty());       // its own: what to check
}
