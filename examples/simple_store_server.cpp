// SPDX-License-Identifier: BSL-1.0
// simple_store_server: serves one directory over the BlueSky "simple" protocol
// (GET, PUT as the original; DELETE, LIST, STAT extensions — docs/backends.md).
// Loopback by default; one thread per connection; atomic writes. Serves only the
// regular files of its directory: never a symlink, so never a file outside it.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cloudlog/backend/posix_io.hpp"
#include "cloudlog/backend/simple_protocol.hpp"
#include "cloudlog/bytes.hpp"
#include "common/cli.hpp"

namespace {

namespace proto = cloudlog::simple_protocol;

// Closes a file descriptor when it goes out of scope.
struct fd_closer {
  explicit fd_closer(int f) : fd(f) {}
  fd_closer(const fd_closer&) = delete;
  fd_closer& operator=(const fd_closer&) = delete;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
  int get() const { return fd; }
  int fd;
};

struct server_config {
  std::filesystem::path dir;
  int dir_fd = -1;  // DIR, opened once; names are resolved in it, never following a symlink
  unsigned max_connections = 64;
  unsigned idle_timeout_s = 300;
};

std::atomic<unsigned> active{0};

bool reply(int fd, const std::string& s) {
  return proto::send_all(fd, s.data(), s.size());
}

bool sync_dir(const server_config& cfg) {
  return ::fsync(cfg.dir_fd) == 0;
}

// What NAME is in the served directory, not following a symlink: 1 a regular file
// (an object; its stat in ST), 0 nothing, -1 something else (a symlink, a
// directory, a device...) or an error. Only regular files are objects.
int entry(const server_config& cfg, std::string_view name, struct stat& st) {
  if (::fstatat(cfg.dir_fd, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? 0 : -1;
  return S_ISREG(st.st_mode) ? 1 : -1;
}

// GET NAME OFFSET LENGTH -> "<n>\n" + n bytes, or "-1\n".
bool do_get(int fd, const server_config& cfg, const std::vector<std::string_view>& t) {
  auto off = t.size() == 4 ? proto::number(t[2]) : std::nullopt;
  auto len = t.size() == 4 ? proto::number(t[3]) : std::nullopt;
  if (!off || !len || !proto::name_ok(t[1])) return reply(fd, "-1\n");
  // O_NOFOLLOW: a symlink is not an object; O_NONBLOCK: opening a FIFO must not hang.
  fd_closer f(::openat(cfg.dir_fd, std::string(t[1]).c_str(),
                       O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st;
  if (f.get() < 0 || ::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) return reply(fd, "-1\n");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t n = *off < size ? size - *off : 0;
  if (*len > 0) n = std::min(n, *len);
  if (!reply(fd, std::to_string(n) + "\n")) return false;
  std::vector<char> buf(1 << 20);
  std::uint64_t done = 0;
  while (done < n) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), n - done));
    const auto r = cloudlog::posix::retry_eintr(
        [&] { return ::pread(f.get(), buf.data(), want, static_cast<off_t>(*off + done)); });
    if (r <= 0) return false;  // the file shrank under us: the stream cannot be repaired
    if (!proto::send_all(fd, buf.data(), static_cast<std::size_t>(r))) return false;
    done += static_cast<std::uint64_t>(r);
  }
  return true;
}

// PUT NAME LENGTH + bytes -> "0\n" or "-1\n". Written to a hidden temporary file,
// fsynced, renamed over NAME, and the directory fsynced. Refused when NAME is taken
// by something that is not a regular file (a symlink, a directory).
bool do_put(int fd, proto::socket_reader& in, const server_config& cfg,
            const std::vector<std::string_view>& t) {
  auto len = t.size() == 3 ? proto::number(t[2]) : std::nullopt;
  if (!len || *len > proto::max_object) return false;  // cannot resync: close
  const bool name_ok = proto::name_ok(t[1]);
  std::string tmp =
      (cfg.dir / (".tmp-" + std::string(name_ok ? t[1] : "refused") + "-XXXXXX")).string();
  const int out = name_ok ? ::mkstemp(tmp.data()) : -1;
  fd_closer guard(out);
  bool ok = out >= 0;
  const bool received = in.exact(*len, [&](cloudlog::byte_view b) {
    if (ok) {
      const auto put = cloudlog::posix::write_all(out, b);
      ok = put && *put == b.size();
    }
    return true;  // keep draining the body even when the write failed
  });
  if (!received) {
    if (out >= 0) ::unlink(tmp.c_str());
    return false;
  }
  struct stat st;
  ok = ok && entry(cfg, t[1], st) >= 0 && ::fchmod(out, 0644) == 0 && ::fsync(out) == 0 &&
       ::rename(tmp.c_str(), (cfg.dir / std::string(t[1])).c_str()) == 0 && sync_dir(cfg);
  if (!ok && out >= 0) ::unlink(tmp.c_str());
  return reply(fd, ok ? "0\n" : "-1\n");
}

// DELETE NAME -> "0\n" (deleted or absent) or "-1\n" (also when NAME is not a
// regular file: what the server does not serve, it does not delete).
bool do_delete(int fd, const server_config& cfg, const std::vector<std::string_view>& t) {
  if (t.size() != 2 || !proto::name_ok(t[1])) return reply(fd, "-1\n");
  struct stat st;
  const int e = entry(cfg, t[1], st);
  if (e <= 0) return reply(fd, e == 0 ? "0\n" : "-1\n");
  if (::unlinkat(cfg.dir_fd, std::string(t[1]).c_str(), 0) != 0)
    return reply(fd, errno == ENOENT ? "0\n" : "-1\n");
  return reply(fd, sync_dir(cfg) ? "0\n" : "-1\n");
}

// LIST [PREFIX] -> "<count>\n" then "<name> <size>\n" per object, sorted by name.
bool do_list(int fd, const server_config& cfg, const std::vector<std::string_view>& t) {
  if (t.size() > 2) return reply(fd, "-1\n");
  const std::string_view prefix = t.size() == 2 ? t[1] : std::string_view{};
  std::vector<std::pair<std::string, std::uint64_t>> found;
  // A fresh open of ".": its own read position (a dup would share dir_fd's across threads).
  const int dfd = ::openat(cfg.dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = dfd >= 0 ? ::fdopendir(dfd) : nullptr;
  if (!d) {
    if (dfd >= 0) ::close(dfd);
    return reply(fd, "-1\n");
  }
  while (auto* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (!proto::name_ok(n) || n.substr(0, prefix.size()) != prefix) continue;
    struct stat st;
    if (entry(cfg, n, st) != 1) continue;
    found.emplace_back(std::string(n), static_cast<std::uint64_t>(st.st_size));
  }
  ::closedir(d);
  std::sort(found.begin(), found.end());
  std::string out = std::to_string(found.size()) + "\n";
  for (const auto& [n, s] : found) out += n + " " + std::to_string(s) + "\n";
  return reply(fd, out);
}

// STAT NAME -> "<size>\n" or "-1\n".
bool do_stat(int fd, const server_config& cfg, const std::vector<std::string_view>& t) {
  struct stat st;
  if (t.size() != 2 || !proto::name_ok(t[1]) || entry(cfg, t[1], st) != 1) return reply(fd, "-1\n");
  return reply(fd, std::to_string(st.st_size) + "\n");
}

// Serves requests on FD one after another until the peer closes or breaks the protocol.
void serve(int fd, const server_config& cfg) {
  timeval tv{static_cast<time_t>(cfg.idle_timeout_s), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  proto::socket_reader in(fd);
  while (auto line = in.line()) {
    const auto t = proto::tokens(*line);
    if (t.empty()) break;
    bool ok = false;
    if (t[0] == "GET")
      ok = do_get(fd, cfg, t);
    else if (t[0] == "PUT")
      ok = do_put(fd, in, cfg, t);
    else if (t[0] == "DELETE")
      ok = do_delete(fd, cfg, t);
    else if (t[0] == "LIST")
      ok = do_list(fd, cfg, t);
    else if (t[0] == "STAT")
      ok = do_stat(fd, cfg, t);
    if (!ok) break;  // unknown command or a broken stream: close, as the original does
  }
  ::close(fd);
  --active;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Serve a directory over the BlueSky simple protocol (docs/backends.md)"};
  tools::add_version(app, "simple_store_server");
  server_config cfg;
  std::string dir, host = "127.0.0.1";
  int port = 9541;
  app.add_option("--dir", dir, "Directory to serve (must exist)")->required();
  app.add_option("--host", host, "Address to listen on (default 127.0.0.1; 0.0.0.0 exposes it)");
  app.add_option("--port", port, "Port (0: any free port)")->check(CLI::Range(0, 65535));
  app.add_option("--max-connections", cfg.max_connections,
                 "Connections served at once (1 to 65536)")
      ->check(tools::non_negative)
      ->check(CLI::Range(1u, 65536u));
  app.add_option("--idle-timeout", cfg.idle_timeout_s,
                 "Seconds before an idle connection closes (0: never)")
      ->check(tools::non_negative);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return tools::report_parse_error(app, e);
  }
  cfg.dir = dir;
  cfg.dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfg.dir_fd < 0) {
    std::fprintf(stderr, "error: --dir %s: %s (give an existing directory this user can read)\n",
                 dir.c_str(), std::strerror(errno));
    return tools::exit_unreachable;
  }
  std::signal(SIGPIPE, SIG_IGN);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    std::fprintf(stderr, "error: --host %s: cannot resolve (give an address, e.g. 127.0.0.1)\n",
                 host.c_str());
    return tools::exit_unreachable;
  }
  // Freed on every path out, the refusals included.
  const std::unique_ptr<addrinfo, void (*)(addrinfo*)> res(found, ::freeaddrinfo);
  const int lfd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd < 0 || ::bind(lfd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(lfd, 128) != 0) {
    const int err = errno;
    std::fprintf(stderr, "error: cannot listen on %s:%d: %s%s\n", host.c_str(), port,
                 std::strerror(err),
                 err == EADDRINUSE ? " (another program uses the port: choose another --port, or "
                                     "--port 0 for any free one)"
                                   : "");
    return tools::exit_unreachable;
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int actual =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::printf("listening on %s:%d\n", host.c_str(), actual);
  std::fflush(stdout);

  while (true) {
    const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
        if (errno == EMFILE || errno == ENFILE)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      std::fprintf(stderr, "error: accept: %s\n", std::strerror(errno));
      return tools::exit_failed;
    }
    if (active.load() >= cfg.max_connections) {  // over the limit: refuse by closing
      ::close(fd);
      continue;
    }
    ++active;
    std::thread(serve, fd, std::cref(cfg)).detach();
  }
}
