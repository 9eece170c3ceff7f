// SPDX-License-Identifier: BSL-1.0
// simple_store: a segment_store served over TCP by the BlueSky "simple" protocol
// (spec section 8) and its extensions (docs/backends.md, "The simple protocol").
#ifndef CLOUDLOG_BACKEND_SIMPLE_STORE_HPP
#define CLOUDLOG_BACKEND_SIMPLE_STORE_HPP

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cloudlog/backend/detail/parallel_reads.hpp"
#include "cloudlog/backend/read_cost.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/backend/simple_protocol.hpp"

namespace cloudlog {

// Where the server is and how to talk to it.
struct simple_options {
  // The server's host name or address, and port (the protocol's default is 9541).
  std::string host = "127.0.0.1";
  std::uint16_t port = 9541;
  // Idle connections kept open for reuse (the original client keeps 8).
  unsigned max_idle_connections = 8;
  // How many reads read_many runs at once, each on its own connection (at least 1).
  unsigned parallelism = 8;
  // Retries of connection failures, resets and timeouts (every operation is idempotent).
  retry_policy retries;
  // Time allowed to connect, and for each send or receive on a connection.
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds io_timeout{30000};
};

namespace detail {
// One open connection and its read buffer.
struct simple_connection {
  explicit simple_connection(int f) : fd(f), in(f) {}
  simple_connection(const simple_connection&) = delete;
  simple_connection& operator=(const simple_connection&) = delete;
  ~simple_connection() {
    if (fd >= 0) ::close(fd);
  }
  // Sends DATA; a failure marks the connection broken.
  bool send(const void* data, std::size_t n) {
    if (!broken && simple_protocol::send_all(fd, data, n)) return true;
    broken = true;
    return false;
  }
  bool send(std::string_view s) { return send(s.data(), s.size()); }
  // One answer line; a failure marks the connection broken.
  std::optional<std::string> line(std::size_t max = simple_protocol::max_line) {
    auto l = broken ? std::nullopt : in.line(max);
    if (!l) broken = true;
    return l;
  }
  // The error for a broken exchange: a receive timeout, or a broken connection.
  std::error_code broken_error() const {
    return make_error_code(in.timed_out() ? errc::timeout : errc::io_error);
  }
  int fd;
  simple_protocol::socket_reader in;
  bool broken = false;  // the stream is in an unknown state: never reuse
};
}  // namespace detail

// A segment store on a simple-protocol server: GET and PUT exactly as the
// original BlueSky client sends them, plus the DELETE, LIST and STAT extensions
// our simple_store_server answers. Connections are kept open and reused (up to
// max_idle_connections idle ones); read_many runs reads in parallel over several
// connections. A connection that breaks is dropped, never reused. All
// operations are thread-safe.
// Failure codes, besides each operation's own: errc::unreachable (cannot
// connect), errc::timeout, errc::io_error (a connection broke, or the server
// answered -1 to a PUT or DELETE), errc::protocol_error (an answer that breaks
// the protocol).
class simple_store {
 public:
  // A request is a network round trip: reads are merged across gaps up to ~1 MiB.
  static constexpr read_cost_model read_cost = remote_read_cost;

  // A store on the server OPTIONS names. Makes no connection yet.
  // Fails: errc::invalid_argument for an empty host or port 0.
  static result<simple_store> open(simple_options options) {
    if (options.host.empty() || options.port == 0) return fail(errc::invalid_argument);
    options.parallelism = std::max(1u, options.parallelism);
    auto st = std::make_unique<state>();
    st->options = std::move(options);
    return simple_store(std::move(st));
  }

  const simple_options& options() const noexcept { return st_->options; }
  // Connections opened so far (tests check that they are reused).
  std::uint64_t connections_opened() const noexcept { return st_->opened.load(); }

  // LIST extension: every object whose name starts with the directory's prefix.
  result<std::vector<segment_info>> list(std::uint32_t directory) {
    const auto prefix = segment_prefix(directory);
    return exchange([&](detail::simple_connection& c) -> result<std::vector<segment_info>> {
      const std::string req = "LIST " + prefix + "\n";
      if (!c.send(req)) return fail(c.broken_error());
      auto count = read_number(c);
      if (!count) return fail(count.error());
      std::vector<segment_info> out;
      for (std::uint64_t i = 0; i < *count; ++i) {
        auto line = c.line();
        if (!line) return fail(c.broken_error());
        auto t = simple_protocol::tokens(*line);
        auto size = t.size() == 2 ? simple_protocol::number(t[1]) : std::nullopt;
        if (!size) return protocol_error(c);
        auto id = parse_segment_name(t[0]);
        if (!id || id->directory != directory) continue;
        out.push_back({*id, std::string(t[0]), *size});
      }
      std::sort(out.begin(), out.end(),
                [](const segment_info& a, const segment_info& b) { return a.id < b.id; });
      return out;
    });
  }

  // GET NAME OFFSET LENGTH; a STAT settles whether an empty answer means "at the
  // end" or "past the end" (the original protocol answers 0 bytes for both).
  // Fails: errc::invalid_name, errc::not_found, errc::out_of_range, and the codes above.
  result<bytes> read(std::string_view name, std::uint64_t offset, std::uint64_t length) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    if (length == 0) return read_nothing(name, offset);
    // Length 0 on the wire means "to the end".
    const std::uint64_t wire_length = length == whole_object ? 0 : length;
    auto r = exchange([&](detail::simple_connection& c) -> result<bytes> {
      const std::string req = "GET " + std::string(name) + " " + std::to_string(offset) + " " +
                              std::to_string(wire_length) + "\n";
      if (!c.send(req)) return fail(c.broken_error());
      auto line = c.line(64);
      if (!line) return fail(c.broken_error());
      if (*line == "-1") return fail(errc::not_found);
      auto n = simple_protocol::number(*line);
      if (!n || *n > simple_protocol::max_object || (wire_length && *n > wire_length))
        return protocol_error(c);
      bytes out;
      out.reserve(*n);
      if (!c.in.exact(*n, [&](byte_view b) {
            out.insert(out.end(), b.begin(), b.end());
            return true;
          })) {
        c.broken = true;
        return fail(c.broken_error());
      }
      return out;
    });
    if (r && r->empty() && offset > 0) return read_nothing(name, offset);
    return r;
  }

  // PUT NAME LENGTH, then the bytes; the server writes them atomically.
  // Fails: errc::invalid_name, errc::invalid_argument (over 256 MiB), errc::io_error
  // (the server answered -1), and the codes above.
  result<void> write(std::string_view name, byte_view data) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    if (data.size() > simple_protocol::max_object) return fail(errc::invalid_argument);
    return exchange([&](detail::simple_connection& c) -> result<void> {
      const std::string req = "PUT " + std::string(name) + " " + std::to_string(data.size()) + "\n";
      if (!c.send(req) || !c.send(data.data(), data.size())) return fail(c.broken_error());
      return status_reply(c);
    });
  }

  // DELETE extension; a missing object is success.
  // Fails: errc::invalid_name, errc::io_error (the server answered -1), and the codes above.
  result<void> remove(std::string_view name) {
    if (auto ok = check_object_name(name); !ok) return fail(ok.error());
    return exchange([&](detail::simple_connection& c) -> result<void> {
      const std::string req = "DELETE " + std::string(name) + "\n";
      if (!c.send(req)) return fail(c.broken_error());
      return status_reply(c);
    });
  }

  // Runs REQUESTS on up to options().parallelism connections at once; results in order.
  std::vector<result<bytes>> read_many(std::span<const read_request> requests) {
    return detail::parallel_reads(
        requests, st_->options.parallelism,
        [this](const read_request& r) { return read(r.name, r.offset, r.length); });
  }

 private:
  struct state {
    simple_options options;
    std::mutex mutex;
    std::vector<std::unique_ptr<detail::simple_connection>> idle;
    std::atomic<std::uint64_t> opened{0};
  };

  explicit simple_store(std::unique_ptr<state> st) : st_(std::move(st)) {}

  // STAT extension: the size of NAME, then the checks of a zero-length read.
  result<bytes> read_nothing(std::string_view name, std::uint64_t offset) {
    auto size = exchange([&](detail::simple_connection& c) -> result<std::uint64_t> {
      const std::string req = "STAT " + std::string(name) + "\n";
      if (!c.send(req)) return fail(c.broken_error());
      auto line = c.line(64);
      if (!line) return fail(c.broken_error());
      if (*line == "-1") return fail(errc::not_found);
      auto n = simple_protocol::number(*line);
      if (!n) return protocol_error(c);
      return *n;
    });
    if (!size) return fail(size.error());
    if (offset > *size) return fail(errc::out_of_range);
    return bytes{};
  }

  // An answer that breaks the protocol leaves the stream unusable.
  static tl::unexpected<std::error_code> protocol_error(detail::simple_connection& c) {
    c.broken = true;
    return fail(errc::protocol_error);
  }

  static result<std::uint64_t> read_number(detail::simple_connection& c) {
    auto line = c.line(64);
    if (!line) return fail(c.broken_error());
    auto n = simple_protocol::number(*line);
    if (!n) return protocol_error(c);
    return *n;
  }

  static result<void> status_reply(detail::simple_connection& c) {
    auto line = c.line(64);
    if (!line) return fail(c.broken_error());
    if (*line == "0") return {};
    if (*line == "-1") return fail(errc::io_error);  // the server could not do it
    return protocol_error(c);
  }

  // Runs F on a connection, retrying transient failures on fresh connections. A
  // reused connection that fails before answering anything (the server closed it
  // while idle) is replaced once without counting as an attempt.
  template <class F>
  auto exchange(F&& f) -> decltype(f(std::declval<detail::simple_connection&>())) {
    using R = decltype(f(std::declval<detail::simple_connection&>()));
    auto once = [&]() -> R {
      for (int stale = 0;; ++stale) {
        bool reused = false;
        auto c = take(reused);
        if (!c) return fail(c.error());
        auto& conn = **c;
        const auto before = conn.in.received();
        auto r = f(conn);
        if (!conn.broken && !conn.in.pending()) {
          give_back(std::move(*c));  // a complete exchange: the connection is reusable
          return r;
        }
        if (conn.broken && reused && stale == 0 && conn.in.received() == before &&
            !conn.in.timed_out())
          continue;
        return r;
      }
    };
    return with_retries(st_->options.retries, is_transient, once);
  }

  result<std::unique_ptr<detail::simple_connection>> take(bool& reused) {
    {
      std::lock_guard lock(st_->mutex);
      if (!st_->idle.empty()) {
        auto c = std::move(st_->idle.back());
        st_->idle.pop_back();
        reused = true;
        return c;
      }
    }
    reused = false;
    return connect();
  }

  void give_back(std::unique_ptr<detail::simple_connection> c) {
    std::lock_guard lock(st_->mutex);
    if (st_->idle.size() < st_->options.max_idle_connections) st_->idle.push_back(std::move(c));
  }

  result<std::unique_ptr<detail::simple_connection>> connect() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const auto port = std::to_string(st_->options.port);
    if (::getaddrinfo(st_->options.host.c_str(), port.c_str(), &hints, &found) != 0 || !found)
      return fail(errc::unreachable);
    std::error_code last = make_error_code(errc::unreachable);
    for (auto* a = found; a; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) continue;
      auto conn = std::make_unique<detail::simple_connection>(fd);
      if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) continue;
        pollfd p{fd, POLLOUT, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(st_->options.connect_timeout.count()));
        int err = 0;
        socklen_t len = sizeof err;
        if (ready == 0) {
          last = make_error_code(errc::timeout);
          continue;
        }
        if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
          continue;
      }
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      timeval tv{};
      tv.tv_sec = static_cast<time_t>(st_->options.io_timeout.count() / 1000);
      tv.tv_usec = static_cast<suseconds_t>((st_->options.io_timeout.count() % 1000) * 1000);
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::freeaddrinfo(found);
      ++st_->opened;
      return conn;
    }
    ::freeaddrinfo(found);
    return fail(last);
  }

  std::unique_ptr<state> st_;
};
static_assert(segment_store<simple_store>);
static_assert(batch_readable<simple_store>);

}  // namespace cloudlog

#endif  // CLOUDLOG_BACKEND_SIMPLE_STORE_HPP
