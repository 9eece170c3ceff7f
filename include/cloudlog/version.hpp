// SPDX-License-Identifier: BSL-1.0
// cloudlog's version: the project's version in CMakeLists.txt (checked there at
// configure time), as macros for the preprocessor and a string for the tools'
// --version.
#ifndef CLOUDLOG_VERSION_HPP
#define CLOUDLOG_VERSION_HPP

#define CLOUDLOG_VERSION_MAJOR 0
#define CLOUDLOG_VERSION_MINOR 1
#define CLOUDLOG_VERSION_PATCH 0
// MAJOR * 10000 + MINOR * 100 + PATCH, for #if comparisons.
#define CLOUDLOG_VERSION \
  (CLOUDLOG_VERSION_MAJOR * 10000 + CLOUDLOG_VERSION_MINOR * 100 + CLOUDLOG_VERSION_PATCH)

namespace cloudlog {

// "MAJOR.MINOR.PATCH".
inline constexpr const char* version_string = "0.1.0";

}  // namespace cloudlog

#endif  // CLOUDLOG_VERSION_HPP
