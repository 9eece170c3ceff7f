// SPDX-License-Identifier: BSL-1.0
// The tools on S3 as an operator meets them: a stalled endpoint, a wrong region,
// a private CA, credentials from each source of the chain (loopback fakes of
// IMDSv2, STS, the container agent, and credential_process) for a dry run over
// s3rver, the conditional-write lease, a versioned bucket.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>

#include <nlohmann/json.hpp>

#include "remote/fake_http.hpp"
#include "support/conditional_s3.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

namespace {

std::string cleaner() {
  return test::tool("bluesky_cleaner").string();
}
std::string fs_tool() {
  return test::tool("bluesky_fs").string();
}

// Keys only where a test puts them; no shared files; instance metadata off.
std::vector<std::string> no_credentials(const std::filesystem::path& home) {
  return {"AWS_ACCESS_KEY_ID=",
          "AWS_SECRET_ACCESS_KEY=",
          "AWS_SESSION_TOKEN=",
          "AWS_CONFIG_FILE=/dev/null",
          "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
          "AWS_PROFILE=",
          "AWS_EC2_METADATA_DISABLED=true",
          "HOME=" + home.string()};
}

std::vector<std::string> plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One "error: " line on stderr, exit CODE, containing every NEEDLE.
void check_error_line(const test::process_result& r, int code,
                      const std::vector<std::string>& needles) {
  INFO(r.err);
  CHECK(r.exit_code == code);
  const auto lines = test::lines(r.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("error: ", 0) == 0);
  for (const auto& n : needles) CHECK(lines[0].find(n) != std::string::npos);
}

// The same with --json: one JSON object on one stderr line, its "error" holding
// every NEEDLE.
void check_json_error_line(const test::process_result& r, int code,
                           const std::vector<std::string>& needles) {
  INFO(r.err);
  CHECK(r.exit_code == code);
  const auto lines = test::lines(r.err);
  REQUIRE(lines.size() == 1);
  const auto j = nlohmann::json::parse(lines[0]);
  CHECK(j["kind"] == "error");
  CHECK(j["exit_code"] == code);
  for (const auto& n : needles) CHECK(j["error"].get<std::string>().find(n) != std::string::npos);
}

std::string iso8601_in(std::chrono::seconds d) {
  return test::iso8601(std::chrono::system_clock::now() + d);
}

// A BlueSky store with garbage at s3://BUCKET/fs on ENDPOINT, written by bluesky_fs.
void write_workload(const std::string& endpoint, const std::vector<std::string>& env,
                    const std::filesystem::path& key, std::vector<std::string> extra = {}) {
  std::ofstream(key) << "s3-tools-test-passphrase";
  std::vector<std::string> args{fs_tool(),
                                "--store",
                                "s3://test-bucket/fs",
                                "--endpoint-url",
                                endpoint,
                                "--key-file",
                                key.string(),
                                "workload",
                                "--files",
                                "4",
                                "--file-size",
                                "64K",
                                "--write-size",
                                "16K",
                                "--overwrite-fraction",
                                "0.5",
                                "--flush-every",
                                "4",
                                "--seed",
                                "5"};
  args.insert(args.begin() + 5, extra.begin(), extra.end());
  auto r = test::run(args, env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("an endpoint that accepts and never answers fails in seconds with the defaults",
          "[tools][s3][timeouts]") {
  // Every request silent past its run's idle timeout (10 s, then 1 s), not much
  // longer: the server's destructor waits for its stalled connections. (The load
  // sends its independent first requests at once on S3: each of them stalls.)
  std::atomic<bool> quick_run{false};
  test::fake_http_server stalled([&quick_run](const test::http_request_seen&) {
    return test::http_action::of(test::http_action::stall, quick_run ? 3s : 13s);
  });
  test::temp_dir home;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = test::run({cleaner(), "--store", "s3://bucket/fs", "--endpoint-url", stalled.endpoint(),
                      "--max-attempts", "1", "--dry-run"},
                     plus(no_credentials(home.path()),
                          {"AWS_ACCESS_KEY_ID=AKTEST", "AWS_SECRET_ACCESS_KEY=not-a-secret"}));
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took <= 20s);
  check_error_line(r, 3, {"no answer from " + stalled.endpoint(), "--idle-timeout"});
  // --idle-timeout shortens it.
  quick_run = true;
  const auto t1 = std::chrono::steady_clock::now();
  auto quick = test::run(
      {cleaner(), "--store", "s3://bucket/fs", "--endpoint-url", stalled.endpoint(),
       "--max-attempts", "1", "--idle-timeout", "1", "--dry-run"},
      plus(no_credentials(home.path()), {"AWS_ACCESS_KEY_ID=AKTEST", "AWS_SECRET_ACCESS_KEY=x"}));
  CHECK(std::chrono::steady_clock::now() - t1 < 8s);
  CHECK(quick.exit_code == 3);
}

TEST_CASE("a wrong region reads as the region to use; a bad endpoint blames the endpoint",
          "[tools][s3][errors]") {
  test::fake_http_server s3([](const test::http_request_seen&) {
    return test::http_action::answer(
        301,
        "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access "
        "must be addressed using the specified endpoint.</Message></Error>",
        "x-amz-bucket-region: eu-west-1\r\n");
  });
  test::temp_dir home;
  const auto env = plus(no_credentials(home.path()),
                        {"AWS_ACCESS_KEY_ID=AKTEST", "AWS_SECRET_ACCESS_KEY=not-a-secret"});
  auto r = test::run(
      {cleaner(), "--store", "s3://bucket/fs", "--endpoint-url", s3.endpoint(), "--dry-run"}, env);
  check_error_line(r, 2, {"PermanentRedirect", "must be addressed", "--region eu-west-1"});
  CHECK(s3.seen().at(0).header("User-Agent") == "bluesky_cleaner/0.1.0 cloudlog/0.1.0");
  auto bad = test::run(
      {cleaner(), "--store", "s3://bucket/fs", "--endpoint-url", "127.0.0.1:9000", "--dry-run"},
      env);
  check_error_line(bad, 2, {"the S3 endpoint 127.0.0.1:9000 is not http(s)://", "--endpoint-url"});
  CHECK(bad.err.find("not a store URI") == std::string::npos);
}

TEST_CASE("a private CA is trusted with --ca-bundle or AWS_CA_BUNDLE, and only then",
          "[tools][s3][tls]") {
  test::s3rver_process s3({"test-bucket"}, true, true);
  test::temp_dir dir;
  const auto env = s3.aws_env();
  write_workload(s3.endpoint(), env, dir.path() / "key", {"--ca-bundle", s3.ca_file().string()});
  const std::vector<std::string> base{cleaner(),        "--store",     "s3://test-bucket/fs",
                                      "--endpoint-url", s3.endpoint(), "--dry-run",
                                      "--json"};
  auto refused = test::run(base, env);
  check_json_error_line(refused, 3, {"did not verify", "--ca-bundle"});
  auto flag = base;
  flag.insert(flag.end(), {"--ca-bundle", s3.ca_file().string()});
  auto ok = test::run(flag, env);
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  auto by_env = test::run(base, plus(env, {"AWS_CA_BUNDLE=" + s3.ca_file().string()}));
  INFO(by_env.err);
  CHECK(by_env.exit_code == 0);
}

TEST_CASE("a dry run over s3rver with credentials from each source of the chain alone",
          "[tools][s3][credentials]") {
  test::s3rver_process s3;
  test::temp_dir dir;
  write_workload(s3.endpoint(), s3.aws_env(), dir.path() / "key");
  const std::string creds_json = R"({"AccessKeyId":"S3RVER","SecretAccessKey":"from-a-fake",)"
                                 R"("Token":"session","Expiration":")" +
                                 iso8601_in(6h) + R"("})";
  std::atomic<int> asked{0};
  test::fake_http_server imds([&](const test::http_request_seen& r) {
    ++asked;
    if (r.method == "PUT") return test::http_action::answer(200, "imds-token");
    if (r.header("X-aws-ec2-metadata-token") != "imds-token")
      return test::http_action::answer(401, "");
    if (r.target == "/latest/meta-data/iam/security-credentials/")
      return test::http_action::answer(200, "role");
    return test::http_action::answer(200, creds_json);
  });
  test::fake_http_server sts([&](const test::http_request_seen&) {
    ++asked;
    return test::http_action::answer(
        200,
        "<AssumeRoleWithWebIdentityResponse><Credentials><AccessKeyId>S3RVER</AccessKeyId>"
        "<SecretAccessKey>from-sts</SecretAccessKey><SessionToken>t</SessionToken>"
        "<Expiration>" +
            iso8601_in(6h) + "</Expiration></Credentials></AssumeRoleWithWebIdentityResponse>");
  });
  test::fake_http_server agent([&](const test::http_request_seen& r) {
    ++asked;
    return r.header("Authorization") == "pod-token" ? test::http_action::answer(200, creds_json)
                                                    : test::http_action::answer(401, "");
  });
  std::ofstream(dir.path() / "jwt") << "a.jwt.token";
  std::ofstream(dir.path() / "pod-token") << "pod-token\n";
  std::ofstream(dir.path() / "config")
      << "[default]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"S3RVER\","
         "\"SecretAccessKey\":\"from-a-process\"}'\n";
  const std::vector<std::pair<std::string, std::vector<std::string>>> sources{
      {"imds",
       {"AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.endpoint()}},
      {"web identity",
       {"AWS_WEB_IDENTITY_TOKEN_FILE=" + (dir.path() / "jwt").string(),
        "AWS_ROLE_ARN=arn:aws:iam::123456789012:role/cleaner",
        "AWS_ENDPOINT_URL_STS=" + sts.endpoint()}},
      {"container",
       {"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + agent.endpoint() + "/creds",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + (dir.path() / "pod-token").string()}},
      {"credential_process", {"AWS_CONFIG_FILE=" + (dir.path() / "config").string()}}};
  for (const auto& [source, vars] : sources) {
    INFO(source);
    const int before = asked.load();
    auto r = test::run({cleaner(), "--store", "s3://test-bucket/fs", "--endpoint-url",
                        s3.endpoint(), "--dry-run", "--json"},
                       plus(no_credentials(dir.path()), vars));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(nlohmann::json::parse(r.out)["segments"].size() > 0);
    if (source != "credential_process") CHECK(asked.load() > before);
  }
  // And with none of them: one line saying where credentials come from.
  auto none = test::run(
      {cleaner(), "--store", "s3://test-bucket/fs", "--endpoint-url", s3.endpoint(), "--dry-run"},
      no_credentials(dir.path()));
  check_error_line(none, 3, {"no AWS credentials", "AWS_ACCESS_KEY_ID"});
}

TEST_CASE("with conditional writes the lease refuses a second cleaner at once",
          "[tools][s3][lease]") {
  test::conditional_s3_server server;
  test::temp_dir dir;
  const auto env = plus(no_credentials(dir.path()),
                        {"AWS_ACCESS_KEY_ID=AKTEST", "AWS_SECRET_ACCESS_KEY=not-a-secret"});
  write_workload(server.endpoint(), env, dir.path() / "key");
  server.put("fs/log-99999999-00000000",
             "cloudlog-lease 1\nholder other-cleaner:42:7\nexpires 99999999999999\n");
  const std::vector<std::string> pass{
      cleaner(),        "--store", "s3://test-bucket/fs", "--endpoint-url", server.endpoint(),
      "--lease-settle", "0"};
  const auto t0 = std::chrono::steady_clock::now();
  auto r = test::run(pass, env);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(r.exit_code == 7);
  CHECK(r.err.find("other-cleaner:42:7") != std::string::npos);
  CHECK(server.get("fs/log-99999999-00000000").value().find("other-cleaner") != std::string::npos);
  // A server that ignores the headers (as s3rver does) gets no zero settle.
  server.honour_conditions(false);
  auto refused = test::run(pass, env);
  check_error_line(refused, 2, {"--lease-settle 0 needs a store with atomic create"});
}

TEST_CASE("a versioned bucket is named with the lifecycle rule that frees its bytes",
          "[tools][s3][versioning]") {
  test::conditional_s3_server server;
  test::temp_dir dir;
  const auto env = plus(no_credentials(dir.path()),
                        {"AWS_ACCESS_KEY_ID=AKTEST", "AWS_SECRET_ACCESS_KEY=not-a-secret"});
  write_workload(server.endpoint(), env, dir.path() / "key");
  const std::vector<std::string> dry{cleaner(),        "--store",         "s3://test-bucket/fs",
                                     "--endpoint-url", server.endpoint(), "--dry-run"};
  auto plain = test::run(dry, env);
  INFO(plain.err);
  CHECK(plain.exit_code == 0);
  CHECK(plain.err.find("versioning") == std::string::npos);
  CHECK(plain.out.find("cost of this plan's reads: $") != std::string::npos);
  server.versioning("Enabled");
  auto versioned = test::run(dry, env);
  CHECK(versioned.exit_code == 0);
  CHECK(versioned.err.find("warning: bucket test-bucket has versioning Enabled") !=
        std::string::npos);
  CHECK(versioned.err.find("NoncurrentVersionExpiration") != std::string::npos);
}

TEST_CASE("--addressing-style puts the bucket in the path or in the Host header",
          "[tools][s3][addressing]") {
  // Every request answered NoSuchBucket: the test reads the requests' form only.
  test::fake_http_server fake([](const test::http_request_seen&) {
    return test::http_action::answer(
        404,
        "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not "
        "exist</Message></Error>");
  });
  test::temp_dir home;
  const auto env = plus(no_credentials(home.path()),
                        {"AWS_ACCESS_KEY_ID=AKTEST", "AWS_SECRET_ACCESS_KEY=not-a-secret"});
  // localhost and its subdomains resolve to the loopback address (curl, RFC 6761).
  const std::string port = fake.endpoint().substr(std::string("http://127.0.0.1:").size());
  const std::string endpoint = "http://localhost:" + port;
  auto run_with = [&](std::vector<std::string> style) {
    std::vector<std::string> args{
        cleaner(), "--store",  "s3://test-bucket/fs", "--endpoint-url", endpoint, "--max-attempts",
        "1",       "--dry-run"};
    args.insert(args.end(), style.begin(), style.end());
    const auto before = fake.requests();
    auto r = test::run(args, env);
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("NoSuchBucket") != std::string::npos);
    REQUIRE(fake.requests() > before);
    return fake.seen().at(before);
  };
  SECTION("path: ENDPOINT/BUCKET/KEY, the endpoint's host") {
    const auto seen = run_with({"--addressing-style", "path"});
    INFO(seen.head);
    CHECK(seen.target.rfind("/test-bucket", 0) == 0);
    CHECK(seen.header("Host") == "localhost:" + port);
  }
  SECTION("virtual: BUCKET.HOST/KEY, the bucket only in the Host header") {
    const auto seen = run_with({"--addressing-style", "virtual"});
    INFO(seen.head);
    CHECK(seen.target.find("test-bucket") == std::string::npos);
    CHECK(seen.target.rfind("/", 0) == 0);
    CHECK(seen.header("Host") == "test-bucket.localhost:" + port);
  }
  SECTION("auto with an explicit endpoint: path") {
    const auto seen = run_with({});
    CHECK(seen.target.rfind("/test-bucket", 0) == 0);
    CHECK(seen.header("Host") == "localhost:" + port);
  }
  SECTION("anything else is refused before a request") {
    const auto before = fake.requests();
    auto r = test::run({cleaner(), "--store", "s3://test-bucket/fs", "--endpoint-url", endpoint,
                        "--addressing-style", "sideways", "--dry-run"},
                       env);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--addressing-style") != std::string::npos);
    CHECK(fake.requests() == before);
  }
}

TEST_CASE("a dry run over s3rver with virtual-host addressing", "[tools][s3][addressing]") {
  test::s3rver_process s3;
  test::temp_dir dir;
  write_workload(s3.endpoint(), s3.aws_env(), dir.path() / "key");
  auto r = test::run({cleaner(), "--store", "s3://test-bucket/fs", "--endpoint-url",
                      s3.vhost_endpoint(), "--addressing-style", "virtual", "--dry-run", "--json"},
                     s3.aws_env());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["segments"].size() > 0);
}

TEST_CASE("--deadline ends a pass at a batch boundary and stops a daemon",
          "[tools][s3][deadline]") {
  test::s3rver_process s3;
  test::temp_dir dir;
  const auto env = s3.aws_env();
  write_workload(s3.endpoint(), env, dir.path() / "key");
  const std::vector<std::string> base{cleaner(), "--store", "s3://test-bucket/fs", "--endpoint-url",
                                      s3.endpoint()};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run(args, env);
  };
  auto plan = with({"--dry-run", "--json"});
  REQUIRE(plan.exit_code == 0);
  REQUIRE(nlohmann::json::parse(plan.out)["plan"]["victims"].size() > 0);
  // The lease alone takes --lease-settle (1 s): the deadline has passed before the
  // first relocation batch, so nothing moves, and the run says so.
  // What was committed (the new root) waits for the proxy's merge, as after any pass.
  auto merge = [&] {
    auto m = test::run({fs_tool(), "--store", "s3://test-bucket/fs", "--endpoint-url",
                        s3.endpoint(), "--key-file", (dir.path() / "key").string(), "merge"},
                       env);
    INFO(m.err);
    REQUIRE(m.exit_code == 0);
  };
  auto late = with({"--deadline", "0.5"});
  INFO(late.err);
  CHECK(late.exit_code == 0);
  CHECK(late.err.find("deadline reached (--deadline)") != std::string::npos);
  merge();
  auto late_json = with({"--deadline", "0.5", "--json"});
  INFO(late_json.err);
  REQUIRE(late_json.exit_code == 0);
  const auto j = nlohmann::json::parse(late_json.out);
  CHECK(j["interrupted"] == true);
  CHECK(j["items_relocated"] == 0);
  merge();
  // A run without one finishes the work.
  auto full = with({"--json"});
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  CHECK(nlohmann::json::parse(full.out)["interrupted"] == false);
  CHECK(nlohmann::json::parse(full.out)["items_relocated"] > 0);
  // A daemon checking every minute stops at its deadline, releasing its lease.
  const auto t0 = std::chrono::steady_clock::now();
  auto daemon = with({"--daemon", "--interval", "60", "--deadline", "3"});
  const auto took = std::chrono::steady_clock::now() - t0;
  INFO(daemon.err);
  CHECK(daemon.exit_code == 0);
  CHECK(took >= 3s);
  CHECK(took < 20s);
  CHECK(daemon.err.find("daemon stopped") != std::string::npos);
  CHECK(daemon.err.find("lease released") != std::string::npos);
}
