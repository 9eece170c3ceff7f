// SPDX-License-Identifier: BSL-1.0
// posix_io: the one place that retries POSIX calls interrupted by a signal (EINTR)
// and repeats partial reads and writes until a whole buffer has moved.
#ifndef CLOUDLOG_BACKEND_POSIX_IO_HPP
#define CLOUDLOG_BACKEND_POSIX_IO_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <type_traits>

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "cloudlog/bytes.hpp"
#include "cloudlog/result.hpp"

namespace cloudlog::posix {

// Calls OP() again for as long as it returns -1 with errno EINTR; returns its first
// other answer, with errno as OP left it (so a caller can still look at EAGAIN).
// OP answers as a POSIX call does: a non-negative value, or -1 with errno set.
template <class Op>
requires std::is_signed_v<std::invoke_result_t<Op&>>
auto retry_eintr(Op op) -> std::invoke_result_t<Op&> {
  for (;;) {
    const auto r = op();
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

// Moves N bytes by calling STEP(done) for the rest after the DONE bytes already
// moved; STEP answers as read(2)/write(2) do: the bytes moved (1..rest), 0, or -1
// with errno set. EINTR is retried; a 0 answer ends the transfer (end of file, or
// a write that moved nothing).
// Returns the bytes moved: N, or fewer when STEP answered 0. Fails: the
// std::generic_category() code of the errno STEP failed with.
template <class Step>
requires std::is_signed_v<std::invoke_result_t<Step&, std::size_t>> result<std::size_t>
transfer_all(std::size_t n, Step step) {
  std::size_t done = 0;
  while (done < n) {
    const auto r = retry_eintr([&] { return step(done); });
    if (r < 0) return fail(std::error_code(errno, std::generic_category()));
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

// Reads OUT.size() bytes from FD at its file position (fewer at end of file).
// Returns and fails as transfer_all.
inline result<std::size_t> read_all(int fd, mutable_byte_view out) {
  return transfer_all(out.size(), [&](std::size_t done) {
    return ::read(fd, out.data() + done, out.size() - done);
  });
}

// Reads OUT.size() bytes of FD at OFFSET (fewer at end of file); the file position
// is unchanged. Returns and fails as transfer_all.
inline result<std::size_t> pread_all(int fd, mutable_byte_view out, std::uint64_t offset) {
  return transfer_all(out.size(), [&](std::size_t done) {
    return ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
  });
}

// Writes all of DATA to FD at its file position. Returns and fails as transfer_all
// (fewer than DATA.size() bytes only if write(2) moved nothing).
inline result<std::size_t> write_all(int fd, byte_view data) {
  return transfer_all(data.size(), [&](std::size_t done) {
    return ::write(fd, data.data() + done, data.size() - done);
  });
}

// Writes all of DATA to FD at OFFSET; the file position is unchanged. Returns and
// fails as write_all.
inline result<std::size_t> pwrite_all(int fd, byte_view data, std::uint64_t offset) {
  return transfer_all(data.size(), [&](std::size_t done) {
    return ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
  });
}

// Sends all of DATA on socket FD, without SIGPIPE when the peer has gone
// (MSG_NOSIGNAL). Returns and fails as write_all (a send timeout is a failure:
// std::errc::resource_unavailable_try_again).
inline result<std::size_t> send_all(int fd, byte_view data) {
  return transfer_all(data.size(), [&](std::size_t done) {
    return ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
  });
}

}  // namespace cloudlog::posix

#endif  // CLOUDLOG_BACKEND_POSIX_IO_HPP
