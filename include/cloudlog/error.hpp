// cloudlog error codes: one enum for every failure the library reports, and its category.
#ifndef CLOUDLOG_ERROR_HPP
#define CLOUDLOG_ERROR_HPP

#include <string>
#include <system_error>
#include <type_traits>

namespace cloudlog {

// Every failure a cloudlog function reports. Values are stable (tools map them to
// exit codes and tests assert on them); new values are only ever appended.
enum class errc {
  // --- item framing (log layer) ---
  short_header = 1,        // fewer bytes left than one item header
  bad_magic,               // the header's magic is not one the layout accepts
  section_overrun,         // a section runs past the end of the segment or range
  bad_link_id_size,        // size2 is not a multiple of the link-id size (16)
  bad_link_location_size,  // size3 is not 16 x the number of non-null link ids
  size_overflow,           // the section sizes overflow when summed
  bad_segment_name,        // a name that is not log-DDDDDDDD-SSSSSSSS
  // --- stores ---
  invalid_name,    // an object name holding '/', "..", NUL, or not a segment name
  not_found,       // no such object
  io_error,        // the operating system or the remote end failed an operation
  out_of_range,    // a read starting past the end of an object
  injected_fault,  // a fault-injecting wrapper failed the call on purpose
  // --- crypto ---
  bad_tag,         // an item's authentication tag does not verify
  bad_key,         // a key that cannot be used (empty, unreadable)
  crypto_failure,  // the crypto library itself failed
  // --- formats ---
  corrupt_payload,  // a payload that does not parse as its type says
  no_checkpoint,    // no root (checkpoint) to start from
  dangling_link,    // a link names an item that is not where it says
  unexpected_type,  // a link leads to an item of the wrong type
  // --- remote backends ---
  unreachable,      // the endpoint cannot be connected to
  timeout,          // the endpoint did not answer in time
  access_denied,    // the endpoint refused the credentials' access
  bad_credentials,  // missing or rejected credentials
  no_such_bucket,   // the bucket does not exist
  protocol_error,   // the endpoint answered something that breaks its protocol
  throttled,        // the endpoint asked us to slow down (503 SlowDown)
  // --- cleaner ---
  waiting_for_writer,  // the writer has not yet adopted the previous cleaner output
  lease_held,          // another cleaner holds the store's lease
  interrupted,         // stopped on request between segments
  budget_exhausted,    // a per-run read or write budget was reached
  invalid_argument,    // a caller passed a value outside the documented domain
  // --- file-system model (formats/bluesky) ---
  no_such_file,     // no file, directory or symlink at that path
  not_a_directory,  // a path component, or the target of a directory operation, is not a directory
  is_a_directory,   // a file operation on a directory
  already_exists,   // the name is already taken in its directory
  not_empty,        // removing a directory that still has entries
  not_a_symlink,    // readlink of something that is not a symlink
  // --- remote backends (appended) ---
  tls_failure,  // the TLS handshake failed or the peer's certificate did not verify
  // --- formats (appended) ---
  damaged_log,  // the log's newest segments are damaged: an older root would lose data
};

namespace detail {
class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cloudlog"; }
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
      case errc::waiting_for_writer:
        return "waiting for the writer to merge earlier cleaner output";
      case errc::lease_held:
        return "another cleaner holds the store's lease";
      case errc::interrupted:
        return "interrupted";
      case errc::budget_exhausted:
        return "budget exhausted";
      case errc::invalid_argument:
        return "invalid argument";
      case errc::no_such_file:
        return "no such file or directory";
      case errc::not_a_directory:
        return "not a directory";
      case errc::is_a_directory:
        return "is a directory";
      case errc::already_exists:
        return "already exists";
      case errc::not_empty:
        return "directory not empty";
      case errc::not_a_symlink:
        return "not a symbolic link";
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

#endif  // CLOUDLOG_ERROR_HPP
