// SPDX-License-Identifier: BSL-1.0
// cloudlog error codes: one enum for every failure the library reports, and its
// category.
#ifndef CLOUDLOG_ERROR_HPP
#define CLOUDLOG_ERROR_HPP

#include <optional>
#include <string>
#include <system_error>
#include <type_traits>

namespace cloudlog {

// Every failure a cloudlog function reports. Values are stable (tests assert on
// them; tools map their groups, below, to exit codes): new values are only ever
// appended, and a value no longer used is not reused. File-system failures of
// the file-system models are std::errc values (no_such_file_or_directory, ...).
enum class errc {
  // --- item framing (log layer) ---
  short_header = 1,            // fewer bytes left than one item header
  bad_magic = 2,               // the header's magic is not one the layout accepts
  section_overrun = 3,         // a section runs past the end of the segment or range
  bad_link_id_size = 4,        // size2 is not a multiple of the link-id size (16)
  bad_link_location_size = 5,  // size3 is not 16 x the number of non-null link ids
  size_overflow = 6,           // the section sizes overflow when summed
  bad_segment_name = 7,        // a name that is not log-DDDDDDDD-SSSSSSSS
  // --- stores ---
  invalid_name = 8,     // an object name holding '/', "..", NUL, or not a segment name
  not_found = 9,        // no such object
  io_error = 10,        // the operating system or the remote end failed an operation
  out_of_range = 11,    // a read starting past the end of an object
  injected_fault = 12,  // a fault-injecting wrapper failed the call on purpose
  // --- crypto ---
  bad_tag = 13,         // an item's authentication tag does not verify
  bad_key = 14,         // a key that cannot be used (empty, unreadable)
  crypto_failure = 15,  // the crypto library itself failed
  // --- formats ---
  corrupt_payload = 16,  // a payload that does not parse as its type says
  no_checkpoint = 17,    // no root (checkpoint) to start from
  dangling_link = 18,    // a link names an item that is not where it says
  unexpected_type = 19,  // a link leads to an item of the wrong type
  // --- remote backends ---
  unreachable = 20,      // the endpoint cannot be connected to
  timeout = 21,          // the endpoint did not answer in time
  access_denied = 22,    // the endpoint refused the credentials' access
  bad_credentials = 23,  // missing or rejected credentials
  no_such_bucket = 24,   // the bucket does not exist
  protocol_error = 25,   // the endpoint answered something that breaks its protocol
  throttled = 26,        // the endpoint asked us to slow down (503 SlowDown)
  // --- cleaner ---
  lease_held = 28,        // another cleaner holds the store's lease
  budget_exhausted = 30,  // out of room: a simulated log is full and the policy chose nothing
  invalid_argument = 31,  // a caller passed a value outside the documented domain
  // Retired, never to be reused: 27, 29 (never returned), 32-37 (file-system
  // codes, now std::errc).
  // --- remote backends (appended) ---
  tls_failure = 38,  // the TLS handshake failed or the peer's certificate did not verify
  // --- formats (appended) ---
  damaged_log = 39,  // the log's newest segments are damaged: an older root would lose data
};

// Groups of errc values, for callers that react to a kind of failure rather
// than to one code: `ec == cloudlog::condition::corruption`. Tools map each
// group to an exit code once. A code is in at most one group; codes in none
// (not_found, io_error, no_checkpoint, ...) compare equal to no condition.
enum class condition {
  corruption = 1,  // stored bytes are damaged, or are not the item a link names
  unreachable,     // the store or its endpoint cannot be reached, or refuses access
  usage,           // a value outside the documented domain, or no usable key
};

// The group of E, if it has one.
constexpr std::optional<condition> condition_of(errc e) noexcept {
  switch (e) {
    case errc::short_header:
    case errc::bad_magic:
    case errc::section_overrun:
    case errc::bad_link_id_size:
    case errc::bad_link_location_size:
    case errc::size_overflow:
    case errc::bad_tag:
    case errc::corrupt_payload:
    case errc::dangling_link:
    case errc::unexpected_type:
    case errc::damaged_log:
      return condition::corruption;
    case errc::unreachable:
    case errc::timeout:
    case errc::access_denied:
    case errc::bad_credentials:
    case errc::no_such_bucket:
    case errc::tls_failure:
      return condition::unreachable;
    case errc::invalid_argument:
    case errc::bad_key:
      return condition::usage;
    default:
      return std::nullopt;
  }
}

namespace detail {
class condition_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cloudlog condition"; }
  std::string message(int ev) const override {
    switch (static_cast<condition>(ev)) {
      case condition::corruption:
        return "corruption";
      case condition::unreachable:
        return "store unreachable";
      case condition::usage:
        return "bad usage";
    }
    return "unknown cloudlog condition";
  }
};
}  // namespace detail

// The category of cloudlog::condition values. Thread-safe; lives for the
// program.
inline const std::error_category& condition_category() noexcept {
  static const detail::condition_category_impl category;
  return category;
}

// Makes condition usable wherever a std::error_condition is expected.
inline std::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

namespace detail {
class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cloudlog"; }
  std::error_condition default_error_condition(int ev) const noexcept override {
    if (auto c = condition_of(static_cast<errc>(ev))) return make_error_condition(*c);
    return {ev, *this};
  }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::short_header:
        return "item header truncated";
      case errc::bad_magic:
        return "bad item magic";
      case errc::section_overrun:
        return "item section runs past the end";
      case errc::bad_link_id_size:
        return "link-id section size is not a multiple of 16";
      case errc::bad_link_location_size:
        return "link-location section size does not match the non-null links";
      case errc::size_overflow:
        return "item section sizes overflow";
      case errc::bad_segment_name:
        return "not a segment name (log-DDDDDDDD-SSSSSSSS)";
      case errc::invalid_name:
        return "invalid object name";
      case errc::not_found:
        return "no such object";
      case errc::io_error:
        return "I/O error";
      case errc::out_of_range:
        return "read past the end of the object";
      case errc::injected_fault:
        return "injected fault";
      case errc::bad_tag:
        return "authentication tag does not verify (wrong key or tampered item)";
      case errc::bad_key:
        return "unusable key";
      case errc::crypto_failure:
        return "crypto library failure";
      case errc::corrupt_payload:
        return "corrupt payload";
      case errc::no_checkpoint:
        return "no checkpoint found";
      case errc::dangling_link:
        return "link does not lead to the item it names";
      case errc::unexpected_type:
        return "link leads to an item of an unexpected type";
      case errc::unreachable:
        return "endpoint unreachable";
      case errc::timeout:
        return "endpoint timed out";
      case errc::access_denied:
        return "access denied";
      case errc::bad_credentials:
        return "missing or rejected credentials";
      case errc::no_such_bucket:
        return "no such bucket";
      case errc::protocol_error:
        return "protocol error";
      case errc::throttled:
        return "throttled by the endpoint";
      case errc::budget_exhausted:
        return "budget exhausted";
      case errc::lease_held:
        return "another cleaner holds the store's lease";
      case errc::invalid_argument:
        return "invalid argument";
      case errc::tls_failure:
        return "TLS failure (handshake or certificate verification)";
      case errc::damaged_log:
        return "the log is damaged after its last checkpoint";
    }
    return "unknown cloudlog error";
  }
};
}  // namespace detail

// The category of cloudlog::errc values. Thread-safe; lives for the program.
inline const std::error_category& error_category() noexcept {
  static const detail::error_category_impl category;
  return category;
}

// Makes errc usable wherever a std::error_code is expected.
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace cloudlog

template <>
struct std::is_error_code_enum<cloudlog::errc> : std::true_type {};

template <>
struct std::is_error_condition_enum<cloudlog::condition> : std::true_type {};

#endif  // CLOUDLOG_ERROR_HPP
