// SPDX-License-Identifier: BSL-1.0
// AWS credentials as the SDKs resolve them: the environment, the shared files'
// profile, credential_process, web identity (STS), container credentials (ECS,
// EKS) and EC2 instance metadata (IMDSv2); cached and refreshed before they expire
// (docs/backends.md, "Credentials").
#ifndef CLOUDLOG_BACKEND_AWS_CREDENTIALS_HPP
#define CLOUDLOG_BACKEND_AWS_CREDENTIALS_HPP

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlog/backend/detail/aws_config.hpp"
#include "cloudlog/backend/detail/curl_http.hpp"
#include "cloudlog/backend/detail/xml.hpp"
#include "cloudlog/backend/sigv4.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog {

// A key pair with where it came from and, for temporary credentials, when it expires.
struct aws_credentials {
  sigv4::credentials keys;
  // "environment", "profile", "credential_process", "web_identity", "container", "imds"
  // or "explicit".
  std::string source;
  // Empty for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expires;
};

// Produces fresh credentials. Fails: errc::bad_credentials when its source is not
// configured or refuses; errc::unreachable / errc::timeout when its service is down.
using credential_provider = std::function<result<aws_credentials>()>;

namespace detail {

// "2026-11-28T19:00:00Z" (fractions allowed) as a time point; nullopt otherwise.
inline std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) {
  std::tm tm{};
  int y, mo, d, h, mi, se;
  if (std::sscanf(std::string(s).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) !=
      6)
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// The string value of "KEY" in a flat JSON object (escapes \" \\ \/ only), or "".
inline std::string json_string(std::string_view doc, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  auto at = doc.find(quoted);
  if (at == doc.npos) return {};
  at = doc.find(':', at + quoted.size());
  if (at == doc.npos) return {};
  at = doc.find_first_not_of(" \t\r\n", at + 1);
  if (at == doc.npos || doc[at] != '"') return {};
  std::string out;
  for (auto i = at + 1; i < doc.size(); ++i) {
    if (doc[i] == '"') return out;
    if (doc[i] == '\\' && i + 1 < doc.size()) ++i;
    out.push_back(doc[i]);
  }
  return {};
}

// Credentials from a JSON document with AccessKeyId, SecretAccessKey, Token or
// SessionToken and Expiration (container, IMDS and credential_process answers).
inline result<aws_credentials> credentials_from_json(std::string_view doc, std::string source) {
  aws_credentials c;
  c.keys.access_key_id = json_string(doc, "AccessKeyId");
  c.keys.secret_access_key = json_string(doc, "SecretAccessKey");
  c.keys.session_token = json_string(doc, "Token");
  if (c.keys.session_token.empty()) c.keys.session_token = json_string(doc, "SessionToken");
  if (c.keys.access_key_id.empty() || c.keys.secret_access_key.empty())
    return fail(errc::bad_credentials);
  if (auto e = json_string(doc, "Expiration"); !e.empty()) c.expires = parse_iso8601(e);
  c.source = std::move(source);
  return c;
}

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Short timeouts for the credential services (as the SDKs: 1 s for IMDS).
inline http_settings metadata_settings(http_settings s) {
  s.connect_timeout = std::chrono::milliseconds(1000);
  s.idle_timeout = std::chrono::milliseconds(2000);
  s.request_timeout = std::chrono::milliseconds(5000);
  s.proxy_from_environment = false;
  return s;
}

}  // namespace detail

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
// Fails: errc::bad_credentials when either is unset.
inline result<aws_credentials> environment_credentials() {
  const auto id = detail::env_or("AWS_ACCESS_KEY_ID");
  const auto secret = detail::env_or("AWS_SECRET_ACCESS_KEY");
  if (id.empty() || secret.empty()) return fail(errc::bad_credentials);
  return aws_credentials{{id, secret, detail::env_or("AWS_SESSION_TOKEN")}, "environment", {}};
}

// The profile's aws_access_key_id and aws_secret_access_key (credentials file first).
// Fails: errc::bad_credentials when the profile has no key pair.
inline result<aws_credentials> profile_credentials(const detail::aws_profile& p) {
  for (const auto* s : {&p.credentials, &p.config}) {
    auto id = s->find("aws_access_key_id"), secret = s->find("aws_secret_access_key");
    if (id == s->end() || secret == s->end() || id->second.empty() || secret->second.empty())
      continue;
    auto token = s->find("aws_session_token");
    return aws_credentials{
        {id->second, secret->second, token == s->end() ? std::string{} : token->second},
        "profile",
        {}};
  }
  return fail(errc::bad_credentials);
}

// Runs COMMAND (the profile's credential_process, through /bin/sh) and reads the
// JSON it prints (Version 1: AccessKeyId, SecretAccessKey, SessionToken, Expiration).
// Fails: errc::bad_credentials if it fails or prints no key pair.
inline result<aws_credentials> process_credentials(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return fail(errc::bad_credentials);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (::pclose(p) != 0) return fail(errc::bad_credentials);
  return detail::credentials_from_json(out, "credential_process");
}

// Where STS is: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else https://sts.REGION.amazonaws.com.
inline std::string sts_endpoint(const std::string& region) {
  return detail::env_or(
      "AWS_ENDPOINT_URL_STS",
      detail::env_or("AWS_ENDPOINT_URL", "https://sts." + region + ".amazonaws.com"));
}

// AssumeRoleWithWebIdentity at STS (ENDPOINT) with the token in TOKEN_FILE (read
// at every call: Kubernetes rotates it) for ROLE_ARN. The request is unsigned.
// Fails: errc::bad_credentials if the token file is unreadable or STS refuses;
// the transport's codes.
inline result<aws_credentials> web_identity_credentials(const std::string& endpoint,
                                                        const std::string& role_arn,
                                                        const std::string& token_file,
                                                        const std::string& session_name,
                                                        const detail::http_settings& settings) {
  const auto token = detail::trim(detail::read_text_file(token_file));
  if (token.empty() || role_arn.empty()) return fail(errc::bad_credentials);
  const std::vector<std::pair<std::string, std::string>> q{
      {"Action", "AssumeRoleWithWebIdentity"},
      {"RoleArn", role_arn},
      {"RoleSessionName", session_name.empty() ? "cloudlog" : session_name},
      {"Version", "2011-06-15"},
      {"WebIdentityToken", token}};
  detail::http_exchange x{"GET", endpoint + "/?" + sigv4::canonical_query(q), {}, {}};
  auto r = detail::perform_once(x, detail::metadata_settings(settings));
  if (!r) return fail(r.error().code);
  if (r->status != 200) return fail(errc::bad_credentials);
  const auto doc = as_chars(r->body);
  const auto creds = detail::xml_text(doc, "Credentials");
  aws_credentials c;
  c.keys = {detail::xml_text(creds, "AccessKeyId"), detail::xml_text(creds, "SecretAccessKey"),
            detail::xml_text(creds, "SessionToken")};
  if (c.keys.access_key_id.empty() || c.keys.secret_access_key.empty())
    return fail(errc::protocol_error);
  c.expires = detail::parse_iso8601(detail::xml_text(creds, "Expiration"));
  c.source = "web_identity";
  return c;
}

// ECS / EKS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (at
// http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a
// loopback or the ECS/EKS link-local hosts only), with the Authorization header
// from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN.
// Fails: errc::bad_credentials when unset or refused; the transport's codes.
inline result<aws_credentials> container_credentials(const detail::http_settings& settings) {
  std::string url;
  if (auto rel = detail::env_or("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); !rel.empty()) {
    url = "http://169.254.170.2" + rel;
  } else if (auto full = detail::env_or("AWS_CONTAINER_CREDENTIALS_FULL_URI"); !full.empty()) {
    auto ep = detail::split_endpoint(full.substr(0, full.find('/', full.find("://") + 3)));
    if (!ep) return fail(errc::invalid_argument);
    const auto host = ep->second.substr(0, ep->second.rfind(':'));
    const bool allowed = ep->first == "https" || host == "127.0.0.1" || host == "localhost" ||
                         host == "[::1]" || host == "169.254.170.2" || host == "169.254.170.23";
    if (!allowed) return fail(errc::invalid_argument);
    url = full;
  } else {
    return fail(errc::bad_credentials);
  }
  std::string token;
  if (auto f = detail::env_or("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !f.empty())
    token = detail::trim(detail::read_text_file(f));
  else
    token = detail::env_or("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  detail::http_exchange x{"GET", url, {}, {}};
  if (!token.empty()) x.headers.push_back("Authorization: " + token);
  auto r = detail::perform_once(x, detail::metadata_settings(settings));
  if (!r) return fail(r.error().code);
  if (r->status != 200) return fail(errc::bad_credentials);
  return detail::credentials_from_json(as_chars(r->body), "container");
}

// EC2 instance metadata, IMDSv2: a session token (PUT /latest/api/token), the
// role's name, then its credentials. The endpoint is AWS_EC2_METADATA_SERVICE_ENDPOINT
// (default http://169.254.169.254); AWS_EC2_METADATA_DISABLED=true skips it.
// Fails: errc::bad_credentials when disabled or no role is attached; the transport's codes.
inline result<aws_credentials> imds_credentials(const detail::http_settings& settings) {
  if (sigv4::detail::lower(detail::env_or("AWS_EC2_METADATA_DISABLED")) == "true")
    return fail(errc::bad_credentials);
  auto base = detail::env_or("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254");
  while (!base.empty() && base.back() == '/') base.pop_back();
  const auto s = detail::metadata_settings(settings);
  auto t = detail::perform_once(
      {"PUT", base + "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds: 21600"}, {}}, s);
  if (!t) return fail(t.error().code);
  if (t->status != 200) return fail(errc::bad_credentials);
  const std::string header = "X-aws-ec2-metadata-token: " + std::string(as_chars(t->body));
  const auto path = base + "/latest/meta-data/iam/security-credentials/";
  auto role = detail::perform_once({"GET", path, {header}, {}}, s);
  if (!role) return fail(role.error().code);
  const auto name = detail::trim(as_chars(role->body));
  if (role->status != 200 || name.empty()) return fail(errc::bad_credentials);
  auto c = detail::perform_once({"GET", path + name.substr(0, name.find('\n')), {header}, {}}, s);
  if (!c) return fail(c.error().code);
  if (c->status != 200) return fail(errc::bad_credentials);
  return detail::credentials_from_json(as_chars(c->body), "imds");
}

// The SDKs' chain for PROFILE (in this order): the environment's keys; the
// profile's keys; its credential_process; web identity (AWS_WEB_IDENTITY_TOKEN_FILE
// and AWS_ROLE_ARN, else the profile's web_identity_token_file and role_arn) at
// sts_endpoint(REGION); container credentials; IMDSv2. The first source that is
// configured decides: its failure is the chain's (no silent fall-through past a
// configured source that fails), except IMDS, which is tried last when nothing is
// configured. Fails: errc::bad_credentials when no source has credentials.
inline result<aws_credentials> resolve_credentials(const detail::aws_profile& profile,
                                                   const std::string& region,
                                                   const detail::http_settings& settings) {
  if (auto e = environment_credentials()) return e;
  if (auto p = profile_credentials(profile)) return p;
  if (auto cmd = profile.get("credential_process"); !cmd.empty()) return process_credentials(cmd);
  auto token_file = detail::env_or("AWS_WEB_IDENTITY_TOKEN_FILE");
  auto role = detail::env_or("AWS_ROLE_ARN");
  if (token_file.empty()) {
    token_file = profile.get("web_identity_token_file");
    role = profile.get("role_arn");
  }
  if (!token_file.empty())
    return web_identity_credentials(
        sts_endpoint(region), role, token_file,
        detail::env_or("AWS_ROLE_SESSION_NAME", profile.get("role_session_name")), settings);
  if (!detail::env_or("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty() ||
      !detail::env_or("AWS_CONTAINER_CREDENTIALS_FULL_URI").empty())
    return container_credentials(settings);
  auto imds = imds_credentials(settings);
  if (!imds) return fail(errc::bad_credentials);
  return imds;
}

// Credentials shared by every request of a store: fetched once, then again when
// fewer than REFRESH_MARGIN are left before they expire (also in the middle of a
// pass). Thread-safe.
class credential_cache {
 public:
  credential_cache(credential_provider provider, std::chrono::seconds refresh_margin)
      : provider_(std::move(provider)), margin_(refresh_margin) {}

  // Long-term keys that never need refreshing.
  explicit credential_cache(aws_credentials fixed) : current_(std::move(fixed)) {}

  // The credentials to sign with now.
  // Fails: the provider's codes (when there is nothing still valid to fall back on).
  result<aws_credentials> get() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::system_clock::now();
    const bool fresh = current_ && (!current_->expires || *current_->expires - margin_ > now);
    if (fresh || !provider_) {
      if (current_) return *current_;
      return fail(errc::bad_credentials);
    }
    auto next = provider_();
    if (next) {
      current_ = *next;
      ++refreshes_;
      return *next;
    }
    if (current_ && current_->expires && *current_->expires > now) return *current_;
    return fail(next.error());
  }

  // Forgets the current credentials if they came from the provider (the server
  // said they expired): the next get() fetches new ones. Returns whether it did.
  bool invalidate() {
    std::lock_guard lock(mutex_);
    if (!provider_ || !current_) return false;
    current_.reset();
    return true;
  }

  // How many times the provider was asked (the first fetch included).
  std::uint64_t fetches() const {
    std::lock_guard lock(mutex_);
    return refreshes_;
  }

 private:
  credential_provider provider_;
  std::chrono::seconds margin_{0};
  mutable std::mutex mutex_;
  std::optional<aws_credentials> current_;
  std::uint64_t refreshes_ = 0;
};

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_AWS_CREDENTIALS_HPP
