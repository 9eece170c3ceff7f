// SPDX-License-Identifier: BSL-1.0
// The credential chain (backend/aws_credentials.hpp), each source against a
// loopback fake of its service: credential_process, web identity at a fake STS,
// container credentials with the token file, IMDSv2; the chain's order; refresh
// before expiry, in the middle of a run of requests.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <thread>

#include "cloudlog/backend/aws_credentials.hpp"
#include "cloudlog/backend/s3_store.hpp"
#include "remote/fake_http.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

namespace {

// Sets variables for one test and puts back what was there.
class env_guard {
 public:
  env_guard() {
    for (const char* v : {"AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY",
                          "AWS_SESSION_TOKEN",
                          "AWS_PROFILE",
                          "AWS_DEFAULT_PROFILE",
                          "AWS_CONFIG_FILE",
                          "AWS_SHARED_CREDENTIALS_FILE",
                          "AWS_REGION",
                          "AWS_DEFAULT_REGION",
                          "AWS_ENDPOINT_URL",
                          "AWS_ENDPOINT_URL_S3",
                          "AWS_ENDPOINT_URL_STS",
                          "AWS_WEB_IDENTITY_TOKEN_FILE",
                          "AWS_ROLE_ARN",
                          "AWS_ROLE_SESSION_NAME",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                          "AWS_EC2_METADATA_DISABLED",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                          "AWS_CA_BUNDLE"}) {
      const char* old = std::getenv(v);
      saved_.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
      ::unsetenv(v);
    }
    set("AWS_CONFIG_FILE", "/dev/null");
    set("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    set("AWS_EC2_METADATA_DISABLED", "true");
  }
  ~env_guard() {
    for (auto& [n, v] : saved_)
      if (v)
        ::setenv(n.c_str(), v->c_str(), 1);
      else
        ::unsetenv(n.c_str());
  }
  void set(const char* n, const std::string& v) { ::setenv(n, v.c_str(), 1); }
  void unset(const char* n) { ::unsetenv(n); }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A fake IMDSv2: PUT /latest/api/token, then the role, then its credentials
// (token "tok-N" at the N-th fetch, expiring LIFETIME after it).
test::fake_http_server::handler imds(std::atomic<int>& fetches, std::chrono::seconds lifetime) {
  return [&fetches, lifetime](const test::http_request_seen& r) {
    if (r.method == "PUT" && r.target == "/latest/api/token")
      return test::http_action::answer(200, "imds-session-token");
    if (r.header("X-aws-ec2-metadata-token") != "imds-session-token")
      return test::http_action::answer(401, "");
    if (r.target == "/latest/meta-data/iam/security-credentials/")
      return test::http_action::answer(200, "cleaner-role");
    if (r.target == "/latest/meta-data/iam/security-credentials/cleaner-role") {
      const int n = ++fetches;
      return test::http_action::answer(
          200, R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"S3RVER",)"
               R"("SecretAccessKey":"imds-secret","Token":"tok-)" +
                   std::to_string(n) + R"(","Expiration":")" +
                   test::iso8601(std::chrono::system_clock::now() + lifetime) + R"("})");
    }
    return test::http_action::answer(404, "");
  };
}

}  // namespace

TEST_CASE("credential_process: the JSON a command prints", "[remote][credentials]") {
  env_guard env;
  auto c = process_credentials(
      R"(printf '{"Version": 1, "AccessKeyId": "AKPROC", "SecretAccessKey": "sproc", )"
      R"("SessionToken": "tproc", "Expiration": "2099-01-02T03:04:05Z"}')");
  REQUIRE(c);
  CHECK(c->keys.access_key_id == "AKPROC");
  CHECK(c->keys.secret_access_key == "sproc");
  CHECK(c->keys.session_token == "tproc");
  CHECK(c->source == "credential_process");
  REQUIRE(c->expires);
  CHECK(std::chrono::system_clock::to_time_t(*c->expires) == 4071006245);
  CHECK(process_credentials("exit 3").error() == errc::bad_credentials);
  CHECK(process_credentials("echo '{}'").error() == errc::bad_credentials);
  // Through a profile, in the chain.
  test::temp_dir home;
  std::ofstream(home.path() / "config")
      << "[profile proc]\nregion = eu-west-3\ncredential_process = printf "
         "'{\"Version\":1,\"AccessKeyId\":\"AKP\",\"SecretAccessKey\":\"sp\"}'\n";
  env.set("AWS_CONFIG_FILE", (home.path() / "config").string());
  env.set("AWS_PROFILE", "proc");
  auto chain = resolve_credentials(detail::aws_profile::from_environment(), "eu-west-3", {});
  REQUIRE(chain);
  CHECK(chain->source == "credential_process");
  CHECK(chain->keys.access_key_id == "AKP");
}

TEST_CASE("web identity: AssumeRoleWithWebIdentity at an overridable STS endpoint",
          "[remote][credentials]") {
  env_guard env;
  test::temp_dir dir;
  std::ofstream(dir.path() / "token") << "the.jwt.token\n";
  test::fake_http_server sts([](const test::http_request_seen& r) {
    if (r.target.find("Action=AssumeRoleWithWebIdentity") == std::string::npos ||
        r.target.find("WebIdentityToken=the.jwt.token") == std::string::npos)
      return test::http_action::answer(400, "<Error><Code>InvalidIdentityToken</Code></Error>");
    return test::http_action::answer(
        200,
        "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
        "<AccessKeyId>AKWEB</AccessKeyId><SecretAccessKey>sweb</SecretAccessKey>"
        "<SessionToken>tweb</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
        "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>");
  });
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", (dir.path() / "token").string());
  env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cleaner");
  env.set("AWS_ENDPOINT_URL_STS", sts.endpoint());
  CHECK(sts_endpoint("eu-west-1") == sts.endpoint());
  auto c = resolve_credentials(detail::aws_profile::from_environment(), "eu-west-1", {});
  REQUIRE(c);
  CHECK(c->source == "web_identity");
  CHECK(c->keys.access_key_id == "AKWEB");
  CHECK(c->keys.session_token == "tweb");
  REQUIRE(sts.seen().size() == 1);
  CHECK(sts.seen()[0].target.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fcleaner") !=
        std::string::npos);
  env.unset("AWS_ENDPOINT_URL_STS");
  CHECK(sts_endpoint("eu-west-1") == "https://sts.eu-west-1.amazonaws.com");
}

TEST_CASE("container credentials: the full URI with the authorization token file",
          "[remote][credentials]") {
  env_guard env;
  test::temp_dir dir;
  std::ofstream(dir.path() / "eks-token") << "eks-pod-identity-token\n";
  test::fake_http_server agent([](const test::http_request_seen& r) {
    if (r.header("Authorization") != "eks-pod-identity-token")
      return test::http_action::answer(401, "");
    return test::http_action::answer(
        200, R"({"AccessKeyId":"AKCONT","SecretAccessKey":"scont","Token":"tcont",)"
             R"("Expiration":"2099-01-01T00:00:00Z"})");
  });
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.endpoint() + "/v1/credentials");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (dir.path() / "eks-token").string());
  auto c = resolve_credentials(detail::aws_profile::from_environment(), "us-east-1", {});
  REQUIRE(c);
  CHECK(c->source == "container");
  CHECK(c->keys.access_key_id == "AKCONT");
  CHECK(c->keys.session_token == "tcont");
  CHECK(agent.seen().at(0).target == "/v1/credentials");
  // A plain-http full URI to anywhere but loopback or the ECS/EKS hosts is refused.
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds");
  CHECK(container_credentials({}).error() == errc::invalid_argument);
}

TEST_CASE("IMDSv2: a session token, the role, its credentials; disabled means not asked",
          "[remote][credentials]") {
  env_guard env;
  std::atomic<int> fetches{0};
  test::fake_http_server metadata(imds(fetches, 6h));
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.endpoint());
  CHECK(imds_credentials({}).error() == errc::bad_credentials);  // still disabled
  CHECK(metadata.requests() == 0);
  env.set("AWS_EC2_METADATA_DISABLED", "false");
  auto c = resolve_credentials(detail::aws_profile::from_environment(), "us-east-1", {});
  REQUIRE(c);
  CHECK(c->source == "imds");
  CHECK(c->keys.session_token == "tok-1");
  const auto seen = metadata.seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].method == "PUT");
  CHECK(seen[0].header("X-aws-ec2-metadata-token-ttl-seconds") == "21600");
  // The environment's keys come first in the chain.
  env.set("AWS_ACCESS_KEY_ID", "AKENV");
  env.set("AWS_SECRET_ACCESS_KEY", "senv");
  CHECK(resolve_credentials(detail::aws_profile::from_environment(), "us-east-1", {})->source ==
        "environment");
  CHECK(metadata.requests() == 3);
}

TEST_CASE("credentials that expire are refreshed before they do, between requests",
          "[remote][credentials]") {
  env_guard env;
  std::atomic<int> fetches{0};
  test::fake_http_server metadata(imds(fetches, 2s));
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.endpoint());
  env.set("AWS_EC2_METADATA_DISABLED", "false");
  test::fake_http_server s3([](const test::http_request_seen&) {
    return test::http_action::answer(200, "segment-bytes");
  });
  s3_options o;
  o.endpoint = s3.endpoint();
  o.proxy_from_environment = false;
  // Refresh when less than 1 s is left of the 2 s each credential lives.
  o.credential_source = std::make_shared<credential_cache>([] { return imds_credentials({}); }, 1s);
  auto store = s3_store::open("b", "", o).value();
  REQUIRE(store.read("log-00000000-00000001", 0, whole_object));
  REQUIRE(store.read("log-00000000-00000002", 0, whole_object));
  std::this_thread::sleep_for(1200ms);
  REQUIRE(store.read("log-00000000-00000003", 0, whole_object));
  const auto seen = s3.seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].header("x-amz-security-token") == "tok-1");
  CHECK(seen[1].header("x-amz-security-token") == "tok-1");
  CHECK(seen[2].header("x-amz-security-token") == "tok-2");
  CHECK(o.credential_source->fetches() == 2);
}

TEST_CASE("an ExpiredToken answer fetches new credentials and retries once",
          "[remote][credentials]") {
  env_guard env;
  std::atomic<int> fetches{0};
  test::fake_http_server metadata(imds(fetches, 6h));
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.endpoint());
  env.set("AWS_EC2_METADATA_DISABLED", "false");
  test::fake_http_server s3([](const test::http_request_seen& r) {
    if (r.header("x-amz-security-token") == "tok-1")
      return test::http_action::answer(
          400, "<Error><Code>ExpiredToken</Code><Message>expired</Message></Error>");
    return test::http_action::answer(200, "segment-bytes");
  });
  s3_options o;
  o.endpoint = s3.endpoint();
  o.proxy_from_environment = false;
  o.credential_source =
      std::make_shared<credential_cache>([] { return imds_credentials({}); }, 300s);
  auto store = s3_store::open("b", "", o).value();
  REQUIRE(store.read("log-00000000-00000001", 0, whole_object));
  CHECK(s3.requests() == 2);
  CHECK(fetches == 2);
  // Long-term keys cannot be refreshed: the error stands.
  s3_options fixed;
  fixed.endpoint = s3.endpoint();
  fixed.proxy_from_environment = false;
  fixed.credentials = {"AK", "s", "tok-1"};
  CHECK(s3_store::open("b", "", fixed).value().read("log-00000000-00000001", 0, 1).error() ==
        errc::bad_credentials);
}

TEST_CASE("with no source configured and IMDS disabled, the chain says so",
          "[remote][credentials]") {
  env_guard env;
  CHECK(resolve_credentials(detail::aws_profile::from_environment(), "us-east-1", {}).error() ==
        errc::bad_credentials);
  auto o = s3_options::from_environment();
  REQUIRE(o.credential_source);
  o.endpoint = "http://127.0.0.1:9";  // never reached: signing needs credentials first
  std::string said;
  o.on_failure = [&](const s3_failure& f) { said = describe(f); };
  auto store = s3_store::open("b", "", o).value();
  CHECK(store.list(0).error() == errc::bad_credentials);
  CHECK(store.requests() == 0);
  CHECK(said.find("AWS_ACCESS_KEY_ID") != std::string::npos);
}
