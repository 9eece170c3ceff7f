// SPDX-License-Identifier: BSL-1.0
// The tools' store URIs (examples/common/store_uri.hpp): parsing, and bluesky_fs
// reading a real fixture stage through simple:// and s3:// exactly as through file:.
#include <catch2/catch.hpp>

#include "cloudlog/backend/s3_store.hpp"
#include "common/store_uri.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"

using namespace cloudlog;

TEST_CASE("open_store understands file:, simple:// and s3:// URIs", "[remote][uri]") {
  test::temp_dir dir;
  CHECK(std::holds_alternative<file_store>(
      tools::open_store("file:" + dir.path().string()).value().store));
  auto simple = tools::open_store("simple://127.0.0.1:9541").value().store;
  REQUIRE(std::holds_alternative<simple_store>(simple));
  CHECK(std::get<simple_store>(simple).options().port == 9541);
  auto original = tools::open_store("simple:localhost:12345").value().store;
  CHECK(std::get<simple_store>(original).options().host == "localhost");
  auto v6 = tools::open_store("simple://[::1]:7000").value().store;
  CHECK(std::get<simple_store>(v6).options().host == "::1");
  for (auto bad : {"simple://host", "simple://host:0", "simple://host:70000", "simple://:80",
                   "nfs://x", "s3://", "file:"}) {
    INFO(bad);
    CHECK(tools::open_store(bad).error().code == errc::invalid_argument);
  }
  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  tools::store_settings settings;
  settings.endpoint_url = "http://127.0.0.1:4569";
  settings.parallelism = 3;
  auto s3 = tools::open_store("s3://bucket/some/prefix", false, settings).value().store;
  REQUIRE(std::holds_alternative<s3_store>(s3));
  const auto& store = std::get<s3_store>(s3);
  CHECK(store.bucket() == "bucket");
  CHECK(store.prefix() == "some/prefix/");
  CHECK(store.options().parallelism == 3);
  CHECK(store.url_of("log-00000000-00000001") ==
        "http://127.0.0.1:4569/bucket/some/prefix/log-00000000-00000001");
  CHECK(std::get<s3_store>(tools::open_store("s3://bucket", false, settings).value().store)
            .prefix()
            .empty());
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
}

TEST_CASE("open_store's store and errors carry their context: the kind, the store's own words",
          "[remote][uri]") {
  test::temp_dir dir;
  auto file = tools::open_store("file:" + dir.path().string()).value();
  CHECK(file.context.kind == "file");
  CHECK(tools::open_store("simple://127.0.0.1:9541").value().context.kind == "simple");
  auto missing = tools::open_store("file:" + (dir.path() / "nothing").string());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);
  CHECK(missing.error().store_kind == "file");
  CHECK(missing.error().detail.empty());

  // A store's explanation reaches the error value made for its failure, once; the
  // context's copies share it, and another store's context never sees it.
  auto other = tools::open_store("file:" + dir.path().string()).value();
  auto copy = file.context;
  copy.notes->record("the server said why");
  auto e = file.context.error_of(make_error_code(errc::unreachable), "cannot list the store");
  CHECK(e.detail == "the server said why");
  CHECK(e.store_kind == "file");
  CHECK(tools::message_of(e) == "cannot list the store: the server said why");
  CHECK(other.context.error_of(make_error_code(errc::unreachable), "x").detail.empty());
  CHECK(file.context.error_of(make_error_code(errc::unreachable), "x").detail.empty());

  // Without the store's words, the hint follows the store's kind.
  CHECK(tools::message_of(
            tools::error{make_error_code(errc::unreachable), "cannot list", {}, "simple"})
            .find("simple_store_server") != std::string::npos);
  CHECK(tools::message_of(tools::error{make_error_code(errc::unreachable), "cannot list", {}, "s3"})
            .find("--endpoint-url") != std::string::npos);

  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  tools::store_settings settings;
  settings.endpoint_url = "ftp://127.0.0.1";
  auto bad = tools::open_store("s3://bucket", false, settings);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_argument);
  CHECK(bad.error().store_kind == "s3");
  CHECK(bad.error().detail.find("the S3 endpoint ftp://127.0.0.1 is not http(s)://HOST[:PORT]") ==
        0);
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
}

TEST_CASE("add_store_flags parses the shared store flags", "[remote][uri]") {
  CLI::App app;
  tools::store_settings settings;
  tools::add_store_flags(app, settings);
  const char* argv[] = {
      "tool", "--endpoint-url", "http://127.0.0.1:9000", "--parallelism", "4", "--max-attempts",
      "2"};
  app.parse(7, argv);
  CHECK(settings.endpoint_url == "http://127.0.0.1:9000");
  CHECK(settings.parallelism == 4u);
  CHECK(settings.max_attempts == 2u);
  CLI::App strict;
  tools::store_settings other;
  tools::add_store_flags(strict, other);
  const char* bad[] = {"tool", "--parallelism", "0"};
  CHECK_THROWS_AS(strict.parse(3, bad), CLI::ValidationError);
  CHECK(!other.parallelism);
}

TEST_CASE("bluesky_fs dump reads a fixture stage the same through file:, simple:// and s3://",
          "[remote][uri][tools]") {
  const auto stage = test::fixtures_dir() / "main/stage3-clean1";
  const auto fs = test::tool("bluesky_fs").string();
  auto local = test::run({fs, "--store", "file:" + stage.string(), "dump"});
  REQUIRE(local.exit_code == 0);
  REQUIRE(!local.out.empty());

  test::simple_server_process simple;
  test::copy_stage(stage, simple.data());
  auto over_simple =
      test::run({fs, "--store", "simple://127.0.0.1:" + std::to_string(simple.port()), "dump"});
  INFO(over_simple.err);
  CHECK(over_simple.exit_code == 0);
  CHECK(over_simple.out == local.out);

  test::s3rver_process s3({"fixtures"});
  s3_options o;
  o.endpoint = s3.endpoint();
  o.credentials = {"S3RVER", "S3RVER", ""};
  o.proxy_from_environment = false;
  auto up = s3_store::open("fixtures", "stage3/", o).value();
  for (const auto& f : test::stage_segments(stage))
    REQUIRE(up.write(f.filename().string(), test::read_file(f)));
  auto env = s3.aws_env();
  env.push_back("AWS_ENDPOINT_URL=" + s3.endpoint());
  auto over_s3 = test::run({fs, "--store", "s3://fixtures/stage3", "dump"}, env);
  INFO(over_s3.err);
  CHECK(over_s3.exit_code == 0);
  CHECK(over_s3.out == local.out);

  // A bucket that does not exist: a clear message and the "unreachable" exit code.
  auto missing = test::run({fs, "--store", "s3://no-such-bucket/x", "dump"}, env);
  CHECK(missing.exit_code == 3);
  // The server's own Code, with what to do.
  CHECK(missing.err.find("NoSuchBucket") != std::string::npos);
  CHECK(missing.err.find("create the bucket") != std::string::npos);
}
