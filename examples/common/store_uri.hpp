// SPDX-License-Identifier: BSL-1.0
// Opening a store named by URI (file:DIR, s3://BUCKET/PREFIX, simple://HOST:PORT)
// for the example tools (docs/backends.md, "Store URIs").
#ifndef CLOUDLOG_EXAMPLES_COMMON_STORE_URI_HPP
#define CLOUDLOG_EXAMPLES_COMMON_STORE_URI_HPP

#include <CLI/CLI.hpp>

#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/simple_store.hpp"
#include "common/exit_codes.hpp"
#ifdef CLOUDLOG_TOOLS_WITH_S3
#include "cloudlog/backend/s3_store.hpp"
#endif

namespace tools {

// The stores a tool can open. One alternative per backend.
using any_store = std::variant<cloudlog::file_store, cloudlog::simple_store
#ifdef CLOUDLOG_TOOLS_WITH_S3
                               ,
                               cloudlog::s3_store
#endif
                               >;

// A store opened from a URI, with its context.
struct opened_store {
  any_store store;
  store_context context;
};

// What open_store returns: the store, or why not as an error value.
using open_result = tl::expected<opened_store, error>;

// Settings a tool's flags may override; empty means "as the environment says".
struct store_settings {
  std::string endpoint_url;               // --endpoint-url (S3)
  std::optional<unsigned> parallelism;    // parallel reads (S3, simple)
  std::optional<unsigned> max_attempts;   // retries, first attempt included (S3, simple)
  std::string region;                     // --region (S3)
  std::string ca_bundle;                  // --ca-bundle (S3)
  std::string addressing_style;           // --addressing-style path|virtual|auto (S3)
  std::string conditional_writes;         // --conditional-writes auto|on|off (S3)
  std::optional<double> connect_timeout;  // --connect-timeout seconds (S3)
  std::optional<double> idle_timeout;     // --idle-timeout seconds (S3)
  std::string tool = "cloudlog";          // the tool's name, for the User-Agent
};

// Adds the store flags every tool shares to APP, filling SETTINGS:
// --endpoint-url URL (S3, as the AWS CLI's), --parallelism N, --max-attempts N,
// and for S3 --region, --ca-bundle, --addressing-style, --conditional-writes,
// --connect-timeout, --idle-timeout.
inline void add_store_flags(CLI::App& app, store_settings& settings) {
  app.add_option("--endpoint-url", settings.endpoint_url,
                 "S3 endpoint (overrides AWS_ENDPOINT_URL); http:// only when written so");
  app.add_option("--parallelism", settings.parallelism,
                 "Remote reads run at once (S3, simple; default 8)")
      ->check(CLI::Range(1, 256));
  app.add_option("--max-attempts", settings.max_attempts,
                 "Attempts per remote request, the first included (default 5)")
      ->check(CLI::Range(1, 100));
  app.add_option("--region", settings.region, "S3 signing region (overrides AWS_REGION)");
  app.add_option("--ca-bundle", settings.ca_bundle,
                 "S3: trust the CA certificates in this PEM file instead of the system's "
                 "(overrides AWS_CA_BUNDLE); certificates are always verified");
  app.add_option("--addressing-style", settings.addressing_style,
                 "S3: path (ENDPOINT/BUCKET/KEY), virtual (BUCKET.HOST/KEY) or auto (default)")
      ->check(CLI::IsMember({"path", "virtual", "auto"}));
  app.add_option("--conditional-writes", settings.conditional_writes,
                 "S3: use If-None-Match/If-Match for the lease: auto (probe the server, "
                 "default), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--connect-timeout", settings.connect_timeout,
                 "S3: seconds to establish a connection, per attempt (default 3)")
      ->check(CLI::PositiveNumber);
  app.add_option("--idle-timeout", settings.idle_timeout,
                 "S3: an attempt that receives no byte for this many seconds fails (default 10)")
      ->check(CLI::PositiveNumber);
}

// Splits "HOST:PORT" ("[v6]:PORT" for IPv6). Fails: errc::invalid_argument.
inline cloudlog::result<std::pair<std::string, std::uint16_t>> split_host_port(
    std::string_view hp) {
  const auto colon = hp.rfind(':');
  if (colon == hp.npos || colon == 0) return cloudlog::fail(cloudlog::errc::invalid_argument);
  auto host = hp.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto port_text = hp.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535 || host.empty())
    return cloudlog::fail(cloudlog::errc::invalid_argument);
  return std::pair{std::string(host), static_cast<std::uint16_t>(port)};
}

#ifdef CLOUDLOG_TOOLS_WITH_S3
// The S3 options: the environment's (s3_options::from_environment) with SETTINGS
// over them; every failure the store meets described to NOTES.
// Fails: errc::invalid_argument for an endpoint that is not http(s)://HOST[:PORT]
// (its detail says it is the endpoint's fault, not the store URI's).
inline tl::expected<cloudlog::s3_options, error> s3_settings(
    const store_settings& settings, const std::shared_ptr<failure_notes>& notes) {
  auto o = cloudlog::s3_options::from_environment();
  if (!settings.endpoint_url.empty()) o.endpoint = settings.endpoint_url;
  if (settings.parallelism) o.parallelism = *settings.parallelism;
  if (settings.max_attempts) o.retries.max_attempts = *settings.max_attempts;
  if (!settings.region.empty()) o.region = settings.region;
  if (!settings.ca_bundle.empty()) o.ca_file = settings.ca_bundle;
  if (settings.addressing_style == "path") o.addressing = cloudlog::s3_addressing::path;
  if (settings.addressing_style == "virtual") o.addressing = cloudlog::s3_addressing::virtual_host;
  if (settings.addressing_style == "auto") o.addressing = cloudlog::s3_addressing::automatic;
  if (settings.conditional_writes == "on") o.conditional_writes = cloudlog::s3_conditional::on;
  if (settings.conditional_writes == "off") o.conditional_writes = cloudlog::s3_conditional::off;
  auto ms = [](double s) { return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000)); };
  if (settings.connect_timeout) o.connect_timeout = ms(*settings.connect_timeout);
  if (settings.idle_timeout) o.idle_timeout = ms(*settings.idle_timeout);
  o.user_agent = settings.tool + "/" + std::string(cloudlog::cloudlog_version) + " cloudlog/" +
                 std::string(cloudlog::cloudlog_version);
  o.on_failure = [notes](const cloudlog::s3_failure& f) { notes->record(cloudlog::describe(f)); };
  if (!o.endpoint.empty() && !cloudlog::detail::split_endpoint(o.endpoint))
    return tl::unexpected(error{make_error_code(cloudlog::errc::invalid_argument), "",
                                "the S3 endpoint " + o.endpoint +
                                    " is not http(s)://HOST[:PORT] (check --endpoint-url, "
                                    "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or endpoint_url in the "
                                    "AWS config)",
                                "s3"});
  return o;
}
#endif

// Opens the store URI names:
//   file:DIR              a directory (it must exist unless CREATE);
//   s3://BUCKET[/PREFIX]  keys PREFIX/log-... in BUCKET (a '/' is added to a
//                         non-empty PREFIX); endpoint, region and credentials
//                         as the AWS CLI takes them (s3_options::from_environment),
//                         SETTINGS.endpoint_url overriding the endpoint;
//   simple://HOST:PORT    a simple-protocol server (also the original's simple:HOST:PORT).
// Makes no network request: remote errors show on first use. The context's kind
// is the URI's scheme; its notes receive the store's explanations of failures.
// Fails (the error's code): errc::invalid_argument for an unknown scheme or a
// malformed URI, errc::not_found for a missing directory, errc::bad_credentials
// for S3 without credentials.
inline open_result open_store(std::string_view uri, bool create = false,
                              const store_settings& settings = {}) {
  using cloudlog::errc;
  const auto colon = uri.find(':');
  store_context context{std::string(uri.substr(0, colon == uri.npos ? 0 : colon))};
  auto fail = [&](std::error_code ec) { return tl::unexpected(context.error_of(ec, "")); };
  auto opened = [&](auto&& s) { return opened_store{any_store(std::move(s)), context}; };
  if (uri.substr(0, 5) == "file:") {
    const std::string dir(uri.substr(5));
    if (dir.empty()) return fail(make_error_code(errc::invalid_argument));
    auto s = create ? cloudlog::file_store::create(dir) : cloudlog::file_store::open(dir);
    if (!s) return fail(s.error());
    return opened(std::move(*s));
  }
  if (uri.substr(0, 9) == "simple://" || uri.substr(0, 7) == "simple:") {
    auto hp = split_host_port(uri.substr(uri.substr(0, 9) == "simple://" ? 9 : 7));
    if (!hp) return fail(hp.error());
    cloudlog::simple_options o;
    o.host = hp->first;
    o.port = hp->second;
    if (settings.parallelism) o.parallelism = *settings.parallelism;
    if (settings.max_attempts) o.retries.max_attempts = *settings.max_attempts;
    auto s = cloudlog::simple_store::open(o);
    if (!s) return fail(s.error());
    return opened(std::move(*s));
  }
#ifdef CLOUDLOG_TOOLS_WITH_S3
  if (uri.substr(0, 5) == "s3://") {
    const auto rest = uri.substr(5);
    const auto slash = rest.find('/');
    const std::string bucket(rest.substr(0, slash));
    std::string prefix(slash == rest.npos ? std::string_view{} : rest.substr(slash + 1));
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    if (bucket.empty()) return fail(make_error_code(errc::invalid_argument));
    auto o = s3_settings(settings, context.notes);
    if (!o) return tl::unexpected(o.error());
    auto s = cloudlog::s3_store::open(bucket, prefix, std::move(*o));
    if (!s) return fail(s.error());
    return opened(std::move(*s));
  }
#endif
  return fail(make_error_code(errc::invalid_argument));
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_STORE_URI_HPP
