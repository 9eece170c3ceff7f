// SPDX-License-Identifier: BSL-1.0
// examples/common/exit_codes.hpp: every error group maps to its exit code and hint
// through the library's conditions (one table), as docs/tools.md lists them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
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

TEST_CASE("docs/tools.md's exit-code table is the table in code", "[tools][exit_codes][docs]") {
  std::ifstream in(std::filesystem::path(CLOUDLOG_SOURCE_DIR) / "docs" / "tools.md");
  REQUIRE(in);
  std::map<int, std::string> documented;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) in_table = line == "## Exit codes (all tools)";
    if (!in_table || line.rfind("| ", 0) != 0) continue;
    const auto bar = line.find(" | ", 2);
    if (bar == std::string::npos) continue;
    const auto code = line.substr(2, bar - 2);
    if (code.empty() || code.find_first_not_of("0123456789") != std::string::npos) continue;
    documented[std::stoi(code)] = line.substr(bar + 3);
  }
  std::map<int, std::string> in_code;
  for (const auto& e : tools::exit_code_table) in_code[e.code] = e.meaning;
  REQUIRE(documented.size() == in_code.size());
  for (const auto& [code, meaning] : in_code) {
    INFO(code << ": " << meaning);
    REQUIRE(documented.count(code));
    // The row says the table's meaning, after an optional "`tool`: " scope.
    auto row = documented.at(code);
    if (row.rfind("`", 0) == 0) row = row.substr(row.find(": ") + 2);
    CHECK(row.rfind(meaning, 0) == 0);
  }
  // The --help footer is made from the same table.
  CHECK(tools::exit_codes_help().find("7 another cleaner holds the store's lease") !=
        std::string::npos);
}
