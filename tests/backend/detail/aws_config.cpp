// SPDX-License-Identifier: BSL-1.0
// backend/detail/aws_config.hpp: INI sections as the AWS CLI reads them (comments,
// nested blocks), profiles from the config and credentials files (the credentials
// file first), services sections, and the files' locations from the environment.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "cloudlog/backend/detail/aws_config.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog::detail;

namespace {
const char* const config = R"(# comment
[default]
region = us-west-2
[profile dev]
region = eu-central-1   
services = local
s3 =
  endpoint_url = http://127.0.0.1:9000
  addressing_style = path
output = json
; another comment
[services local]
s3 =
  endpoint_url = http://127.0.0.1:4569
)";
const char* const credentials = R"([dev]
aws_access_key_id = AKIDDEV
region = from-credentials
[default]
aws_access_key_id = AKIDDEFAULT
)";
}  // namespace

TEST_CASE("INI sections: trimmed keys and values, comments skipped, nested blocks as BLOCK.KEY",
          "[backend][aws_config]") {
  auto dev = ini_section_text(config, "profile dev");
  CHECK(dev.at("region") == "eu-central-1");
  CHECK(dev.at("s3.endpoint_url") == "http://127.0.0.1:9000");
  CHECK(dev.at("s3.addressing_style") == "path");
  CHECK(dev.at("output") == "json");  // after the block: the section's own again
  CHECK_FALSE(dev.count("s3"));
  CHECK_FALSE(dev.count("endpoint_url"));
  CHECK(ini_section_text(config, "missing").empty());
  CHECK(trim("  a b \r\n") == "a b");
}

TEST_CASE("A profile reads the credentials file first, then the config, and its services",
          "[backend][aws_config]") {
  auto dev = aws_profile::from_text("dev", config, credentials);
  CHECK(dev.get("aws_access_key_id") == "AKIDDEV");
  CHECK(dev.get("region") == "from-credentials");
  CHECK(dev.get("output") == "json");
  CHECK(dev.get("nothing").empty());
  CHECK(dev.services.at("s3.endpoint_url") == "http://127.0.0.1:4569");
  auto def = aws_profile::from_text("default", config, credentials);
  CHECK(def.get("region") == "us-west-2");  // [default], not [profile default]
  CHECK(def.get("aws_access_key_id") == "AKIDDEFAULT");
}

TEST_CASE("from_environment finds the files and the profile the environment names",
          "[backend][aws_config]") {
  cloudlog::test::temp_dir dir;
  std::ofstream(dir.path() / "config") << config;
  std::ofstream(dir.path() / "credentials") << credentials;
  ::setenv("AWS_CONFIG_FILE", (dir.path() / "config").c_str(), 1);
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").c_str(), 1);
  ::setenv("AWS_PROFILE", "dev", 1);
  auto p = aws_profile::from_environment();
  CHECK(p.name == "dev");
  CHECK(p.get("aws_access_key_id") == "AKIDDEV");
  ::unsetenv("AWS_PROFILE");
  ::setenv("AWS_DEFAULT_PROFILE", "default", 1);
  CHECK(aws_profile::from_environment().get("region") == "us-west-2");
  ::unsetenv("AWS_DEFAULT_PROFILE");
  ::unsetenv("AWS_CONFIG_FILE");
  ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  CHECK(aws_file("AWS_CONFIG_FILE", "config") ==
        std::filesystem::path(env_or("HOME", ".")) / ".aws" / "config");
  CHECK(file_text(dir.path() / "missing").empty());
  CHECK(env_or("CLOUDLOG_SURELY_UNSET_VARIABLE", "fallback") == "fallback");
}
