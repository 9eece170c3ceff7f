// SPDX-License-Identifier: BSL-1.0
// backend/detail/curl_http.hpp, the S3 store's transport, on its own against a
// loopback HTTP server (tests/remote/fake_http.hpp, 127.0.0.1 only): what an exchange
// sends (method, target, headers, body) and what it returns (status, body, the S3
// headers), one connection reused by a handle, transport failures mapped to the
// library's codes with curl's words, and endpoint splitting.
#include <chrono>
#include <cstdint>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cloudlog/backend/detail/curl_http.hpp"
#include "remote/fake_http.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;
namespace d = cloudlog::detail;

namespace {

d::http_settings local_settings() {
  d::http_settings s;
  s.proxy_from_environment = false;  // loopback only, whatever the environment says
  s.connect_timeout = 2000ms;
  s.idle_timeout = 1000ms;
  return s;
}

d::curl_handle new_handle() {
  d::curl_init_once();
  d::curl_handle h(curl_easy_init());
  REQUIRE(h);
  return h;
}

// A loopback port nothing listens on: bound by us, then closed.
int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bytes pattern(std::size_t n) {
  bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>((i * 7 + 3) & 0xff);
  return out;
}

}  // namespace

TEST_CASE("perform sends the method, target, headers and body and returns the answer",
          "[backend][curl_http]") {
  test::fake_http_server server([](const test::http_request_seen& r) {
    if (r.method == "GET")
      return test::http_action::answer(206, "partial",
                                       "Content-Range: bytes 0-6/100\r\nETag: \"abc\"\r\n"
                                       "x-amz-request-id: REQ1\r\n"
                                       "X-Amz-Bucket-Region: eu-west-1\r\n");
    return test::http_action::answer(r.method == "DELETE" ? 204 : 200, "done");
  });
  auto h = new_handle();
  const auto s = local_settings();

  const d::http_exchange get{
      "GET", server.endpoint() + "/b/k?x=1", {"Range: bytes=0-6", "X-Test: one"}, {}};
  auto r = d::perform(h.get(), get, s, nullptr);
  REQUIRE(r);
  CHECK(r->status == 206);
  CHECK(as_chars(r->body) == "partial");
  CHECK(r->content_range == "bytes 0-6/100");
  CHECK(r->content_length == "7");
  CHECK(r->etag == "\"abc\"");
  CHECK(r->request_id == "REQ1");
  CHECK(r->bucket_region == "eu-west-1");  // header names matched in any case

  const auto body = pattern(5000);
  const d::http_exchange put{"PUT",
                             server.endpoint() + "/b/k",
                             {"Content-Type: application/octet-stream"},
                             byte_view(body)};
  auto p = d::perform(h.get(), put, s, nullptr);
  REQUIRE(p);
  CHECK(p->status == 200);
  const d::http_exchange post{
      "POST", server.endpoint() + "/b?delete", {}, byte_view(body).first(100)};
  REQUIRE(d::perform(h.get(), post, s, nullptr));
  const d::http_exchange head{"HEAD", server.endpoint() + "/b/k", {}, {}};
  auto hd = d::perform(h.get(), head, s, nullptr);
  REQUIRE(hd);
  CHECK(hd->status == 200);
  CHECK(hd->body.empty());
  const d::http_exchange del{"DELETE", server.endpoint() + "/b/k", {}, {}};
  auto dl = d::perform(h.get(), del, s, nullptr);
  REQUIRE(dl);
  CHECK(dl->status == 204);
  // The handle's connection is reset between exchanges, not closed: one connection.
  CHECK(server.connections() == 1);

  const auto seen = server.seen();
  REQUIRE(seen.size() == 5);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].target == "/b/k?x=1");
  CHECK(seen[0].header("X-Test") == "one");
  CHECK(seen[0].header("Range") == "bytes=0-6");
  CHECK(seen[1].method == "PUT");
  CHECK(seen[1].target == "/b/k");
  CHECK(seen[1].body == std::string(as_chars(body)));
  CHECK(seen[1].header("Content-Length") == "5000");
  CHECK(seen[1].header("Expect").empty());  // no 100-continue round trip
  CHECK(seen[1].header("X-Test").empty());  // a reset handle forgets the last headers
  CHECK(seen[2].method == "POST");
  CHECK(seen[2].body == std::string(as_chars(body)).substr(0, 100));
  CHECK(seen[3].method == "HEAD");
  CHECK(seen[4].method == "DELETE");
}

TEST_CASE("perform_once sends the user agent on a fresh handle", "[backend][curl_http]") {
  test::fake_http_server server(
      [](const test::http_request_seen&) { return test::http_action::answer(200, "{}"); });
  auto s = local_settings();
  s.user_agent = "cloudlog-test/1";
  auto r = d::perform_once({"GET", server.endpoint() + "/latest", {}, {}}, s);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(as_chars(r->body) == "{}");
  REQUIRE(server.seen().size() == 1);
  CHECK(server.seen()[0].header("User-Agent") == "cloudlog-test/1");
}

TEST_CASE("transport failures become the library's codes with curl's own words",
          "[backend][curl_http]") {
  const auto s = local_settings();
  SECTION("nothing listens: unreachable") {
    auto r = d::perform_once(
        {"GET", "http://127.0.0.1:" + std::to_string(unused_port()) + "/", {}, {}}, s);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::unreachable);
    CHECK_FALSE(r.error().what.empty());
  }
  SECTION("a peer that accepts and stays silent: timeout after the idle time") {
    test::fake_http_server server;
    // The stall ends in a silent close at 3 s; the idle limit (1 s) ends the
    // exchange before it (a close would be io_error).
    server.then(test::http_action::of(test::http_action::stall, 3000ms));
    auto r = d::perform_once({"GET", server.endpoint() + "/", {}, {}}, s);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::timeout);
    CHECK_FALSE(r.error().what.empty());
  }
  SECTION("a connection reset before any answer: io_error") {
    test::fake_http_server server;
    server.then(test::http_action::of(test::http_action::reset));
    auto r = d::perform_once({"GET", server.endpoint() + "/", {}, {}}, s);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::io_error);
    CHECK_FALSE(r.error().what.empty());
  }
  SECTION("a scheme other than http and https is refused before any connection") {
    auto r = d::perform_once({"GET", "file:///etc/passwd", {}, {}}, s);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_argument);
  }
}

TEST_CASE("curl_error maps curl's codes to the library's", "[backend][curl_http]") {
  CHECK(d::curl_error(CURLE_COULDNT_CONNECT) == errc::unreachable);
  CHECK(d::curl_error(CURLE_COULDNT_RESOLVE_HOST) == errc::unreachable);
  CHECK(d::curl_error(CURLE_OPERATION_TIMEDOUT) == errc::timeout);
  CHECK(d::curl_error(CURLE_PEER_FAILED_VERIFICATION) == errc::tls_failure);
  CHECK(d::curl_error(CURLE_SSL_CACERT_BADFILE) == errc::tls_failure);
  CHECK(d::curl_error(CURLE_UNSUPPORTED_PROTOCOL) == errc::invalid_argument);
  CHECK(d::curl_error(CURLE_WEIRD_SERVER_REPLY) == errc::protocol_error);
  CHECK(d::curl_error(CURLE_RECV_ERROR) == errc::io_error);
  CHECK(d::curl_error(CURLE_GOT_NOTHING) == errc::io_error);
}

TEST_CASE("split_endpoint takes scheme://authority and nothing else", "[backend][curl_http]") {
  CHECK(d::split_endpoint("http://127.0.0.1:4568").value() ==
        std::pair<std::string, std::string>{"http", "127.0.0.1:4568"});
  CHECK(d::split_endpoint("HTTPS://s3.example.com//").value() ==
        std::pair<std::string, std::string>{"https", "s3.example.com"});
  for (const char* bad : {"127.0.0.1:4568", "ftp://host", "http://", "http://host/path",
                          "http://user@host", "http://host?q", "http://a b"}) {
    INFO(bad);
    CHECK(d::split_endpoint(bad).error() == errc::invalid_argument);
  }
}
