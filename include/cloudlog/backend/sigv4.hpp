// SPDX-License-Identifier: BSL-1.0
// AWS Signature Version 4: canonical request, string to sign, signing key and the
// Authorization header (docs/backends.md, "Signing").
#ifndef CLOUDLOG_BACKEND_SIGV4_HPP
#define CLOUDLOG_BACKEND_SIGV4_HPP

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlog/backend/detail/digest.hpp"
#include "cloudlog/bytes.hpp"

namespace cloudlog::sigv4 {

// The SHA-256 of the empty payload, hex.
inline constexpr std::string_view empty_payload_hash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// An access key pair, and the session token of temporary credentials (may be empty).
// The secret is never printed or logged by cloudlog.
struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// One request to sign. Paths and query parameters are given decoded (as text);
// sign() percent-encodes them as SigV4 requires.
struct request {
  std::string method;                                        // "GET", "PUT", ...
  std::string path = "/";                                    // decoded, starts with '/'
  std::vector<std::pair<std::string, std::string>> query;    // decoded name, value
  std::vector<std::pair<std::string, std::string>> headers;  // every header to sign; host included
  std::string payload_hash = std::string(empty_payload_hash);  // hex SHA-256 or UNSIGNED-PAYLOAD
};

// Where and when the signature is valid.
struct scope {
  std::string amz_date;  // YYYYMMDD'T'HHMMSS'Z', as in the x-amz-date header
  std::string region;    // "us-east-1"
  std::string service;   // "s3"
  // S3 signs the path as sent; every other service removes "." and ".." segments
  // and empty segments first.
  bool normalize_path = false;
};

// Every intermediate of a signature (tests compare each with AWS's vectors).
struct signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string value;           // 64 lowercase hex digits
  std::string authorization;   // the Authorization header's value
};

// Percent-encodes S per RFC 3986: unreserved characters stay, every other byte
// becomes %XX (uppercase); '/' stays when KEEP_SLASH.
inline std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  return out;
}

// Decodes %XX escapes (and nothing else) of S; a malformed escape stays as written.
inline std::string uri_decode(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && nibble(s[i + 1]) >= 0 && nibble(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(nibble(s[i + 1]) * 16 + nibble(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Splits a raw query string "a=1&b" into decoded (name, value) pairs.
inline std::vector<std::pair<std::string, std::string>> parse_query(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!raw.empty()) {
    const auto amp = raw.find('&');
    const auto part = raw.substr(0, amp);
    raw = amp == raw.npos ? std::string_view{} : raw.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    out.emplace_back(uri_decode(part.substr(0, eq)),
                     eq == part.npos ? std::string{} : uri_decode(part.substr(eq + 1)));
  }
  return out;
}

// The canonical URI of decoded PATH (normalized first when NORMALIZE).
inline std::string canonical_uri(std::string_view path, bool normalize) {
  if (!normalize) return uri_encode(path.empty() ? "/" : path, true);
  std::vector<std::string_view> segments;
  std::size_t at = 0;
  while (at <= path.size()) {
    auto slash = path.find('/', at);
    if (slash == path.npos) slash = path.size();
    const auto seg = path.substr(at, slash - at);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    at = slash + 1;
  }
  const bool trailing =
      path.size() > 1 && (path.back() == '/' || path.ends_with("/.") || path.ends_with("/.."));
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i) out += '/';
    out += uri_encode(segments[i], false);
  }
  if (trailing && !segments.empty()) out += '/';
  return out;
}

// The canonical query string: names and values encoded, sorted by name then value.
inline std::string canonical_query(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [k, v] : query) {
    k = uri_encode(k, false);
    v = uri_encode(v, false);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

namespace detail {
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}
// Trims the value and folds every run of white space (line folds included) into one space.
inline std::string fold_spaces(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
  }
  return out;
}
}  // namespace detail

// Signs REQ for CREDS within SCOPE. Pure: the same inputs give the same bytes.
// The caller sends the headers it signed, plus Authorization = result.authorization.
inline signature sign(const request& req, const credentials& creds, const scope& where) {
  // Headers: lowercase names, folded values, repeated names joined by ',' in order.
  std::vector<std::pair<std::string, std::string>> hs;
  for (const auto& [name, value] : req.headers) {
    auto n = detail::lower(name);
    auto v = detail::fold_spaces(value);
    auto it = std::find_if(hs.begin(), hs.end(), [&](const auto& h) { return h.first == n; });
    if (it == hs.end())
      hs.emplace_back(std::move(n), std::move(v));
    else
      it->second += "," + v;
  }
  std::stable_sort(hs.begin(), hs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  signature out;
  std::string canonical_headers;
  for (const auto& [n, v] : hs) {
    canonical_headers += n + ":" + v + "\n";
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += n;
  }
  out.canonical_request = req.method + "\n" + canonical_uri(req.path, where.normalize_path) + "\n" +
                          canonical_query(req.query) + "\n" + canonical_headers + "\n" +
                          out.signed_headers + "\n" + req.payload_hash;
  const std::string date = where.amz_date.substr(0, 8);
  const std::string credential_scope =
      date + "/" + where.region + "/" + where.service + "/aws4_request";
  out.string_to_sign = "AWS4-HMAC-SHA256\n" + where.amz_date + "\n" + credential_scope + "\n" +
                       cloudlog::detail::sha256_hex(as_bytes(out.canonical_request));
  const std::string k_secret = "AWS4" + creds.secret_access_key;
  auto key = cloudlog::detail::hmac_sha256(as_bytes(k_secret), as_bytes(date));
  key = cloudlog::detail::hmac_sha256(key, as_bytes(where.region));
  key = cloudlog::detail::hmac_sha256(key, as_bytes(where.service));
  key = cloudlog::detail::hmac_sha256(key, as_bytes("aws4_request"));
  out.value = to_hex(cloudlog::detail::hmac_sha256(key, as_bytes(out.string_to_sign)));
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" +
                      credential_scope + ", SignedHeaders=" + out.signed_headers +
                      ", Signature=" + out.value;
  return out;
}

// The x-amz-date text of time point T (UTC): YYYYMMDD'T'HHMMSS'Z'.
inline std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace cloudlog::sigv4

#endif  // CLOUDLOG_BACKEND_SIGV4_HPP
