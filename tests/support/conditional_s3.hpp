// SPDX-License-Identifier: BSL-1.0
// A small S3 object server on 127.0.0.1 that honours conditional writes as AWS S3
// does (PUT with If-None-Match: * or If-Match: ETAG answers 412 when the condition
// fails; DELETE with If-Match too), for the lease tests: s3rver ignores those
// headers. Path-style requests, one bucket, objects in memory; ListObjectsV2 (one
// page) and GetBucketVersioning are enough for the tools to run against it.
#ifndef CLOUDLOG_TESTS_SUPPORT_CONDITIONAL_S3_HPP
#define CLOUDLOG_TESTS_SUPPORT_CONDITIONAL_S3_HPP

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "remote/fake_http.hpp"

namespace cloudlog::test {

class conditional_s3_server {
 public:
  explicit conditional_s3_server(std::string bucket = "test-bucket")
      : bucket_(std::move(bucket)),
        http_([this](const http_request_seen& r) { return handle(r); }) {}

  std::string endpoint() const { return http_.endpoint(); }
  std::size_t requests() const { return http_.requests(); }
  std::vector<http_request_seen> seen() const { return http_.seen(); }

  // false: ignore conditional headers, as s3rver does.
  void honour_conditions(bool on) {
    std::lock_guard lock(mutex_);
    honour_ = on;
  }
  // Runs before every PUT is judged (with the key): a rival's write lands here.
  void before_put(std::function<void(const std::string&)> hook) {
    std::lock_guard lock(mutex_);
    before_put_ = std::move(hook);
  }
  // GetBucketVersioning's Status ("" = never enabled).
  void versioning(std::string status) {
    std::lock_guard lock(mutex_);
    versioning_ = std::move(status);
  }
  // Writes KEY directly (as another client would); returns its ETag.
  std::string put(const std::string& key, std::string body) {
    std::lock_guard lock(mutex_);
    return store(key, std::move(body));
  }
  std::optional<std::string> get(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto i = objects_.find(key);
    if (i == objects_.end()) return std::nullopt;
    return i->second.first;
  }
  std::size_t conditional_failures() const {
    std::lock_guard lock(mutex_);
    return failed_;
  }

 private:
  std::string store(const std::string& key, std::string body) {
    const auto etag = "\"v" + std::to_string(++version_) + "\"";
    objects_[key] = {std::move(body), etag};
    return etag;
  }

  static http_action error(int status, const std::string& code) {
    return http_action::answer(status, "<?xml version=\"1.0\"?><Error><Code>" + code +
                                           "</Code><Message>" + code + "</Message></Error>");
  }

  // False when a condition of R fails on the current object (none: absent).
  bool condition_holds(const http_request_seen& r, const std::string& key) const {
    if (!honour_) return true;
    auto i = objects_.find(key);
    const auto none_match = r.header("if-none-match"), match = r.header("if-match");
    if (none_match == "*" && i != objects_.end()) return false;
    if (!match.empty() && (i == objects_.end() || i->second.second != match)) return false;
    return true;
  }

  http_action list(const std::string& query) {
    std::string prefix;
    if (auto p = query.find("prefix="); p != std::string::npos) {
      prefix = query.substr(p + 7, query.find('&', p) - p - 7);
      for (std::size_t k; (k = prefix.find("%2F")) != std::string::npos;) prefix.replace(k, 3, "/");
    }
    std::string doc = "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>false</IsTruncated>";
    for (const auto& [k, v] : objects_)
      if (k.rfind(prefix, 0) == 0)
        doc += "<Contents><Key>" + k + "</Key><Size>" + std::to_string(v.first.size()) +
               "</Size></Contents>";
    return http_action::answer(200, doc + "</ListBucketResult>");
  }

  http_action handle(const http_request_seen& r) {
    std::function<void(const std::string&)> hook;
    const auto q = r.target.find('?');
    const std::string path = r.target.substr(0, q),
                      query = q == std::string::npos ? "" : r.target.substr(q + 1);
    const std::string root = "/" + bucket_;
    if (path.rfind(root, 0) != 0) return error(404, "NoSuchBucket");
    std::string key = path.size() > root.size() + 1 ? path.substr(root.size() + 1) : "";
    if (r.method == "PUT") {
      std::lock_guard lock(mutex_);
      hook = before_put_;
    }
    if (hook) hook(key);
    std::lock_guard lock(mutex_);
    if (key.empty() && r.method == "GET")
      return query.find("versioning") != std::string::npos
                 ? http_action::answer(
                       200, "<VersioningConfiguration>" +
                                (versioning_.empty() ? std::string{}
                                                     : "<Status>" + versioning_ + "</Status>") +
                                "</VersioningConfiguration>")
                 : list(query);
    if (r.method == "PUT" || r.method == "DELETE") {
      if (!condition_holds(r, key)) {
        ++failed_;
        return objects_.count(key) || (r.method == "PUT" && r.header("if-match").empty())
                   ? error(412, "PreconditionFailed")
                   : error(404, "NoSuchKey");
      }
      if (r.method == "DELETE") {
        objects_.erase(key);
        return http_action::answer(204, "");
      }
      return http_action::answer(200, "", "ETag: " + store(key, r.body) + "\r\n");
    }
    auto i = objects_.find(key);
    if (i == objects_.end()) return error(404, "NoSuchKey");
    const auto& body = i->second.first;
    const auto etag = "ETag: " + i->second.second + "\r\n";
    if (auto range = r.header("range"); range.rfind("bytes=", 0) == 0) {
      const auto dash = range.find('-');
      const auto from = std::stoull(range.substr(6, dash - 6));
      auto to = dash + 1 < range.size() ? std::stoull(range.substr(dash + 1)) : body.size() - 1;
      if (from >= body.size()) return error(416, "InvalidRange");
      to = std::min<unsigned long long>(to, body.size() - 1);
      return http_action::answer(206, body.substr(from, to - from + 1),
                                 etag + "Content-Range: bytes " + std::to_string(from) + "-" +
                                     std::to_string(to) + "/" + std::to_string(body.size()) +
                                     "\r\n");
    }
    return http_action::answer(200, body, etag);
  }

  std::string bucket_;
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<std::string, std::string>> objects_;  // key -> body, ETag
  std::function<void(const std::string&)> before_put_;
  std::string versioning_;
  bool honour_ = true;
  std::size_t version_ = 0, failed_ = 0;
  fake_http_server http_;  // last: stops before the state it serves goes away
};

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_SUPPORT_CONDITIONAL_S3_HPP
