// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: the AWS CLI's shared files (~/.aws/config and ~/.aws/credentials)
// as s3_options::from_environment reads them (detail::ini_section).
// The input is the config file, then (after the first NUL byte, if any) the
// credentials file. Properties: keys and values come out trimmed, keys hold no
// '=', neither holds a newline; from_environment always yields a region and either
// both keys of a credential pair or neither.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "cloudlog/backend/detail/aws_config.hpp"
#include "cloudlog/backend/s3_store.hpp"
#include "support.hpp"

using namespace cloudlog;

namespace {

std::filesystem::path scratch(const char* name) {
  static const auto dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("cloudlog-aws-config-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir / name;
}

void write(const std::filesystem::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

bool trimmed(const std::string& s) {
  return s.empty() ||
         (s.find_first_of(" \t\r\n") != 0 && s.find_last_of(" \t\r\n") != s.size() - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto config_path = scratch("config"), creds_path = scratch("credentials");
  static const bool env = [] {
    for (const char* v :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
          "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_PROFILE"})
      ::unsetenv(v);
    ::setenv("AWS_CONFIG_FILE", config_path.c_str(), 1);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", creds_path.c_str(), 1);
    return true;
  }();
  (void)env;

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto nul = text.find('\0');
  write(config_path, text.substr(0, nul));
  write(creds_path, nul == text.npos ? std::string_view{} : text.substr(nul + 1));

  for (const char* section : {"default", "profile fuzz", "fuzz"}) {
    for (const auto* p : {&config_path, &creds_path}) {
      for (const auto& [k, v] : detail::ini_section(*p, section)) {
        FUZZ_CHECK(trimmed(k) && trimmed(v));
        FUZZ_CHECK(k.find('=') == k.npos);
        FUZZ_CHECK(k.find('\n') == k.npos && v.find('\n') == v.npos);
      }
    }
  }
  for (const char* profile : {"default", "fuzz"}) {
    ::setenv("AWS_PROFILE", profile, 1);
    const auto o = s3_options::from_environment();
    FUZZ_CHECK(!o.region.empty());
    FUZZ_CHECK(o.credentials.access_key_id.empty() == o.credentials.secret_access_key.empty());
  }
  return 0;
}
