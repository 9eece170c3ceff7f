// SPDX-License-Identifier: BSL-1.0
// s3_options: from the environment and the shared config and credentials files as
// the AWS CLI reads them (profiles, precedence, nested service blocks, services
// sections); needs no server.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cloudlog/backend/s3_options.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;

TEST_CASE("s3_options reads the environment and the shared files as the AWS CLI does",
          "[remote][s3][unit]") {
  test::temp_dir home;
  std::filesystem::create_directory(home.path() / ".aws");
  std::ofstream(home.path() / ".aws/credentials")
      << "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = sdefault\n\n"
         "[other]\naws_access_key_id=AKOTHER\naws_secret_access_key=sother\n"
         "aws_session_token = tok\n";
  std::ofstream(home.path() / ".aws/config")
      << "[default]\nregion = ap-south-1\n[profile other]\nregion = eu-north-1\n"
         "endpoint_url = http://127.0.0.1:1234\n";
  const auto set = [](const char* n, const std::string& v) { ::setenv(n, v.c_str(), 1); };
  const char* vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                        "AWS_REGION",        "AWS_DEFAULT_REGION",    "AWS_PROFILE",
                        "AWS_ENDPOINT_URL",  "AWS_ENDPOINT_URL_S3",   "AWS_SHARED_CREDENTIALS_FILE",
                        "AWS_CONFIG_FILE",   "AWS_DEFAULT_PROFILE",   "HOME"};
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  for (auto v : vars) {
    const char* old = std::getenv(v);
    saved.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
    ::unsetenv(v);
  }
  set("HOME", home.path().string());
  auto o = s3_options::from_environment();
  CHECK(o.credentials.access_key_id == "AKDEFAULT");
  CHECK(o.credentials.secret_access_key == "sdefault");
  CHECK(o.region == "ap-south-1");
  CHECK(o.endpoint.empty());
  set("AWS_PROFILE", "other");
  o = s3_options::from_environment();
  CHECK(o.credentials.access_key_id == "AKOTHER");
  CHECK(o.credentials.session_token == "tok");
  CHECK(o.region == "eu-north-1");
  CHECK(o.endpoint == "http://127.0.0.1:1234");
  set("AWS_ACCESS_KEY_ID", "AKENV");
  set("AWS_SECRET_ACCESS_KEY", "senv");
  set("AWS_DEFAULT_REGION", "us-west-2");
  set("AWS_ENDPOINT_URL", "http://127.0.0.1:5678");
  o = s3_options::from_environment();
  CHECK(o.credentials.access_key_id == "AKENV");
  CHECK(o.credentials.session_token.empty());
  CHECK(o.region == "us-west-2");
  CHECK(o.endpoint == "http://127.0.0.1:5678");
  set("AWS_REGION", "us-east-2");
  CHECK(s3_options::from_environment().region == "us-east-2");
  for (auto& [n, v] : saved)
    if (v)
      ::setenv(n.c_str(), v->c_str(), 1);
    else
      ::unsetenv(n.c_str());
}

TEST_CASE("a nested service block in the config does not change S3's settings",
          "[remote][s3][unit]") {
  test::temp_dir home;
  const std::string config =
      "[default]\nregion = eu-west-2\ndynamodb =\n  endpoint_url = http://127.0.0.1:8000\n"
      "  region = nowhere-1\ns3 =\n  addressing_style = virtual\nca_bundle = /etc/ca.pem\n"
      "[profile svc]\nservices = local\n[services local]\ndynamodb =\n"
      "  endpoint_url = http://127.0.0.1:8000\ns3 =\n  endpoint_url = http://127.0.0.1:4566\n";
  std::ofstream(home.path() / "config") << config;
  const auto set = [](const char* n, const std::string& v) { ::setenv(n, v.c_str(), 1); };
  const char* vars[] = {"AWS_PROFILE",         "AWS_CONFIG_FILE",   "AWS_ENDPOINT_URL",
                        "AWS_ENDPOINT_URL_S3", "AWS_REGION",        "AWS_DEFAULT_REGION",
                        "AWS_CA_BUNDLE",       "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"};
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  for (auto v : vars) {
    const char* old = std::getenv(v);
    saved.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
    ::unsetenv(v);
  }
  set("AWS_CONFIG_FILE", (home.path() / "config").string());
  set("AWS_ACCESS_KEY_ID", "AK");
  set("AWS_SECRET_ACCESS_KEY", "s");
  auto o = s3_options::from_environment();
  CHECK(o.endpoint.empty());  // dynamodb's endpoint_url is not S3's
  CHECK(o.region == "eu-west-2");
  CHECK(o.addressing == s3_addressing::virtual_host);
  CHECK(o.ca_file == "/etc/ca.pem");
  set("AWS_CA_BUNDLE", "/tmp/private-ca.pem");
  CHECK(s3_options::from_environment().ca_file == "/tmp/private-ca.pem");
  set("AWS_PROFILE", "svc");
  CHECK(s3_options::from_environment().endpoint == "http://127.0.0.1:4566");
  // The same text from memory (what from_environment does with the files' contents).
  const auto svc = detail::aws_profile::from_text("svc", config, "");
  CHECK(svc.config == detail::aws_profile::from_environment().config);
  CHECK(svc.services == detail::aws_profile::from_environment().services);
  CHECK(svc.services.at("s3.endpoint_url") == "http://127.0.0.1:4566");
  CHECK(s3_options::from_profile(svc).endpoint == "http://127.0.0.1:4566");
  const auto def = s3_options::from_profile(detail::aws_profile::from_text("default", config, ""));
  CHECK(def.region == "eu-west-2");
  CHECK(def.addressing == s3_addressing::virtual_host);
  CHECK(detail::ini_section_text(config, "default") ==
        detail::ini_section(home.path() / "config", "default"));
  for (auto& [n, v] : saved)
    if (v)
      ::setenv(n.c_str(), v->c_str(), 1);
    else
      ::unsetenv(n.c_str());
}
