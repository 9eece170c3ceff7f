// SPDX-License-Identifier: BSL-1.0
// s3_options: everything an s3_store needs besides the bucket and prefix, and how
// the AWS CLI's environment and shared files fill it in (docs/backends.md).
#ifndef CLOUDLOG_BACKEND_S3_OPTIONS_HPP
#define CLOUDLOG_BACKEND_S3_OPTIONS_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "cloudlog/backend/aws_credentials.hpp"
#include "cloudlog/backend/detail/aws_config.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/sigv4.hpp"
#include "cloudlog/version.hpp"

namespace cloudlog {

// The library's version, as the User-Agent names it (cloudlog/version.hpp).
inline constexpr std::string_view cloudlog_version = version_string;

// How an object's URL names its bucket.
enum class s3_addressing {
  automatic,     // path style for an explicit endpoint or a bucket name with '.', else virtual host
  path,          // ENDPOINT/BUCKET/KEY
  virtual_host,  // SCHEME://BUCKET.HOST/KEY
};

// Whether the store uses conditional writes (If-None-Match: *, If-Match: ETag).
enum class s3_conditional {
  detect,  // probe the server once (a server that ignores the headers counts as without)
  on,      // assume the server honours them (AWS S3 does since 2024)
  off,     // never use them
};

// One failed S3 operation, as the server or the transport explained it (never
// holds a secret). Given to s3_options::on_failure.
struct s3_failure {
  std::string operation;  // "GET log-...", "LIST", "PUT log-..."
  std::error_code error;  // what the operation returned
  long status = 0;        // the HTTP status (0: no answer)
  std::string code;       // the S3 error Code ("PermanentRedirect")
  std::string message;    // the S3 error Message
  std::string region;     // the bucket's region, when the answer names it
  std::string request_id;
  std::string transport;  // curl's words when there was no answer
  std::string endpoint;   // the URL base used
};

struct s3_options {
  // "scheme://host[:port]"; empty: https://s3.REGION.amazonaws.com. Plain http is
  // used only when written here explicitly.
  std::string endpoint;
  // The signing region.
  std::string region = "us-east-1";
  // The key pair (and session token) requests are signed with. Never logged.
  // Ignored when credential_source is set.
  sigv4::credentials credentials;
  // Temporary credentials refreshed before they expire (the credential chain);
  // shared by copies of these options.
  std::shared_ptr<credential_cache> credential_source;
  s3_addressing addressing = s3_addressing::automatic;
  // How many requests read_many runs at once (at least 1).
  unsigned parallelism = 8;
  // Retries of 5xx, SlowDown, timeouts and connection errors (never of other 4xx).
  retry_policy retries;
  // Time allowed to establish a connection, per attempt.
  std::chrono::milliseconds connect_timeout{3000};
  // An attempt that receives (or sends) no byte for this long fails with errc::timeout.
  std::chrono::milliseconds idle_timeout{10000};
  // Time allowed for a whole request, per attempt (0: no bound but idle_timeout).
  std::chrono::milliseconds request_timeout{0};
  // Keys asked for per ListObjectsV2 page (1..1000).
  unsigned max_keys = 1000;
  // A CA bundle to trust instead of the system's (empty: the system's).
  // Certificates are always verified.
  std::string ca_file;
  // Honour the proxy environment variables (http_proxy, HTTPS_PROXY, NO_PROXY...)
  // as libcurl and the AWS CLI do; false connects directly, always.
  bool proxy_from_environment = true;
  // The User-Agent header; empty: "cloudlog/VERSION".
  std::string user_agent;
  // Conditional writes for create-if-absent and compare-and-swap (the lease).
  s3_conditional conditional_writes = s3_conditional::detect;
  // Called (from any thread) once for every failed operation, with the server's
  // explanation; not for a read of a missing object (errc::not_found).
  std::function<void(const s3_failure&)> on_failure;

  // Options as the AWS CLI would take them from the environment:
  //   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else the profile's services
  //                section's s3 endpoint_url, else the profile's endpoint_url (a nested
  //                block's endpoint_url, e.g. under "dynamodb =", is not S3's);
  //   region       AWS_REGION, AWS_DEFAULT_REGION, else region in the config file, else us-east-1;
  //   ca_file      AWS_CA_BUNDLE, else the profile's ca_bundle;
  //   addressing   the profile's "s3 =" block's addressing_style (path, virtual, auto);
  //   credentials  the SDKs' chain (resolve_credentials): the environment's or the
  //                profile's keys are read now; the other sources (credential_process,
  //                web identity, container, IMDSv2) at the first request, through
  //                credential_source, and again before they expire.
  // The profile is AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
  static s3_options from_environment() {
    return from_profile(detail::aws_profile::from_environment());
  }

  // Options from PROFILE (its files already read, as aws_profile::from_text does)
  // and the environment's variables, as from_environment takes them.
  static s3_options from_profile(const detail::aws_profile& profile) {
    s3_options o;
    const auto& config = profile.config;
    auto value = [](const std::map<std::string, std::string>& m, const std::string& k) {
      auto i = m.find(k);
      return i == m.end() ? std::string{} : i->second;
    };
    o.endpoint = detail::env_or(
        "AWS_ENDPOINT_URL_S3",
        detail::env_or("AWS_ENDPOINT_URL", value(profile.services, "s3.endpoint_url")));
    if (o.endpoint.empty()) o.endpoint = value(config, "endpoint_url");
    o.region =
        detail::env_or("AWS_REGION", detail::env_or("AWS_DEFAULT_REGION", value(config, "region")));
    if (o.region.empty()) o.region = "us-east-1";
    o.ca_file = detail::env_or("AWS_CA_BUNDLE", value(config, "ca_bundle"));
    const auto style = value(config, "s3.addressing_style");
    if (style == "path") o.addressing = s3_addressing::path;
    if (style == "virtual") o.addressing = s3_addressing::virtual_host;
    if (auto e = environment_credentials()) {
      o.credentials = e->keys;
    } else if (auto p = profile_credentials(profile)) {
      o.credentials = p->keys;
    } else {
      o.credential_source = std::make_shared<credential_cache>(
          [profile, region = o.region, settings = o.http()]() {
            return resolve_credentials(profile, region, settings);
          },
          std::chrono::seconds(300));
    }
    return o;
  }

  // The transport settings these options imply (the credential sources use them too).
  detail::http_settings http() const {
    detail::http_settings s;
    s.connect_timeout = connect_timeout;
    s.idle_timeout = idle_timeout;
    s.request_timeout = request_timeout;
    s.ca_file = ca_file;
    s.proxy_from_environment = proxy_from_environment;
    s.user_agent = user_agent.empty() ? "cloudlog/" + std::string(cloudlog_version) : user_agent;
    return s;
  }
};

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_S3_OPTIONS_HPP
