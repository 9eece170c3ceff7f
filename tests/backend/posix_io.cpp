// SPDX-License-Identifier: BSL-1.0
// posix_io: interrupted calls are retried, partial transfers repeated, end of file
// and failures reported as the contract says.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cloudlog/backend/posix_io.hpp"

using namespace cloudlog;

namespace {

bytes pattern(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>((i * 131 + 7) & 0xff);
  return b;
}

struct temp_file {
  std::filesystem::path path;
  int fd;
  temp_file() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "posix_io-XXXXXX").string();
    fd = ::mkstemp(tmpl.data());
    path = tmpl;
  }
  ~temp_file() {
    ::close(fd);
    std::filesystem::remove(path);
  }
};

extern "C" void on_usr1(int) {}

}  // namespace

TEST_CASE("retry_eintr calls again while the answer is -1 with EINTR and keeps errno",
          "[backend][posix_io]") {
  int calls = 0;
  const auto r = posix::retry_eintr([&] {
    ++calls;
    errno = calls < 4 ? EINTR : EAGAIN;
    return calls < 5 ? -1 : 0;
  });
  CHECK(r == -1);
  CHECK(calls == 4);
  CHECK(errno == EAGAIN);  // the caller can still tell a timeout
}

TEST_CASE("transfer_all repeats partial steps, retries EINTR and stops at a 0 answer",
          "[backend][posix_io]") {
  std::vector<std::size_t> asked;
  int interrupts = 0;
  // Moves at most 3 bytes a call; every other call is interrupted.
  auto step = [&](std::size_t done) -> long {
    if (++interrupts % 2 == 0) {
      errno = EINTR;
      return -1;
    }
    asked.push_back(done);
    return static_cast<long>(std::min<std::size_t>(3, 10 - done));
  };
  auto moved = posix::transfer_all(10, step);
  REQUIRE(moved);
  CHECK(*moved == 10);
  CHECK(asked == std::vector<std::size_t>{0, 3, 6, 9});

  auto short_read =
      posix::transfer_all(10, [](std::size_t done) -> long { return done < 4 ? 4 : 0; });
  REQUIRE(short_read);
  CHECK(*short_read == 4);

  auto failed = posix::transfer_all(10, [](std::size_t) -> long {
    errno = EIO;
    return -1;
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error() == std::errc::io_error);
  CHECK(failed.error().category() == std::generic_category());
}

TEST_CASE(
    "write_all and pread_all move whole buffers through a real file; read_all stops at "
    "end of file",
    "[backend][posix_io]") {
  temp_file f;
  REQUIRE(f.fd >= 0);
  const auto data = pattern(300000);
  auto put = posix::write_all(f.fd, data);
  REQUIRE(put);
  CHECK(*put == data.size());

  bytes middle(1000);
  auto got = posix::pread_all(f.fd, middle, 123456);
  REQUIRE(got);
  CHECK(*got == middle.size());
  CHECK(std::equal(middle.begin(), middle.end(), data.begin() + 123456));

  bytes past(500);
  auto tail = posix::pread_all(f.fd, past, data.size() - 200);
  REQUIRE(tail);
  CHECK(*tail == 200);  // end of file

  auto over = posix::pwrite_all(f.fd, byte_view(data).first(10), 5);
  REQUIRE(over);
  CHECK(*over == 10);
  REQUIRE(::lseek(f.fd, 0, SEEK_SET) == 0);
  bytes all(data.size() + 50);
  auto whole = posix::read_all(f.fd, all);
  REQUIRE(whole);
  CHECK(*whole == data.size());
  CHECK(std::equal(data.begin(), data.begin() + 5, all.begin()));
  CHECK(std::equal(data.begin(), data.begin() + 10, all.begin() + 5));
  CHECK(std::equal(data.begin() + 15, data.end(), all.begin() + 15));
}

TEST_CASE("a failing descriptor is reported as its errno", "[backend][posix_io]") {
  bytes b(10);
  auto r = posix::read_all(-1, b);
  REQUIRE_FALSE(r);
  CHECK(r.error() == std::errc::bad_file_descriptor);
  auto w = posix::write_all(-1, b);
  REQUIRE_FALSE(w);
  CHECK(w.error() == std::errc::bad_file_descriptor);
}

TEST_CASE("read_all and send_all survive real signals that interrupt blocked calls",
          "[backend][posix_io]") {
  // A handler installed without SA_RESTART: a blocked read(2) or send(2) that a
  // signal interrupts fails with EINTR, which the helpers must retry.
  struct sigaction sa = {}, old = {};
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  REQUIRE(::sigaction(SIGUSR1, &sa, &old) == 0);

  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  const auto data = pattern(1 << 20);  // more than a socket buffer: send blocks too
  const pthread_t reader_thread = ::pthread_self();
  std::atomic<bool> done{false};
  std::atomic<int> signals{0};
  result<std::size_t> sent = 0;

  std::thread sender([&] {
    const pthread_t me = ::pthread_self();
    std::thread pester([&] {
      while (!done) {
        ::pthread_kill(reader_thread, SIGUSR1);
        ::pthread_kill(me, SIGUSR1);
        ++signals;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the reader blocks first
    sent = posix::send_all(sv[0], data);  // checked below: Catch2 asserts on one thread only
    ::shutdown(sv[0], SHUT_WR);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    done = true;
    pester.join();
  });

  bytes got(data.size() + 1);
  auto r = posix::read_all(sv[1], got);
  done = true;
  sender.join();
  ::close(sv[0]);
  ::close(sv[1]);
  ::sigaction(SIGUSR1, &old, nullptr);

  CHECK(signals > 0);
  REQUIRE(sent);
  CHECK(*sent == data.size());
  REQUIRE(r);
  CHECK(*r == data.size());  // then end of stream
  CHECK(std::equal(data.begin(), data.end(), got.begin()));
}
