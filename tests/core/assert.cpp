// SPDX-License-Identifier: BSL-1.0
// CLOUDLOG_ASSERT: a true condition costs nothing; a false one aborts the process
// with the condition and its place on stderr, in release builds too.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "cloudlog/assert.hpp"

namespace {
int evaluated = 0;
bool count_true() {
  ++evaluated;
  return true;
}
}  // namespace

TEST_CASE("CLOUDLOG_ASSERT of a true condition evaluates it once and goes on", "[core][assert]") {
  evaluated = 0;
  CLOUDLOG_ASSERT(count_true());
  CHECK(evaluated == 1);
}

TEST_CASE("CLOUDLOG_ASSERT of a false condition aborts, naming the condition and its place",
          "[core][assert]") {
  int err[2];
  REQUIRE(::pipe(err) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(err[1], 2);
    std::signal(SIGABRT, SIG_DFL);  // not Catch2's handler: the parent judges the abort
    const int two = 2;
    CLOUDLOG_ASSERT(two == 3);
    std::_Exit(0);  // not reached when the assertion works
  }
  ::close(err[1]);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  ::close(err[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(text.find("cloudlog assertion failed: two == 3") != std::string::npos);
  CHECK(text.find("assert.cpp:") != std::string::npos);
}
