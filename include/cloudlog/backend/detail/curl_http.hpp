// SPDX-License-Identifier: BSL-1.0
// The HTTP transport of the S3 store and of the AWS credential sources: libcurl easy
// handles, a shared DNS/TLS-session cache, one exchange per call.
#ifndef CLOUDLOG_BACKEND_DETAIL_CURL_HTTP_HPP
#define CLOUDLOG_BACKEND_DETAIL_CURL_HTTP_HPP

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "cloudlog/backend/detail/aws_config.hpp"
#include "cloudlog/backend/sigv4.hpp"
#include "cloudlog/bytes.hpp"
#include "cloudlog/error_info.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::detail {

// How one exchange may use the network. A stalled peer fails an attempt after
// idle_timeout without a byte; request_timeout (0: none) bounds a whole exchange.
struct http_settings {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds idle_timeout{10000};
  std::chrono::milliseconds request_timeout{0};
  std::string ca_file;  // empty: the system's trust store; verification stays on
  bool proxy_from_environment = true;
  std::string user_agent;
};

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
  std::string content_range;   // the Content-Range header, if any
  std::string content_length;  // Content-Length
  std::string etag;            // ETag
  std::string bucket_region;   // x-amz-bucket-region
  std::string request_id;      // x-amz-request-id
};

// One HTTP exchange's description (already signed).
struct http_exchange {
  std::string method;
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  byte_view body;
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
    auto value = trim(line.substr(colon + 1));
    if (name == "content-range")
      r->content_range = std::move(value);
    else if (name == "content-length")
      r->content_length = std::move(value);
    else if (name == "etag")
      r->etag = std::move(value);
    else if (name == "x-amz-bucket-region")
      r->bucket_region = std::move(value);
    else if (name == "x-amz-request-id")
      r->request_id = std::move(value);
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

inline void set_method(CURL* h, const http_exchange& x, upload_cursor& cursor) {
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
}

inline void set_network(CURL* h, const http_settings& s) {
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!s.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, s.ca_file.c_str());
  if (!s.proxy_from_environment) curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout.count()));
  if (s.request_timeout.count() > 0)
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(s.request_timeout.count()));
  // Fewer than 1 byte/s for the idle time ends the attempt: a peer that accepted
  // and went silent costs seconds, not the whole request timeout.
  const long idle_s = std::max<long>(1, static_cast<long>((s.idle_timeout.count() + 999) / 1000));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, idle_s);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!s.user_agent.empty()) curl_easy_setopt(h, CURLOPT_USERAGENT, s.user_agent.c_str());
}

// Runs one exchange on handle H (reset first; its connection is kept for reuse).
// Fails below HTTP: the code curl_error gives, with curl's own words as its text.
inline result_with_info<http_response> perform(CURL* h, const http_exchange& x,
                                               const http_settings& s, CURLSH* share) {
  curl_easy_reset(h);
  if (share) curl_easy_setopt(h, CURLOPT_SHARE, share);
  http_response r;
  upload_cursor cursor{x.body, 0};
  curl_slist* headers = nullptr;
  for (const auto& line : x.headers) headers = curl_slist_append(headers, line.c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_URL, x.url.c_str());
  set_network(h, s);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, curl_write_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  set_method(h, x, cursor);
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return fail_with(curl_error(rc), errbuf[0] ? errbuf : curl_easy_strerror(rc));
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

// One exchange on a fresh handle (the credential sources: rare requests).
inline result_with_info<http_response> perform_once(const http_exchange& x,
                                                    const http_settings& s) {
  curl_init_once();
  curl_handle h(curl_easy_init());
  if (!h) return fail(errc::io_error);
  return perform(h.get(), x, s, nullptr);
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

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_BACKEND_DETAIL_CURL_HTTP_HPP
