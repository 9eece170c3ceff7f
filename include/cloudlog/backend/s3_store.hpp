// SPDX-License-Identifier: BSL-1.0
// s3_store: a segment_store in an S3 bucket (or any S3-compatible service), over
// libcurl with SigV4 signing. Part of the cloudlog::s3 target (docs/backends.md).
// Options and the environment: s3_options.hpp; the transport: detail/curl_http.hpp.
#ifndef CLOUDLOG_BACKEND_S3_STORE_HPP
#define CLOUDLOG_BACKEND_S3_STORE_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/conditional_store.hpp"
#include "cloudlog/backend/detail/curl_http.hpp"
#include "cloudlog/backend/detail/digest.hpp"
#include "cloudlog/backend/detail/parallel_reads.hpp"
#include "cloudlog/backend/detail/xml.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/s3_options.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/backend/sigv4.hpp"
#include "cloudlog/error_info.hpp"

namespace cloudlog {

namespace detail {

inline bool dns_compatible_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return b.front() != '-' && b.back() != '-';
}

// The region an error answer names: x-amz-bucket-region, the <Region> element, or
// "the region 'X' is wrong; expecting 'Y'" in the message.
inline std::string error_region(const http_response& r, std::string_view doc,
                                const std::string& message) {
  if (!r.bucket_region.empty()) return r.bucket_region;
  if (auto region = xml_text(doc, "Region"); !region.empty()) return region;
  const auto at = message.find("expecting '");
  if (at == message.npos) return {};
  const auto end = message.find('\'', at + 11);
  return end == message.npos ? std::string{} : message.substr(at + 11, end - at - 11);
}

}  // namespace detail

// One line that says what S3 answered and what to do about it: the status, the
// server's Code and Message, the bucket's region when it names one, and a hint.
inline std::string describe(const s3_failure& f) {
  std::string s;
  if (f.status == 0) {
    s = f.transport.empty() ? f.error.message() : f.transport;
    if (f.error == errc::timeout)
      s = "no answer from " + f.endpoint + ": " + s +
          " (a stalled endpoint; --connect-timeout and --idle-timeout bound each attempt, "
          "--max-attempts the attempts)";
    else if (f.error == errc::unreachable)
      s += " (is the server running? check the endpoint " + f.endpoint +
           ": --endpoint-url, AWS_ENDPOINT_URL)";
    else if (f.error == errc::tls_failure)
      s += " (the certificate of " + f.endpoint +
           " did not verify: pass its CA with --ca-bundle or AWS_CA_BUNDLE)";
    return s;
  }
  s = "S3 answered " + std::to_string(f.status);
  if (!f.code.empty()) s += " " + f.code;
  if (!f.message.empty()) s += ": " + f.message;
  std::string hint;
  if (f.code == "PermanentRedirect" || f.code == "AuthorizationHeaderMalformed" ||
      f.code == "IllegalLocationConstraintException" || f.status == 301) {
    hint = f.region.empty() ? "the bucket is in another region: set --region or AWS_REGION"
                            : "the bucket is in region " + f.region + ": use --region " + f.region +
                                  " or AWS_REGION=" + f.region;
  } else if (f.code == "AccessDenied") {
    hint =
        "the credentials lack permission for this bucket or prefix (s3:ListBucket, "
        "s3:GetObject, s3:PutObject, s3:DeleteObject)";
  } else if (f.code == "NoSuchBucket") {
    hint = "create the bucket, or check its name in the store URI and the endpoint";
  } else if (f.code == "SignatureDoesNotMatch") {
    hint =
        "the secret key does not match the key id; check AWS_SECRET_ACCESS_KEY or the "
        "profile";
  } else if (f.code == "RequestTimeTooSkewed") {
    hint = "this machine's clock is off by more than 15 minutes; fix it (NTP)";
  } else if (f.code == "InvalidAccessKeyId" || f.code == "ExpiredToken" ||
             f.code == "InvalidToken") {
    hint = "the credentials are unknown or expired; check the key id, profile or role";
  }
  if (!hint.empty()) s += " (" + hint + ")";
  return s;
}

// A segment store in bucket BUCKET: object NAME is the key PREFIX + NAME. Reads
// are ranged GETs (only the bytes asked for cross the network), writes are PUTs
// (atomic on S3: readers see the old object or the new one), removes are DELETEs;
// remove_many batches up to 1000 keys per DeleteObjects request. Transient
// failures (5xx, 503 SlowDown, timeouts, connection errors) are retried as
// options().retries says; other 4xx are not. Each worker reuses its own curl
// handle, so connections are kept alive between requests. Every failed operation
// is described to options().on_failure (the server's Code and Message). All
// operations are thread-safe.
// Failure codes, besides each operation's own: errc::unreachable (cannot
// connect), errc::timeout, errc::throttled (still SlowDown after every retry),
// errc::io_error (5xx or dropped connections after every retry),
// errc::no_such_bucket, errc::access_denied, errc::bad_credentials (unknown key
// id, bad signature, expired token, no credentials from any source),
// errc::invalid_argument (the bucket is in another region: PermanentRedirect),
// errc::tls_failure (certificate not verified), errc::protocol_error (an answer
// that makes no sense).
class s3_store {
 public:
  // A request is a network round trip: reads are merged across gaps up to ~1 MiB.
  static constexpr read_cost_model read_cost = remote_read_cost;

  // Opens bucket BUCKET with keys under PREFIX (used as given: "logs/" puts
  // segments at "logs/log-..."). Makes no request.
  // Fails: errc::invalid_argument for an empty bucket or one holding '/', or an
  // endpoint that is not http(s)://host[:port]; errc::bad_credentials if
  // OPTIONS has neither a key pair nor a credential_source.
  static result<s3_store> open(std::string bucket, std::string prefix, s3_options options) {
    if (bucket.empty() || bucket.find('/') != bucket.npos) return fail(errc::invalid_argument);
    const bool keys = !options.credentials.access_key_id.empty() &&
                      !options.credentials.secret_access_key.empty();
    if (!keys && !options.credential_source) return fail(errc::bad_credentials);
    auto st = std::make_unique<state>();
    const bool explicit_endpoint = !options.endpoint.empty();
    auto ep = detail::split_endpoint(
        explicit_endpoint ? options.endpoint : "https://s3." + options.region + ".amazonaws.com");
    if (!ep) return fail(ep.error());
    auto style = options.addressing;
    if (style == s3_addressing::automatic)
      style = explicit_endpoint || !detail::dns_compatible_bucket(bucket)
                  ? s3_addressing::path
                  : s3_addressing::virtual_host;
    st->virtual_host = style == s3_addressing::virtual_host;
    st->host = st->virtual_host ? bucket + "." + ep->second : ep->second;
    st->base = ep->first + "://" + st->host;
    options.parallelism = std::max(1u, options.parallelism);
    options.max_keys = std::clamp(options.max_keys, 1u, 1000u);
    if (!options.credential_source)
      options.credential_source =
          std::make_shared<credential_cache>(aws_credentials{options.credentials, "explicit", {}});
    st->http = options.http();
    st->options = std::move(options);
    st->bucket = std::move(bucket);
    st->prefix = std::move(prefix);
    if (st->options.conditional_writes != s3_conditional::detect)
      st->conditional = st->options.conditional_writes == s3_conditional::on ? 1 : 0;
    detail::curl_init_once();
    return s3_store(std::move(st));
  }

  const s3_options& options() const noexcept { return st_->options; }
  const std::string& bucket() const noexcept { return st_->bucket; }
  const std::string& prefix() const noexcept { return st_->prefix; }
  // The URL object NAME is read from (for diagnostics and tests).
  std::string url_of(std::string_view name) const { return st_->base + path_of(key_of(name)); }
  // The Host header requests carry.
  const std::string& host() const noexcept { return st_->host; }
  // HTTP requests sent so far, retries included.
  std::uint64_t requests() const noexcept { return st_->requests.load(); }

  // Lists directory DIRECTORY's segments through ListObjectsV2, page by page
  // (options().max_keys keys each). Keys under the prefix that are not segment
  // names are ignored.
  result<std::vector<segment_info>> list(std::uint32_t directory) {
    std::vector<segment_info> out;
    const std::string key_prefix = st_->prefix + segment_prefix(directory);
    std::string token;
    // Bounded: a listing of 10^8 objects at 1000 a page; a server that keeps
    // answering "truncated" past that, or repeats a token, is broken.
    for (int page = 0; page < 100'000; ++page) {
      std::vector<std::pair<std::string, std::string>> q{
          {"list-type", "2"},
          {"prefix", key_prefix},
          {"max-keys", std::to_string(st_->options.max_keys)}};
      if (!token.empty()) q.emplace_back("continuation-token", token);
      auto r = request("GET", "", q, {}, {});
      if (!r) return fail(r.error());
      if (r->status != 200) return fail(status_error("LIST " + key_prefix, *r));
      const auto doc = as_chars(r->body);
      if (auto ok = parse_listing(doc, directory, out); !ok) return fail(ok.error());
      if (detail::xml_text(doc, "IsTruncated") != "true") {
        std::sort(out.begin(), out.end(),
                  [](const segment_info& a, const segment_info& b) { return a.id < b.id; });
        return out;
      }
      auto next = detail::xml_text(doc, "NextContinuationToken");
      if (next.empty() || next == token) return fail(errc::protocol_error);
      token = std::move(next);
    }
    return fail(errc::protocol_error);
  }

  // Reads LENGTH bytes at OFFSET with one ranged GET (length 0: a HEAD).
  // Fails: errc::invalid_name, errc::not_found, errc::out_of_range, and the remote codes.
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    if (length == 0) {
      auto size = object_size(name);
      if (!size) return fail(size.error());
      if (offset > *size) return fail(errc::out_of_range);
      return bytes{};
    }
    std::vector<std::string> extra;
    if (offset != 0 || length != whole_object) {
      std::string range = "Range: bytes=" + std::to_string(offset) + "-";
      if (length != whole_object && length - 1 <= whole_object - 1 - offset)
        range += std::to_string(offset + length - 1);
      extra.push_back(std::move(range));
    }
    auto r = request("GET", key_of(name), {}, extra, {});
    if (!r) return fail(r.error());
    if (r->status == 206) {
      if (r->content_range.rfind("bytes " + std::to_string(offset) + "-", 0) != 0)
        return fail(errc::protocol_error);
      if (length != whole_object && r->body.size() > length) return fail(errc::protocol_error);
      return std::move(r->body);
    }
    if (r->status == 200) {  // the whole object: a server that ignores Range, or no range asked
      auto& b = r->body;
      if (offset > b.size()) return fail(errc::out_of_range);
      const auto n = std::min<std::uint64_t>(length, b.size() - offset);
      if (offset == 0 && n == b.size()) return std::move(b);
      return bytes(b.begin() + static_cast<std::ptrdiff_t>(offset),
                   b.begin() + static_cast<std::ptrdiff_t>(offset + n));
    }
    if (r->status == 416) {  // unsatisfiable: the offset is at or past the end
      auto size = object_size(name);
      if (!size) return fail(size.error());
      if (offset == *size) return bytes{};
      return fail(errc::out_of_range);
    }
    return fail(status_error("GET " + std::string(name), *r));
  }

  // Creates or replaces object NAME with one PUT (Content-MD5 and the payload's
  // SHA-256 let the service reject a corrupted upload).
  // Fails: errc::invalid_name and the remote codes.
  result<void> write(std::string_view name, byte_view data) {
    auto r = put(name, data, {});
    if (!r) return fail(r.error());
    if (r->status != 200) return fail(status_error("PUT " + std::string(name), *r));
    return {};
  }

  // Deletes object NAME with one DELETE; a missing object is success.
  // Fails: errc::invalid_name and the remote codes.
  result<void> remove(std::string_view name) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    auto r = request("DELETE", key_of(name), {}, {}, {});
    if (!r) return fail(r.error());
    if (r->status == 204 || r->status == 200) return {};
    if (r->status == 404 && detail::xml_text(as_chars(r->body), "Code") != "NoSuchBucket")
      return {};
    return fail(status_error("DELETE " + std::string(name), *r));
  }

  // The most keys one DeleteObjects request carries (batch_remove_limit).
  static constexpr std::size_t max_batch_remove = 1000;

  // Deletes every object of NAMES with DeleteObjects requests of up to 1000 keys.
  // Every name is checked before any request, so a bad name deletes nothing.
  // Missing objects are success. On failure some objects may be deleted (each
  // deletion is final and repeating the call is harmless).
  // Fails: errc::invalid_name, and the remote codes (the first key-level error).
  result<void> remove_many(std::span<const std::string> names) {
    for (const auto& n : names)
      if (auto ok = check_object_name(n); !ok) return fail(ok.error());
    for (std::size_t at = 0; at < names.size(); at += max_batch_remove) {
      std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
      for (std::size_t i = at; i < std::min(names.size(), at + max_batch_remove); ++i)
        doc += "<Object><Key>" + detail::xml_escape(key_of(names[i])) + "</Key></Object>";
      doc += "</Delete>";
      const auto body = as_bytes(doc);
      std::vector<std::string> extra{"Content-MD5: " + detail::base64(detail::md5(body)),
                                     "Content-Type: application/xml"};
      auto r = request("POST", "", {{"delete", ""}}, extra, body);
      if (!r) return fail(r.error());
      if (r->status != 200) return fail(status_error("DeleteObjects", *r));
      for (auto e : detail::xml_elements(as_chars(r->body), "Error")) {
        const auto code = detail::xml_text(e, "Code");
        if (code != "NoSuchKey") return fail(code_error(403, code));
      }
    }
    return {};
  }

  // Runs REQUESTS with up to options().parallelism ranged GETs at once; results
  // in REQUESTS' order. Each read is retried on its own.
  std::vector<result<bytes>> read_many(std::span<const read_request> requests) {
    return detail::parallel_reads(
        requests, st_->options.parallelism,
        [this](const read_request& r) { return read(r.name, r.offset, r.length); });
  }

  // --- conditional writes (conditional_store) ---

  // Whether the server honours If-None-Match: * and If-Match: ETag on PUT.
  // options().conditional_writes decides; with detect, the first call probes once
  // with a scratch object (four requests: create, create again expecting 412,
  // replace with a wrong ETag expecting 412, delete); a server that ignores the
  // headers (s3rver) answers 200 and counts as without. Thread-safe.
  // Fails: the remote codes of the probe (then asked again next time).
  result<bool> conditional_writes() {
    if (const int c = st_->conditional.load(); c >= 0) return c == 1;
    std::lock_guard lock(st_->probe_mutex);
    if (const int c = st_->conditional.load(); c >= 0) return c == 1;
    auto probed = probe_conditional();
    if (!probed) return fail(probed.error());
    st_->conditional = *probed ? 1 : 0;
    return *probed;
  }

  // The whole object NAME and its ETag. Fails: errc::not_found and the remote codes.
  result<versioned_bytes> read_versioned(std::string_view name) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    auto r = request("GET", key_of(name), {}, {}, {});
    if (!r) return fail(r.error());
    if (r->status != 200) return fail(status_error("GET " + std::string(name), *r));
    return versioned_bytes{std::move(r->body), std::move(r->etag)};
  }

  // PUT with If-None-Match: *: the new ETag, or nullopt (412) if NAME exists.
  // REQUIRES: conditional_writes() (else the server may overwrite).
  // Fails: errc::invalid_name and the remote codes.
  result<std::optional<std::string>> create_if_absent(std::string_view name, byte_view data) {
    return conditional_put(name, data, "If-None-Match: *");
  }

  // PUT with If-Match: VERSION: the new ETag, or nullopt (412, or 404) if NAME changed.
  // REQUIRES: conditional_writes(). Fails: errc::invalid_name and the remote codes.
  result<std::optional<std::string>> replace_if(std::string_view name, byte_view data,
                                                std::string_view version) {
    return conditional_put(name, data, "If-Match: " + std::string(version));
  }

  // DELETE with If-Match: VERSION: true if deleted, false (412, 404) if NAME changed
  // or is gone. Fails: errc::invalid_name and the remote codes.
  result<bool> remove_if(std::string_view name, std::string_view version) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    auto r = request("DELETE", key_of(name), {}, {"If-Match: " + std::string(version)}, {});
    if (!r) return fail(r.error());
    if (r->status == 204 || r->status == 200) return true;
    if (r->status == 412 || r->status == 404) return false;
    return fail(status_error("DELETE " + std::string(name), *r));
  }

  // The bucket's versioning status (GetBucketVersioning): "Enabled", "Suspended",
  // or "" (never enabled). On a versioned bucket a DELETE leaves the bytes as a
  // noncurrent version: only a lifecycle rule (NoncurrentVersionExpiration) frees them.
  // Fails: the remote codes (a server without the API: errc::protocol_error).
  result<std::string> bucket_versioning() {
    auto r = request("GET", "", {{"versioning", ""}}, {}, {});
    if (!r) return fail(r.error());
    if (r->status != 200) return fail(status_error("GetBucketVersioning", *r));
    return detail::xml_text(as_chars(r->body), "Status");
  }

 private:
  struct state {
    s3_options options;
    detail::http_settings http;
    std::string bucket, prefix, host, base;
    bool virtual_host = false;
    std::atomic<int> conditional{-1};  // -1 not probed yet, 0 without, 1 with
    std::mutex probe_mutex;
    detail::curl_share share;  // declared before the handles: destroyed after them
    std::mutex pool_mutex;
    std::vector<detail::curl_handle> idle;
    std::atomic<std::uint64_t> requests{0};
  };

  explicit s3_store(std::unique_ptr<state> st) : st_(std::move(st)) {}

  std::string key_of(std::string_view name) const { return st_->prefix + std::string(name); }

  // The decoded request path for KEY ("" = the bucket itself).
  std::string path_of(const std::string& key) const {
    if (st_->virtual_host) return "/" + key;
    return "/" + st_->bucket + (key.empty() ? "" : "/" + key);
  }

  // Adds one ListObjectsV2 page's segments of DIRECTORY to OUT.
  result<void> parse_listing(std::string_view doc, std::uint32_t directory,
                             std::vector<segment_info>& out) const {
    for (auto c : detail::xml_elements(doc, "Contents")) {
      const auto key = detail::xml_text(c, "Key");
      if (key.compare(0, st_->prefix.size(), st_->prefix) != 0) continue;
      const auto name = std::string_view(key).substr(st_->prefix.size());
      auto id = parse_segment_name(name);
      if (!id || id->directory != directory) continue;
      const auto size_text = detail::xml_text(c, "Size");
      std::uint64_t size = 0;
      for (char ch : size_text) {
        if (ch < '0' || ch > '9') return fail(errc::protocol_error);
        size = size * 10 + static_cast<std::uint64_t>(ch - '0');
      }
      if (size_text.empty()) return fail(errc::protocol_error);
      out.push_back({*id, std::string(name), size});
    }
    return {};
  }

  result<detail::http_response> put(std::string_view name, byte_view data, std::string condition) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    std::vector<std::string> extra{"Content-MD5: " + detail::base64(detail::md5(data)),
                                   "Content-Type: application/octet-stream"};
    if (!condition.empty()) extra.push_back(std::move(condition));
    return request("PUT", key_of(name), {}, extra, data);
  }

  result<std::optional<std::string>> conditional_put(std::string_view name, byte_view data,
                                                     std::string condition) {
    auto r = put(name, data, std::move(condition));
    if (!r) return fail(r.error());
    if (r->status == 200) return std::optional<std::string>(std::move(r->etag));
    // 409 ConditionalRequestConflict: a concurrent conditional write won.
    if (r->status == 412 || r->status == 404 || r->status == 409)
      return std::optional<std::string>{};
    return fail(status_error("PUT " + std::string(name), *r));
  }

  // The probe behind conditional_writes(), on a scratch object of its own.
  result<bool> probe_conditional() {
    std::random_device rd;
    const auto name =
        segment_name({max_segment_number, 1 + rd() % (max_segment_number - 1)}).value();
    const auto body = as_bytes(std::string_view("cloudlog conditional-write probe\n"));
    auto first = create_if_absent(name, body);
    if (!first) return fail(first.error());
    bool honoured = false;
    if (*first) {
      auto again = create_if_absent(name, body);
      auto wrong = replace_if(name, body, "\"00000000000000000000000000000000\"");
      honoured = again && !*again && wrong && !*wrong;
    }
    (void)remove(name);
    return honoured;
  }

  detail::curl_handle take_handle() {
    {
      std::lock_guard lock(st_->pool_mutex);
      if (!st_->idle.empty()) {
        auto h = std::move(st_->idle.back());
        st_->idle.pop_back();
        return h;
      }
    }
    return detail::curl_handle(curl_easy_init());
  }

  void give_back(detail::curl_handle h) {
    std::lock_guard lock(st_->pool_mutex);
    if (st_->idle.size() <= st_->options.parallelism) st_->idle.push_back(std::move(h));
  }

  static bool retryable_status(const detail::http_response& r) {
    if (r.status >= 500 || r.status == 429) return true;
    if (r.status == 400) return detail::xml_text(as_chars(r.body), "Code") == "RequestTimeout";
    return false;
  }

  static std::error_code code_error(long status, std::string_view code) {
    if (code == "NoSuchBucket") return make_error_code(errc::no_such_bucket);
    if (code == "NoSuchKey") return make_error_code(errc::not_found);
    if (code == "PermanentRedirect" || code == "IllegalLocationConstraintException" ||
        (status == 301 && code.empty()))
      return make_error_code(errc::invalid_argument);
    if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
        code == "InvalidToken" || code == "TokenRefreshRequired" ||
        code == "AuthorizationHeaderMalformed" || code == "RequestTimeTooSkewed" || status == 401)
      return make_error_code(errc::bad_credentials);
    if (code == "AccessDenied" || status == 403) return make_error_code(errc::access_denied);
    if (code == "SlowDown" || status == 429) return make_error_code(errc::throttled);
    if (code == "RequestTimeout") return make_error_code(errc::timeout);
    if (status == 404) return make_error_code(errc::not_found);
    if (status >= 500) return make_error_code(errc::io_error);
    return make_error_code(errc::protocol_error);
  }

  // The error of answer R to OPERATION, described to on_failure (except a plain
  // missing object, which callers may expect).
  std::error_code status_error(const std::string& operation, const detail::http_response& r) {
    const auto doc = as_chars(r.body);
    s3_failure f;
    f.operation = operation;
    f.status = r.status;
    f.code = detail::xml_text(doc, "Code");
    f.message = detail::xml_text(doc, "Message");
    f.region = detail::error_region(r, doc, f.message);
    f.request_id = r.request_id;
    f.endpoint = st_->base;
    if (f.status == 301 && f.code.empty()) f.code = "PermanentRedirect";
    f.error = code_error(r.status, f.code);
    if (f.error != errc::not_found) notify(f);
    return f.error;
  }

  void notify(const s3_failure& f) const {
    if (st_->options.on_failure) st_->options.on_failure(f);
  }

  // HEAD of object NAME: its size. Fails: errc::not_found and the remote codes.
  result<std::uint64_t> object_size(std::string_view name) {
    auto r = request("HEAD", key_of(name), {}, {}, {});
    if (!r) return fail(r.error());
    if (r->status != 200) return fail(status_error("HEAD " + std::string(name), *r));
    std::uint64_t size = 0;
    if (r->content_length.empty()) return fail(errc::protocol_error);
    for (char c : r->content_length) {
      if (c < '0' || c > '9') return fail(errc::protocol_error);
      size = size * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return size;
  }

  // One signed attempt of an exchange on handle H. A failure below HTTP carries
  // its words (curl's, or the missing credentials').
  result_with_info<detail::http_response> attempt(
      CURL* h, const std::string& method, const std::string& path, const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& query,
      const std::vector<std::string>& extra_headers, byte_view body,
      const std::string& payload_hash) {
    auto creds = st_->options.credential_source->get();
    if (!creds)
      return fail_with(
          creds.error(),
          "no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID, "
          "AWS_SECRET_ACCESS_KEY) or the profile (AWS_PROFILE, ~/.aws/credentials), and no "
          "credential_process, web identity, container or instance-metadata credentials");
    ++st_->requests;
    sigv4::request req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.payload_hash = payload_hash;
    const auto now = sigv4::amz_date(std::chrono::system_clock::now());
    req.headers = {
        {"host", st_->host}, {"x-amz-content-sha256", payload_hash}, {"x-amz-date", now}};
    if (!creds->keys.session_token.empty())
      req.headers.emplace_back("x-amz-security-token", creds->keys.session_token);
    const auto sig = sigv4::sign(req, creds->keys, {now, st_->options.region, "s3", false});
    detail::http_exchange x{method, url, extra_headers, body};
    for (const auto& [n, v] : req.headers)
      if (n != "host") x.headers.push_back(n + ": " + v);
    x.headers.push_back("Authorization: " + sig.authorization);
    return detail::perform(h, x, st_->http, st_->share.get());
  }

  // Signs and sends one request, retrying transient failures; a response with
  // any status is a success here (callers interpret it). A transport failure is
  // described to on_failure.
  result<detail::http_response> request(
      const std::string& method, const std::string& key,
      const std::vector<std::pair<std::string, std::string>>& query,
      const std::vector<std::string>& extra_headers, byte_view body) {
    const auto path = path_of(key);
    std::string url = st_->base + sigv4::uri_encode(path, true);
    if (!query.empty()) url += "?" + sigv4::canonical_query(query);
    const std::string payload_hash = detail::sha256_hex(body);
    auto handle = take_handle();
    if (!handle) return fail(errc::io_error);
    std::optional<detail::http_response> last_status;
    auto once = [&]() -> result_with_info<detail::http_response> {
      last_status.reset();
      auto r = attempt(handle.get(), method, path, url, query, extra_headers, body, payload_hash);
      if (r && retryable_status(*r)) {
        last_status = *r;
        return fail(code_error(r->status, detail::xml_text(as_chars(r->body), "Code")));
      }
      return r;
    };
    auto r = with_retries(
        st_->options.retries, [](const error_info& e) { return is_transient(e.code); }, once);
    // Temporary credentials the server calls expired (a revoked session, clocks
    // apart): fetch new ones and try once more.
    if (r && (r->status == 400 || r->status == 403) &&
        detail::xml_text(as_chars(r->body), "Code") == "ExpiredToken" &&
        st_->options.credential_source->invalidate())
      r = once();
    give_back(std::move(handle));
    if (!r && last_status) return std::move(*last_status);  // callers describe it
    if (!r) {
      s3_failure f;
      f.operation = method + " " + (key.empty() ? st_->bucket : key);
      f.error = r.error().code;
      f.transport = r.error().what;
      f.endpoint = st_->base;
      notify(f);
      return fail(r.error().code);
    }
    return std::move(*r);
  }

  std::unique_ptr<state> st_;
};
static_assert(segment_store<s3_store>);
static_assert(batch_readable<s3_store>);
static_assert(batch_removable<s3_store>);
static_assert(conditional_store<s3_store>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_S3_STORE_HPP
