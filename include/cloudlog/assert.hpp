// SPDX-License-Identifier: BSL-1.0
// CLOUDLOG_ASSERT: broken preconditions are bugs, not error codes.
#ifndef CLOUDLOG_ASSERT_HPP
#define CLOUDLOG_ASSERT_HPP

#include <cstdio>
#include <cstdlib>

// Aborts with the failed condition and its place when COND is false. Always
// on: a violated precondition in storage code must never continue silently.
#define CLOUDLOG_ASSERT(cond)                                                                    \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "%s:%d: cloudlog assertion failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)

#endif  // CLOUDLOG_ASSERT_HPP
