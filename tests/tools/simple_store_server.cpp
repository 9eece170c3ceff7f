// SPDX-License-Identifier: BSL-1.0
// simple_store_server run as a user would: it serves only the regular files of its
// directory — never a symlink (issue 17: it served files outside its directory
// through one) — and its bad-input paths are one `error:` line with the exit code
// of docs/tools.md.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"

using namespace cloudlog;

TEST_CASE("simple_store_server never serves, lists, overwrites or deletes through a symlink",
          "[tools][simple][regress]") {
  test::simple_server_process server;
  const auto outside = server.data().parent_path() / "secret";
  std::ofstream(outside) << "outside";
  const auto link = server.data() / "log-00000000-00000005";
  std::filesystem::create_symlink(outside, link);
  std::filesystem::create_directory_symlink(server.data().parent_path(),
                                            server.data() / "log-00000000-00000006");
  REQUIRE(::mkfifo((server.data() / "log-00000000-00000007").c_str(), 0644) == 0);

  test::raw_connection c(server.port());
  c.send("PUT log-00000000-00000001 3\nabc");
  REQUIRE(c.receive(2) == "0\n");

  // Read: the symlink is no object (it answered "7\noutside"); nor is a FIFO
  // (opening one for reading must not hang the connection).
  c.send("GET log-00000000-00000005 0 0\n");
  CHECK(c.receive(3) == "-1\n");
  c.send("STAT log-00000000-00000005\n");
  CHECK(c.receive(3) == "-1\n");
  const auto start = std::chrono::steady_clock::now();
  c.send("GET log-00000000-00000007 0 0\n");
  CHECK(c.receive(3) == "-1\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  c.send("STAT log-00000000-00000006\n");
  CHECK(c.receive(3) == "-1\n");

  // List: only the regular file (the symlink was listed with the outside file's size).
  c.send("LIST\n");
  CHECK(c.receive(26) == "1\nlog-00000000-00000001 3\n");

  // Write: refused, the symlink stays and the outside file is untouched; the
  // connection stays in step after the refused body.
  c.send("PUT log-00000000-00000005 4\nevil");
  CHECK(c.receive(3) == "-1\n");
  CHECK(std::filesystem::is_symlink(link));

  // Delete: what it does not serve, it does not delete.
  c.send("DELETE log-00000000-00000005\n");
  CHECK(c.receive(3) == "-1\n");
  CHECK(std::filesystem::is_symlink(link));
  c.send("DELETE log-00000000-00000006\n");
  CHECK(c.receive(3) == "-1\n");

  // Regular files are served as before.
  c.send("GET log-00000000-00000001 0 0\n");
  CHECK(c.receive(5) == "3\nabc");
  c.send("DELETE log-00000000-00000001\n");
  CHECK(c.receive(2) == "0\n");
  CHECK(as_chars(test::read_file(outside)) == "outside");
}
