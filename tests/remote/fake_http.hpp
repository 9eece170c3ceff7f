// SPDX-License-Identifier: BSL-1.0
// A tiny misbehaving HTTP/1.1 server on 127.0.0.1 for fault tests: it answers each
// request with the next scripted action (a status, a connection reset, a silent
// close, a stall), then with a default handler.
#ifndef CLOUDLOG_TESTS_REMOTE_FAKE_HTTP_HPP
#define CLOUDLOG_TESTS_REMOTE_FAKE_HTTP_HPP

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cloudlog::test {

struct http_request_seen {
  std::string method, target, head;
  std::string body;

  // The value of header NAME (matched case-insensitively, as HTTP does), or "".
  std::string header(const std::string& name) const {
    auto lower = [](std::string x) {
      for (auto& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return x;
    };
    const auto at = lower(head).find("\r\n" + lower(name) + ":");
    if (at == std::string::npos) return {};
    const auto b = at + name.size() + 3, e = head.find("\r\n", b);
    auto v = head.substr(b, e == std::string::npos ? std::string::npos : e - b);
    v.erase(0, v.find_first_not_of(' '));
    return v;
  }
};

// T as the AWS services write times: 2026-11-28T20:59:12Z.
inline std::string iso8601(std::chrono::system_clock::time_point t) {
  const auto tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct http_action {
  enum kind_t { reply, reset, close, stall } kind = reply;
  int status = 200;
  std::string body;
  std::string extra_headers;           // "Name: value\r\n"...
  std::chrono::milliseconds delay{0};  // before replying (reply) or closing (stall)

  static http_action answer(int status, std::string body, std::string headers = {},
                            std::chrono::milliseconds delay = {}) {
    http_action a;
    a.status = status;
    a.body = std::move(body);
    a.extra_headers = std::move(headers);
    a.delay = delay;
    return a;
  }
  static http_action of(kind_t k, std::chrono::milliseconds delay = {}) {
    http_action a;
    a.kind = k;
    a.delay = delay;
    return a;
  }
};

class fake_http_server {
 public:
  using handler = std::function<http_action(const http_request_seen&)>;

  explicit fake_http_server(handler fallback = {}) : fallback_(std::move(fallback)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 64) != 0)
      throw std::runtime_error("fake_http_server: bind/listen failed");
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  fake_http_server(const fake_http_server&) = delete;
  fake_http_server& operator=(const fake_http_server&) = delete;
  ~fake_http_server() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    ::close(listener_);
    for (auto& t : workers_) t.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Queues ACTION for the next request not yet answered.
  void then(http_action action) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(action));
  }
  std::size_t requests() const { return count_.load(); }
  std::size_t connections() const { return connections_.load(); }
  std::vector<http_request_seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      std::lock_guard lock(mutex_);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // Reads until "\r\n\r\n" and the body; false on EOF or when stopping.
  bool read_request(int fd, std::string& buf, http_request_seen& out) {
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (stopping_) return false;
      if (::poll(&p, 1, 50) <= 0) continue;
      char tmp[65536];
      const auto n = ::read(fd, tmp, sizeof tmp);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
    out.head = buf.substr(0, end);
    const auto sp1 = out.head.find(' '), sp2 = out.head.find(' ', sp1 + 1);
    out.method = out.head.substr(0, sp1);
    out.target = out.head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t length = 0;
    std::string lower = out.head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto cl = lower.find("\r\ncontent-length:"); cl != std::string::npos)
      length = std::stoul(lower.substr(cl + 17));
    buf.erase(0, end + 4);
    while (buf.size() < length) {
      char tmp[65536];
      const auto n = ::read(fd, tmp, sizeof tmp);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<std::size_t>(n));
    }
    out.body = buf.substr(0, length);
    buf.erase(0, length);
    return true;
  }

  void serve(int fd) {
    std::string buf;
    http_request_seen req;
    while (read_request(fd, buf, req)) {
      ++count_;
      http_action act;
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(req);
        if (!script_.empty()) {
          act = std::move(script_.front());
          script_.pop_front();
        } else if (fallback_) {
          act = fallback_(req);
        }
      }
      if (act.delay.count()) std::this_thread::sleep_for(act.delay);
      if (act.kind == http_action::reset) {
        linger l{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        break;
      }
      if (act.kind == http_action::close || act.kind == http_action::stall) break;
      std::string resp = "HTTP/1.1 " + std::to_string(act.status) + " X\r\nContent-Length: " +
                         std::to_string(req.method == "HEAD" ? 0 : act.body.size()) + "\r\n" +
                         act.extra_headers + "\r\n";
      if (req.method != "HEAD") resp += act.body;
      std::size_t done = 0;
      while (done < resp.size()) {
        const auto w = ::send(fd, resp.data() + done, resp.size() - done, MSG_NOSIGNAL);
        if (w <= 0) break;
        done += static_cast<std::size_t>(w);
      }
    }
    ::close(fd);
  }

  int listener_ = -1;
  int port_ = 0;
  handler fallback_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> count_{0}, connections_{0};
  mutable std::mutex mutex_;
  std::deque<http_action> script_;
  std::vector<http_request_seen> seen_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_REMOTE_FAKE_HTTP_HPP
