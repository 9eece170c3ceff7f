// s3_store: a segment_store in an S3 bucket (or any S3-compatible service), over
// libcurl with SigV4 signing. Part of the cloudlog::s3 target (docs/backends.md).
#ifndef CLOUDLOG_BACKEND_S3_STORE_HPP
#define CLOUDLOG_BACKEND_S3_STORE_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "cloudlog/backend/batch_remove.hpp"
#include "cloudlog/backend/detail/aws_config.hpp"
#include "cloudlog/backend/detail/digest.hpp"
#include "cloudlog/backend/detail/parallel_reads.hpp"
#include "cloudlog/backend/detail/xml.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/backend/sigv4.hpp"

namespace cloudlog {

// How an object's URL names its bucket.
enum class s3_addressing {
  automatic,     // path style for an explicit endpoint or a bucket name with '.', else virtual host
  path,          // ENDPOINT/BUCKET/KEY
  virtual_host,  // SCHEME://BUCKET.HOST/KEY
};

// Everything an s3_store needs besides the bucket and prefix; from_environment()
// reads it as the AWS CLI does.
struct s3_options {
  // "scheme://host[:port]"; empty: https://s3.REGION.amazonaws.com. Plain http is
  // used only when written here explicitly.
  std::string endpoint;
  // The signing region.
  std::string region = "us-east-1";
  // The key pair (and session token) requests are signed with. Never logged.
  sigv4::credentials credentials;
  s3_addressing addressing = s3_addressing::automatic;
  // How many requests read_many runs at once (at least 1).
  unsigned parallelism = 8;
  // Retries of 5xx, SlowDown, timeouts and connection errors (never of other 4xx).
  retry_policy retries;
  // Time allowed to establish a connection, per attempt.
  std::chrono::milliseconds connect_timeout{3000};
  // Time allowed for a whole request (connect, send, receive), per attempt.
  std::chrono::milliseconds request_timeout{60000};
  // Keys asked for per ListObjectsV2 page (1..1000).
  unsigned max_keys = 1000;
  // A CA bundle to trust instead of the system's (empty: the system's).
  // Certificates are always verified.
  std::string ca_file;
  // Honour the proxy environment variables (http_proxy, HTTPS_PROXY, NO_PROXY...)
  // as libcurl and the AWS CLI do; false connects directly, always.
  bool proxy_from_environment = true;

  // Options as the AWS CLI would take them from the environment:
  //   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else endpoint_url in the config file;
  //   region       AWS_REGION, AWS_DEFAULT_REGION, else region in the config file, else us-east-1;
  //   credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else
  //                the profile's keys in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials),
  //                else in AWS_CONFIG_FILE (~/.aws/config).
  // The profile is AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default". Missing
  // credentials are left empty (s3_store::open then fails with errc::bad_credentials).
  static s3_options from_environment() {
    s3_options o;
    const auto profile =
        detail::env_or("AWS_PROFILE", detail::env_or("AWS_DEFAULT_PROFILE", "default"));
    const auto config_path = detail::aws_file("AWS_CONFIG_FILE", "config");
    auto config =
        detail::ini_section(config_path, profile == "default" ? "default" : "profile " + profile);
    auto creds = detail::ini_section(detail::aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
                                     profile);
    o.endpoint = detail::env_or("AWS_ENDPOINT_URL_S3",
                                detail::env_or("AWS_ENDPOINT_URL", config["endpoint_url"]));
    o.region = detail::env_or("AWS_REGION", detail::env_or("AWS_DEFAULT_REGION", config["region"]));
    if (o.region.empty()) o.region = "us-east-1";
    const auto id = detail::env_or("AWS_ACCESS_KEY_ID");
    const auto secret = detail::env_or("AWS_SECRET_ACCESS_KEY");
    if (!id.empty() && !secret.empty()) {
      o.credentials = {id, secret, detail::env_or("AWS_SESSION_TOKEN")};
    } else {
      for (auto* section : {&creds, &config}) {
        auto& s = *section;
        if (!s["aws_access_key_id"].empty() && !s["aws_secret_access_key"].empty()) {
          o.credentials = {s["aws_access_key_id"], s["aws_secret_access_key"],
                           s["aws_session_token"]};
          break;
        }
      }
    }
    return o;
  }
};

namespace detail {

inline void curl_init_once() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

struct curl_deleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
using curl_handle = std::unique_ptr<CURL, curl_deleter>;

// The DNS cache and TLS sessions every handle of one store shares, so a new
// worker resumes a TLS session instead of a full handshake. Destroy it after
// every handle that uses it.
class curl_share {
 public:
  curl_share() : share_(curl_share_init()) {
    if (!share_) return;
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &curl_share::lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &curl_share::unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  curl_share(const curl_share&) = delete;
  curl_share& operator=(const curl_share&) = delete;
  ~curl_share() {
    if (share_) curl_share_cleanup(share_);
  }
  CURLSH* get() const noexcept { return share_; }

 private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<curl_share*>(self)->mutexes_[index(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<curl_share*>(self)->mutexes_[index(data)].unlock();
  }
  static std::size_t index(curl_lock_data d) noexcept {
    return static_cast<std::size_t>(d) < CURL_LOCK_DATA_LAST ? static_cast<std::size_t>(d) : 0;
  }

  CURLSH* share_;
  std::mutex mutexes_[CURL_LOCK_DATA_LAST];
};

struct http_response {
  long status = 0;
  bytes body;
  std::string content_range;  // the Content-Range header, if any
  std::string content_length;
};

// One HTTP exchange's description (already signed).
struct http_exchange {
  std::string method;
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  byte_view body;
  bool send_body = false;
};

inline std::size_t curl_write_body(char* p, std::size_t size, std::size_t n, void* user) {
  auto* out = static_cast<bytes*>(user);
  const auto* b = reinterpret_cast<const std::byte*>(p);
  out->insert(out->end(), b, b + size * n);
  return size * n;
}

inline std::size_t curl_write_header(char* p, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<http_response*>(user);
  std::string_view line(p, size * n);
  const auto colon = line.find(':');
  if (colon != line.npos) {
    const auto name = sigv4::detail::lower(line.substr(0, colon));
    if (name == "content-range") r->content_range = trim(line.substr(colon + 1));
    if (name == "content-length") r->content_length = trim(line.substr(colon + 1));
  }
  return size * n;
}

struct upload_cursor {
  byte_view data;
  std::size_t at = 0;
};

inline std::size_t curl_read_body(char* p, std::size_t size, std::size_t n, void* user) {
  auto* c = static_cast<upload_cursor*>(user);
  const auto k = std::min(size * n, c->data.size() - c->at);
  std::memcpy(p, c->data.data() + c->at, k);
  c->at += k;
  return k;
}

inline int curl_seek_body(void* user, curl_off_t offset, int origin) {
  auto* c = static_cast<upload_cursor*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > c->data.size())
    return CURL_SEEKFUNC_FAIL;
  c->at = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// The error a transport failure stands for.
inline std::error_code curl_error(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return make_error_code(errc::unreachable);
    case CURLE_OPERATION_TIMEDOUT:
      return make_error_code(errc::timeout);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return make_error_code(errc::tls_failure);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return make_error_code(errc::invalid_argument);
    case CURLE_WEIRD_SERVER_REPLY:
      return make_error_code(errc::protocol_error);
    default:  // send/receive errors, resets, empty replies, TLS connect failures
      return make_error_code(errc::io_error);
  }
}

// Runs one exchange on handle H (reset first; its connection is kept for reuse).
inline result<http_response> perform(CURL* h, const http_exchange& x, const s3_options& opts,
                                     CURLSH* share) {
  curl_easy_reset(h);
  if (share) curl_easy_setopt(h, CURLOPT_SHARE, share);
  http_response r;
  upload_cursor cursor{x.body, 0};
  curl_slist* headers = nullptr;
  for (const auto& s : x.headers) headers = curl_slist_append(headers, s.c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(h, CURLOPT_URL, x.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!opts.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts.ca_file.c_str());
  if (!opts.proxy_from_environment) curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(opts.request_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, curl_write_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  if (x.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (x.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(x.body.size()));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, curl_read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &cursor);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, curl_seek_body);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &cursor);
  } else if (x.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, x.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(x.body.size()));
  } else if (x.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x.method.c_str());
  }
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return fail(curl_error(rc));
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

// Splits "scheme://authority[/]" into its parts. Fails: errc::invalid_argument.
inline result<std::pair<std::string, std::string>> split_endpoint(std::string_view e) {
  const auto sep = e.find("://");
  if (sep == e.npos) return fail(errc::invalid_argument);
  auto scheme = sigv4::detail::lower(e.substr(0, sep));
  auto authority = e.substr(sep + 3);
  while (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if ((scheme != "http" && scheme != "https") || authority.empty() ||
      authority.find_first_of("/?#@ ") != authority.npos)
    return fail(errc::invalid_argument);
  return std::pair{scheme, std::string(authority)};
}

inline bool dns_compatible_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return b.front() != '-' && b.back() != '-';
}

}  // namespace detail

// A segment store in bucket BUCKET: object NAME is the key PREFIX + NAME. Reads
// are ranged GETs (only the bytes asked for cross the network), writes are PUTs
// (atomic on S3: readers see the old object or the new one), removes are DELETEs;
// remove_many batches up to 1000 keys per DeleteObjects request. Transient
// failures (5xx, 503 SlowDown, timeouts, connection errors) are retried as
// options().retries says; other 4xx are not. Each worker reuses its own curl
// handle, so connections are kept alive between requests. All operations are
// thread-safe.
// Failure codes, besides each operation's own: errc::unreachable (cannot
// connect), errc::timeout, errc::throttled (still SlowDown after every retry),
// errc::io_error (5xx or dropped connections after every retry),
// errc::no_such_bucket, errc::access_denied, errc::bad_credentials (unknown key
// id, bad signature, expired token), errc::tls_failure (certificate not
// verified), errc::protocol_error (an answer that makes no sense).
class s3_store {
 public:
  // Opens bucket BUCKET with keys under PREFIX (used as given: "logs/" puts
  // segments at "logs/log-..."). Makes no request.
  // Fails: errc::invalid_argument for an empty bucket or one holding '/', or an
  // endpoint that is not http(s)://host[:port]; errc::bad_credentials if
  // OPTIONS has no access key id or secret.
  static result<s3_store> open(std::string bucket, std::string prefix, s3_options options) {
    if (bucket.empty() || bucket.find('/') != bucket.npos) return fail(errc::invalid_argument);
    if (options.credentials.access_key_id.empty() || options.credentials.secret_access_key.empty())
      return fail(errc::bad_credentials);
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
    st->options = std::move(options);
    st->bucket = std::move(bucket);
    st->prefix = std::move(prefix);
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
      if (r->status != 200) return fail(status_error(*r));
      const auto doc = as_chars(r->body);
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
    const bool ranged = offset != 0 || length != whole_object;
    if (ranged) {
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
    return fail(status_error(*r));
  }

  // Creates or replaces object NAME with one PUT (Content-MD5 and the payload's
  // SHA-256 let the service reject a corrupted upload).
  // Fails: errc::invalid_name and the remote codes.
  result<void> write(std::string_view name, byte_view data) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    std::vector<std::string> extra{"Content-MD5: " + detail::base64(detail::md5(data)),
                                   "Content-Type: application/octet-stream"};
    auto r = request("PUT", key_of(name), {}, extra, data);
    if (!r) return fail(r.error());
    if (r->status != 200) return fail(status_error(*r));
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
    return fail(status_error(*r));
  }

  // Deletes every object of NAMES with DeleteObjects requests of up to 1000 keys.
  // Every name is checked before any request, so a bad name deletes nothing.
  // Missing objects are success. On failure some objects may be deleted (each
  // deletion is final and repeating the call is harmless).
  // Fails: errc::invalid_name, and the remote codes (the first key-level error).
  result<void> remove_many(std::span<const std::string> names) {
    for (const auto& n : names)
      if (auto ok = check_object_name(n); !ok) return fail(ok.error());
    for (std::size_t at = 0; at < names.size(); at += 1000) {
      std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
      for (std::size_t i = at; i < std::min(names.size(), at + 1000); ++i)
        doc += "<Object><Key>" + detail::xml_escape(key_of(names[i])) + "</Key></Object>";
      doc += "</Delete>";
      const auto body = as_bytes(doc);
      std::vector<std::string> extra{"Content-MD5: " + detail::base64(detail::md5(body)),
                                     "Content-Type: application/xml"};
      auto r = request("POST", "", {{"delete", ""}}, extra, body);
      if (!r) return fail(r.error());
      if (r->status != 200) return fail(status_error(*r));
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

 private:
  struct state {
    s3_options options;
    std::string bucket, prefix, host, base;
    bool virtual_host = false;
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
    if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
        code == "InvalidToken" || code == "TokenRefreshRequired" ||
        code == "AuthorizationHeaderMalformed" || status == 401)
      return make_error_code(errc::bad_credentials);
    if (code == "AccessDenied" || status == 403) return make_error_code(errc::access_denied);
    if (code == "SlowDown" || status == 429) return make_error_code(errc::throttled);
    if (code == "RequestTimeout") return make_error_code(errc::timeout);
    if (status == 404) return make_error_code(errc::not_found);
    if (status >= 500) return make_error_code(errc::io_error);
    return make_error_code(errc::protocol_error);
  }

  static std::error_code status_error(const detail::http_response& r) {
    return code_error(r.status, detail::xml_text(as_chars(r.body), "Code"));
  }

  // HEAD of object NAME: its size. Fails: errc::not_found and the remote codes.
  result<std::uint64_t> object_size(std::string_view name) {
    auto r = request("HEAD", key_of(name), {}, {}, {});
    if (!r) return fail(r.error());
    if (r->status != 200) return fail(status_error(*r));
    std::uint64_t size = 0;
    if (r->content_length.empty()) return fail(errc::protocol_error);
    for (char c : r->content_length) {
      if (c < '0' || c > '9') return fail(errc::protocol_error);
      size = size * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return size;
  }

  // Signs and sends one request, retrying transient failures; a response with
  // any status is a success here (callers interpret it).
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
    auto once = [&]() -> result<detail::http_response> {
      ++st_->requests;
      sigv4::request req;
      req.method = method;
      req.path = path;
      req.query = query;
      req.payload_hash = payload_hash;
      const auto now = sigv4::amz_date(std::chrono::system_clock::now());
      req.headers = {
          {"host", st_->host}, {"x-amz-content-sha256", payload_hash}, {"x-amz-date", now}};
      if (!st_->options.credentials.session_token.empty())
        req.headers.emplace_back("x-amz-security-token", st_->options.credentials.session_token);
      const auto sig =
          sigv4::sign(req, st_->options.credentials, {now, st_->options.region, "s3", false});
      detail::http_exchange x{method, url, extra_headers, body, !body.empty()};
      for (const auto& [n, v] : req.headers)
        if (n != "host") x.headers.push_back(n + ": " + v);
      x.headers.push_back("Authorization: " + sig.authorization);
      auto r = detail::perform(handle.get(), x, st_->options, st_->share.get());
      if (r && retryable_status(*r)) return fail(status_error(*r));  // retried below
      return r;
    };
    auto retryable = [](std::error_code ec) { return is_transient(ec); };
    auto r = with_retries(st_->options.retries, retryable, once);
    give_back(std::move(handle));
    return r;
  }

  std::unique_ptr<state> st_;
};
static_assert(segment_store<s3_store>);
static_assert(batch_readable<s3_store>);
static_assert(batch_removable<s3_store>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_S3_STORE_HPP
