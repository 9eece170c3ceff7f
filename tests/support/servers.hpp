// SPDX-License-Identifier: BSL-1.0
// Test support: real servers on loopback for the remote-store tests — s3rver (the
// npm S3 emulator) and our simple_store_server — each on a free port in its own
// temporary directory, ready-checked with a bounded wait and killed on destruction.
#ifndef CLOUDLOG_TESTS_SUPPORT_SERVERS_HPP
#define CLOUDLOG_TESTS_SUPPORT_SERVERS_HPP

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloudlog/backend/simple_protocol.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace cloudlog::test {

// A program running in the background, its stdout and stderr going to LOG.
// Destruction stops it: SIGTERM to its process group, then SIGKILL after 2 s.
class background_process {
 public:
  background_process(const std::vector<std::string>& args, std::filesystem::path log,
                     const std::vector<std::string>& env = {})
      : log_(std::move(log)) {
    const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create " + log_.string());
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a test that crashed
      const int devnull = ::open("/dev/null", O_RDONLY);
      ::dup2(devnull, 0);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(fd);
  }
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;
  ~background_process() { stop(); }

  // Waits (at most TIMEOUT) until the log matches PATTERN; returns the first
  // submatch. Throws if the process exits or the time runs out.
  std::string wait_for(const std::regex& pattern, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto text = log_text();
      std::smatch m;
      if (std::regex_search(text, m, pattern)) return m.size() > 1 ? m[1].str() : m[0].str();
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("server exited before it was ready:\n" + text);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("server not ready in time:\n" + log_text());
  }

  std::string log_text() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // Stops the process (its whole group); idempotent.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  pid_t pid() const noexcept { return pid_; }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// The project's source directory (where .tools/ lives).
inline std::filesystem::path source_dir() {
  return CLOUDLOG_SOURCE_DIR;
}

// s3rver 3.7.1 on 127.0.0.1, a free port, a fresh data directory and the given
// buckets. Credentials it accepts: S3RVER / S3RVER (it does not check SigV4
// signatures, only that the key id exists). Its service endpoint is "localhost",
// so virtual-host requests reach it as BUCKET.s3.localhost:PORT (libcurl resolves
// every *.localhost name to loopback itself).
class s3rver_process {
 public:
  // With TLS, s3rver serves https with a fresh certificate for 127.0.0.1 (made
  // by the openssl command), found at cert_file(): self-signed, or with
  // PRIVATE_CA signed by a fresh private CA whose certificate is ca_file().
  explicit s3rver_process(const std::vector<std::string>& buckets = {"test-bucket"},
                          bool tls = false, bool private_ca = false)
      : tls_(tls) {
    const auto script = source_dir() / ".tools/node_modules/s3rver/bin/s3rver.js";
    if (!std::filesystem::exists(script))
      throw std::runtime_error("s3rver is not installed: run scripts/install-deps.sh (" +
                               script.string() + ")");
    // Node 20 needs the legacy provider for s3rver's MD5-based continuation tokens.
    std::vector<std::string> args{"node", "--openssl-legacy-provider", script.string(), "-d",
                                  (dir_.path() / "data").string()};
    for (const char* a :
         {"-a", "127.0.0.1", "-p", "0", "--service-endpoint", "localhost", "--silent"})
      args.push_back(a);
    if (tls && private_ca) {
      const auto key = (dir_.path() / "key.pem").string();
      make_ca_signed(key);
      for (const auto& a : {std::string("--key"), key, std::string("--cert"), cert_file().string()})
        args.push_back(a);
    } else if (tls) {
      const auto key = (dir_.path() / "key.pem").string();
      auto made = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                       "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                       "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                       "-keyout", key, "-out", cert_file().string()});
      if (made.exit_code != 0) throw std::runtime_error("openssl req failed: " + made.err);
      for (const auto& a : {std::string("--key"), key, std::string("--cert"), cert_file().string()})
        args.push_back(a);
    }
    for (const auto& b : buckets) {
      args.push_back("--configure-bucket");
      args.push_back(b);
    }
    process_.emplace(args, dir_.path() / "s3rver.log");
    port_ = std::stoi(process_->wait_for(std::regex(R"(listening on 127\.0\.0\.1:(\d+))"),
                                         std::chrono::seconds(20)));
  }

  int port() const noexcept { return port_; }
  std::string endpoint() const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }
  // The server's certificate (with TLS).
  std::filesystem::path cert_file() const { return dir_.path() / "cert.pem"; }
  // The private CA's certificate (with a private CA).
  std::filesystem::path ca_file() const { return dir_.path() / "ca.pem"; }
  std::string log_text() const { return process_->log_text(); }
  // The endpoint for virtual-host addressing.
  std::string vhost_endpoint() const { return "http://s3.localhost:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  // The environment /usr/bin/aws needs to talk to this server.
  std::vector<std::string> aws_env() const {
    return {"AWS_ACCESS_KEY_ID=S3RVER",
            "AWS_SECRET_ACCESS_KEY=S3RVER",
            "AWS_DEFAULT_REGION=us-east-1",
            "AWS_CONFIG_FILE=/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
            "HOME=" + dir_.path().string()};
  }

 private:
  // A CA (ca.pem, ca.key) and a certificate for 127.0.0.1 it signs (cert.pem, KEY).
  void make_ca_signed(const std::string& key) const {
    const auto d = dir_.path();
    const auto ca_key = (d / "ca.key").string(), csr = (d / "leaf.csr").string();
    const auto ext = d / "leaf.ext";
    std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                          "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                          "extendedKeyUsage=serverAuth\n";
    const std::vector<std::vector<std::string>> steps{
        {"/usr/bin/openssl",
         "req",
         "-x509",
         "-newkey",
         "ec",
         "-pkeyopt",
         "ec_paramgen_curve:prime256v1",
         "-nodes",
         "-days",
         "1",
         "-subj",
         "/CN=cloudlog test CA",
         "-addext",
         "basicConstraints=critical,CA:TRUE",
         "-addext",
         "keyUsage=critical,keyCertSign,cRLSign",
         "-keyout",
         ca_key,
         "-out",
         ca_file().string()},
        {"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out",
         csr},
        {"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA", ca_file().string(), "-CAkey",
         ca_key, "-CAcreateserial", "-days", "1", "-extfile", ext.string(), "-out",
         cert_file().string()}};
    for (const auto& step : steps) {
      auto made = run(step);
      if (made.exit_code != 0) throw std::runtime_error("openssl failed: " + made.err);
    }
  }

  bool tls_ = false;
  temp_dir dir_;
  std::optional<background_process> process_;
  int port_ = 0;
};

// Our simple_store_server on 127.0.0.1, a free port, serving a fresh directory.
class simple_server_process {
 public:
  explicit simple_server_process(std::vector<std::string> extra_args = {}) {
    std::filesystem::create_directory(dir_.path() / "data");
    std::vector<std::string> args{tool("simple_store_server").string(), "--dir",
                                  (dir_.path() / "data").string(), "--port", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_.emplace(args, dir_.path() / "server.log");
    port_ = std::stoi(process_->wait_for(std::regex(R"(listening on 127\.0\.0\.1:(\d+))"),
                                         std::chrono::seconds(10)));
  }

  int port() const noexcept { return port_; }
  // The directory it serves.
  std::filesystem::path data() const { return dir_.path() / "data"; }
  std::string log_text() const { return process_->log_text(); }
  void stop() { process_->stop(); }
  // Stops and continues the server (SIGSTOP / SIGCONT): while it is paused the
  // kernel still accepts connections into its listen queue, but nothing is answered.
  void pause() { ::kill(process_->pid(), SIGSTOP); }
  void resume() { ::kill(process_->pid(), SIGCONT); }

 private:
  temp_dir dir_;
  std::optional<background_process> process_;
  int port_ = 0;
};

// A raw simple-protocol connection to 127.0.0.1:PORT, to check the bytes on the
// wire. Throws when it cannot connect or send.
class raw_connection {
 public:
  explicit raw_connection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  ~raw_connection() { ::close(fd_); }
  void send(std::string_view s) {
    if (!simple_protocol::send_all(fd_, s.data(), s.size()))
      throw std::runtime_error("send failed");
  }
  // Everything the server sends until N bytes arrived or it stops sending (5 s).
  std::string receive(std::size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
      const auto r = ::recv(fd_, buf, sizeof buf, 0);
      if (r <= 0) break;
      out.append(buf, static_cast<std::size_t>(r));
    }
    return out;
  }
  void close_write() { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_;
};

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_SUPPORT_SERVERS_HPP
