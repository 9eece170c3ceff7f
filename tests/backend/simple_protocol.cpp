// SPDX-License-Identifier: BSL-1.0
// simple_protocol.hpp: request tokens, numbers and names as the server takes them,
// and a stream_reader that hands out the same lines and byte counts however the
// bytes are split into reads, retrying interrupted reads and telling a timeout.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include "cloudlog/backend/simple_protocol.hpp"

using namespace cloudlog;
namespace proto = cloudlog::simple_protocol;

namespace {
// A source that serves TEXT in pieces of at most STEP bytes, after INTERRUPTS EINTRs.
struct piecewise {
  std::string text;
  std::size_t step;
  int interrupts = 0;
  std::size_t at = 0;
  int failing_errno = 0;  // once TEXT is served: -1 with this errno (0: end of stream)
  ssize_t operator()(char* buf, std::size_t n) {
    if (interrupts > 0) {
      --interrupts;
      errno = EINTR;
      return -1;
    }
    if (at == text.size()) {
      if (failing_errno == 0) return 0;
      errno = failing_errno;
      return -1;
    }
    const auto k = std::min({n, step, text.size() - at});
    std::copy(text.begin() + static_cast<std::ptrdiff_t>(at),
              text.begin() + static_cast<std::ptrdiff_t>(at + k), buf);
    at += k;
    return static_cast<ssize_t>(k);
  }
};
}  // namespace

TEST_CASE("Tokens, numbers and names as the server takes them", "[backend][simple_protocol]") {
  CHECK(proto::tokens("  GET\tlog-1 0  10\r") ==
        std::vector<std::string_view>{"GET", "log-1", "0", "10"});
  CHECK(proto::tokens("").empty());
  CHECK(proto::number("0") == 0u);
  CHECK(proto::number("18446744073709551615") == std::nullopt);  // 20 digits
  CHECK(proto::number("1234567890123456789") == 1234567890123456789ull);
  for (const char* bad : {"", "-1", "+1", " 1", "1x"}) CHECK_FALSE(proto::number(bad));
  CHECK(proto::name_ok("log-00000000-00000001"));
  for (const char* bad : {"", ".hidden", "a/b", "a..b", "a b", "a\tb"}) {
    INFO(bad);
    CHECK_FALSE(proto::name_ok(bad));
  }
  CHECK_FALSE(proto::name_ok(std::string(256, 'a')));
  CHECK(proto::name_ok(std::string(255, 'a')));
}

TEST_CASE("stream_reader hands out the same lines and bytes whatever the read sizes",
          "[backend][simple_protocol]") {
  const std::string text = "PUT x 5\nhelloGET y\n";
  for (std::size_t step : {1, 2, 3, 7, 100}) {
    INFO(step);
    proto::stream_reader r(piecewise{text, step, 2});  // two EINTRs first: retried
    CHECK(r.line() == std::string("PUT x 5"));
    std::string body;
    CHECK(r.exact(5, [&](byte_view b) {
      body.append(reinterpret_cast<const char*>(b.data()), b.size());
      return true;
    }));
    CHECK(body == "hello");
    CHECK(r.line() == std::string("GET y"));
    CHECK_FALSE(r.pending());
    CHECK_FALSE(r.line());  // end of stream
    CHECK_FALSE(r.timed_out());
    CHECK(r.received() == text.size());
  }
}

TEST_CASE("stream_reader refuses an overlong line and tells a timeout from the end",
          "[backend][simple_protocol]") {
  proto::stream_reader longline(piecewise{std::string(50, 'x') + "\n", 8});
  CHECK_FALSE(longline.line(10));
  proto::stream_reader slow(piecewise{"partial", 3, 0, 0, EAGAIN});
  CHECK_FALSE(slow.line());
  CHECK(slow.timed_out());
  proto::stream_reader sink_says_no(piecewise{"abcdef", 2});
  CHECK_FALSE(sink_says_no.exact(6, [](byte_view) { return false; }));
}

TEST_CASE("send_all and socket_reader carry a request over a real socket",
          "[backend][simple_protocol]") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  const std::string req = "LIST log-00000000-\n";
  CHECK(proto::send_all(sv[0], req.data(), req.size()));
  ::shutdown(sv[0], SHUT_WR);
  proto::socket_reader in(sv[1]);
  CHECK(in.line() == std::string("LIST log-00000000-"));
  CHECK_FALSE(in.line());
  ::close(sv[0]);
  ::close(sv[1]);
  CHECK_FALSE(proto::send_all(-1, req.data(), req.size()));
}
