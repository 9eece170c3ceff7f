// SPDX-License-Identifier: BSL-1.0
// The simple protocol's pieces shared by client and server (spec section 8,
// docs/backends.md): limits, tokens, numbers, the names a server accepts, and a
// buffered socket reader.
#ifndef CLOUDLOG_BACKEND_SIMPLE_PROTOCOL_HPP
#define CLOUDLOG_BACKEND_SIMPLE_PROTOCOL_HPP

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include "cloudlog/backend/posix_io.hpp"
#include "cloudlog/bytes.hpp"

namespace cloudlog::simple_protocol {

// A request line, '\n' included, is at most this long.
inline constexpr std::size_t max_line = 4096;
// The largest object a PUT may carry (256 MiB).
inline constexpr std::uint64_t max_object = 256ull << 20;

// Splits LINE at white space.
inline std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t' || line[at] == '\r')) ++at;
    const auto b = at;
    while (at < line.size() && line[at] != ' ' && line[at] != '\t' && line[at] != '\r') ++at;
    if (at > b) out.push_back(line.substr(b, at - b));
  }
  return out;
}

// A decimal unsigned number (no sign, no spaces, at most 19 digits), or nothing.
inline std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// A name the server serves: not empty, at most 255 bytes, no '/', no "..", no NUL,
// no white space, not starting with '.' (temporary files are hidden names).
inline bool name_ok(std::string_view n) {
  if (n.empty() || n.size() > 255 || n.front() == '.') return false;
  if (n.find("..") != n.npos) return false;
  for (char c : n)
    if (c == '/' || c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r') return false;
  return true;
}

// Sends all of DATA on socket FD. False on any failure (timeouts included).
inline bool send_all(int fd, const void* data, std::size_t n) {
  const auto sent = posix::send_all(fd, byte_view(static_cast<const std::byte*>(data), n));
  return sent && *sent == n;
}

// Reads lines and exact byte counts from SOURCE through one buffer. SOURCE is
// called as source(char* buffer, std::size_t n) and answers as recv(2) does: the
// bytes read (1..n), 0 at the end, or -1 with errno set (EAGAIN/EWOULDBLOCK: a
// timeout). What the reader hands out does not depend on how the bytes are split
// into reads. Not thread-safe.
template <class Source>
class stream_reader {
 public:
  explicit stream_reader(Source source) : source_(std::move(source)) {}
  // One line without its '\n'; nothing on EOF, error, timeout, or a line longer than MAX.
  std::optional<std::string> line(std::size_t max = max_line) {
    while (true) {
      if (auto nl = buf_.find('\n', at_); nl != buf_.npos) {
        if (nl - at_ >= max) return std::nullopt;  // too long, even if it came in one read
        std::string l = buf_.substr(at_, nl - at_);
        at_ = nl + 1;
        return l;
      }
      if (buf_.size() - at_ >= max || !fill()) return std::nullopt;
    }
  }
  // Passes exactly N bytes to SINK(byte_view) in pieces; false on EOF, error, or
  // when SINK returns false.
  template <class Sink>
  bool exact(std::uint64_t n, Sink&& sink) {
    while (n > 0) {
      if (at_ == buf_.size() && !fill()) return false;
      const auto k = std::min<std::uint64_t>(n, buf_.size() - at_);
      if (!sink(byte_view(reinterpret_cast<const std::byte*>(buf_.data() + at_), k))) return false;
      at_ += k;
      n -= k;
    }
    return true;
  }
  // True if bytes are buffered but not yet consumed.
  bool pending() const noexcept { return at_ < buf_.size(); }
  // True once a receive timed out (SO_RCVTIMEO).
  bool timed_out() const noexcept { return timed_out_; }
  // Bytes received so far.
  std::uint64_t received() const noexcept { return received_; }

 private:
  bool fill() {
    if (at_ == buf_.size()) {
      buf_.clear();
      at_ = 0;
    } else if (at_ > 65536) {
      buf_.erase(0, at_);
      at_ = 0;
    }
    char tmp[65536];
    const auto r = posix::retry_eintr([&] { return source_(tmp, sizeof tmp); });
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) timed_out_ = true;
    if (r <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(r));
    received_ += static_cast<std::uint64_t>(r);
    return true;
  }

  Source source_;
  std::string buf_;
  std::size_t at_ = 0;
  std::uint64_t received_ = 0;
  bool timed_out_ = false;
};

// recv(2) on socket FD, which stays owned by the caller.
struct socket_source {
  int fd;
  ssize_t operator()(char* buffer, std::size_t n) const { return ::recv(fd, buffer, n, 0); }
};

// The reader of the server's requests and the client's answers: a stream_reader
// on socket FD (which stays owned by the caller).
class socket_reader : public stream_reader<socket_source> {
 public:
  explicit socket_reader(int fd) : stream_reader<socket_source>(socket_source{fd}) {}
};

}  // namespace cloudlog::simple_protocol

#endif  // CLOUDLOG_BACKEND_SIMPLE_PROTOCOL_HPP
