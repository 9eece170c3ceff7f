// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: the AWS CLI's shared files (~/.aws/config and ~/.aws/credentials)
// as s3_options::from_environment reads them, from memory: the file reader is
// detail::file_text + the text reader below it (detail::ini_section_text,
// aws_profile::from_text, s3_options::from_profile), so this is the same parsing
// without writing two files per input.
// The input is the config file, then (after the first NUL byte, if any) the
// credentials file. Properties: keys and values come out trimmed, keys hold no
// '=', neither holds a newline; the options always have a region and either both
// keys of a credential pair or neither.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cloudlog/backend/detail/aws_config.hpp"
#include "cloudlog/backend/s3_store.hpp"
#include "support.hpp"

using namespace cloudlog;

namespace {

bool trimmed(const std::string& s) {
  return s.empty() ||
         (s.find_first_of(" \t\r\n") != 0 && s.find_last_of(" \t\r\n") != s.size() - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Only the files decide: no variable of the environment overrides them.
  static const bool env = [] {
    for (const char* v :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
          "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE"})
      ::unsetenv(v);
    return true;
  }();
  (void)env;

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto nul = text.find('\0');
  const auto config = text.substr(0, nul);
  const auto creds = nul == text.npos ? std::string_view{} : text.substr(nul + 1);

  for (const char* section : {"default", "profile fuzz", "fuzz"}) {
    for (const auto file : {config, creds}) {
      for (const auto& [k, v] : detail::ini_section_text(file, section)) {
        FUZZ_CHECK(trimmed(k) && trimmed(v));
        FUZZ_CHECK(k.find('=') == k.npos);
        FUZZ_CHECK(k.find('\n') == k.npos && v.find('\n') == v.npos);
      }
    }
  }
  for (const char* name : {"default", "fuzz"}) {
    const auto o = s3_options::from_profile(detail::aws_profile::from_text(name, config, creds));
    FUZZ_CHECK(!o.region.empty());
    FUZZ_CHECK(o.credentials.access_key_id.empty() == o.credentials.secret_access_key.empty());
  }
  return 0;
}
