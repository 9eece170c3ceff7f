// SPDX-License-Identifier: BSL-1.0
// The cleaner's lease: one object in the store saying which cleaner may clean it,
// until when (docs/tools.md, "The cleaner's lease").
#ifndef CLOUDLOG_CLEANER_LEASE_HPP
#define CLOUDLOG_CLEANER_LEASE_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <unistd.h>

#include "cloudlog/backend/conditional_store.hpp"
#include "cloudlog/backend/segment_store.hpp"
#include "cloudlog/result.hpp"
#include "cloudlog/segment_name.hpp"

namespace cloudlog {

// Where the lease lives by default: log-99999999-00000000. Stores hold only segment
// names, so the lease takes one in a log directory no format lists (BlueSky lists
// directories 0 and 1 only).
inline constexpr segment_id default_lease_segment{max_segment_number, 0};

// The content of a lease object: who holds it and until when.
struct lease_record {
  std::string holder;           // the holder's identity (no newline)
  std::int64_t expires_ms = 0;  // wall-clock milliseconds since the Unix epoch
  friend bool operator==(const lease_record&, const lease_record&) = default;
};

// The object's bytes: the text "cloudlog-lease 1\nholder HOLDER\nexpires MS\n"
// (docs/tools.md). Text, so that `aws s3 cp s3://.../log-99999999-00000000 -`
// shows who holds a store.
// REQUIRES: r.holder holds no newline; r.expires_ms >= 0.
inline bytes encode_lease(const lease_record& r) {
  const auto text =
      "cloudlog-lease 1\nholder " + r.holder + "\nexpires " + std::to_string(r.expires_ms) + "\n";
  const auto b = as_bytes(text);
  return bytes(b.begin(), b.end());
}

// Parses what encode_lease writes.
// Fails: errc::corrupt_payload for anything else.
inline result<lease_record> decode_lease(byte_view data) {
  const std::string_view text = as_chars(data);
  constexpr std::string_view magic = "cloudlog-lease 1\nholder ";
  if (text.substr(0, magic.size()) != magic) return fail(errc::corrupt_payload);
  const auto nl = text.find('\n', magic.size());
  if (nl == text.npos) return fail(errc::corrupt_payload);
  lease_record r;
  r.holder = std::string(text.substr(magic.size(), nl - magic.size()));
  auto rest = text.substr(nl + 1);
  constexpr std::string_view exp = "expires ";
  if (rest.substr(0, exp.size()) != exp || rest.size() < exp.size() + 2 || rest.back() != '\n')
    return fail(errc::corrupt_payload);
  rest = rest.substr(exp.size(), rest.size() - exp.size() - 1);
  std::int64_t v = 0;
  for (char c : rest) {
    if (c < '0' || c > '9' || v > (INT64_MAX - (c - '0')) / 10) return fail(errc::corrupt_payload);
    v = v * 10 + (c - '0');
  }
  r.expires_ms = v;
  return r;
}

// The time source of leases and daemons: injectable so that tests run in no time.
struct lease_clock {
  // Wall-clock milliseconds since the Unix epoch (comparable between machines).
  std::function<std::int64_t()> now_ms;
  // Blocks for the given time.
  std::function<void(std::chrono::milliseconds)> sleep;

  // The system clock and std::this_thread::sleep_for.
  static lease_clock system() {
    return {[] {
              return std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                  .count();
            },
            [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }};
  }
};

// How a lease is taken.
struct lease_options {
  // The lease object's segment id.
  segment_id where = default_lease_segment;
  // How long a lease lasts unless renewed; a crashed holder blocks others this long.
  std::chrono::milliseconds ttl{std::chrono::seconds(60)};
  // The wait between writing the lease and reading it back, on stores without
  // conditional writes (see store_lease); must be positive there.
  std::chrono::milliseconds settle{std::chrono::seconds(1)};
  // This holder's identity; empty: "HOSTNAME:PID:RANDOM" (unique_holder()).
  std::string holder;
};

// An identity unlikely to be anyone else's: "HOSTNAME:PID:RANDOM".
inline std::string unique_holder() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  const auto r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  std::string h = std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(r);
  for (auto& c : h)
    if (c == '\n') c = '_';
  return h;
}

// A held lease on STORE. Acquire with store_lease::acquire; keep it with renew()
// at least every ttl (renew_if_due() renews once a third of the ttl is left);
// give it up with release(), which the destructor also does (errors ignored).
// On a conditional_store whose conditional_writes() holds (file_store; S3 with
// If-None-Match / If-Match) acquisition is one read and one conditional create or
// replace: of two cleaners exactly one wins, at once, with no settle wait; renewal
// and release are conditional on the version written last, so a lease taken over
// is never overwritten or deleted by its former holder. On other stores
// (s3rver, the simple store) acquisition is write, wait `settle`, read back: two
// cleaners starting within the settle time of each other both see the later
// write and only its writer proceeds. The race that remains there: a write that
// takes longer than `settle` to become visible (a stalled request) can let both
// believe they hold it. Every refusal after our own write removes that write
// when it is still ours (or cannot be read back). Not thread-safe.
template <segment_store Store>
class store_lease {
 public:
  // Takes the lease at OPTIONS.where: free (no object, an unreadable one, or an
  // expired one) or already ours. CURRENT, when given, receives the record found
  // (a refusal's holder and expiry, for the message).
  // Fails: errc::lease_held if another holder's unexpired lease is there, or if
  // another holder's write won the race; errc::invalid_argument for a zero settle
  // time on a store without conditional writes (nothing would guard the race);
  // the store's errors.
  static result<store_lease> acquire(Store& store, lease_options options, lease_clock clock,
                                     lease_record* current = nullptr) {
    if (options.holder.empty()) options.holder = unique_holder();
    auto name = segment_name(options.where);
    if (!name) return fail(name.error());
    store_lease l(store, std::move(options), std::move(clock), std::move(*name));
    if constexpr (conditional_store<Store>) {
      auto conditional = store.conditional_writes();
      if (!conditional) return fail(conditional.error());
      if (*conditional) {
        if (auto r = l.acquire_conditional(current); !r) return fail(r.error());
        return l;
      }
    }
    if (l.options_.settle.count() <= 0) return fail(errc::invalid_argument);
    if (auto r = l.acquire_settled(current); !r) return fail(r.error());
    return l;
  }

  store_lease(store_lease&& o) noexcept
      : store_(o.store_),
        options_(std::move(o.options_)),
        clock_(std::move(o.clock_)),
        name_(std::move(o.name_)),
        version_(std::move(o.version_)),
        expires_ms_(o.expires_ms_),
        held_(std::exchange(o.held_, false)) {}
  store_lease& operator=(store_lease&&) = delete;
  store_lease(const store_lease&) = delete;
  store_lease& operator=(const store_lease&) = delete;
  ~store_lease() {
    if (held_) (void)release();
  }

  // Extends the lease to now + ttl, after checking it is still ours (with
  // conditional writes: a replace conditional on our last version).
  // Fails: errc::lease_held if another holder has taken it (ours had expired;
  // the lease is then no longer held); the store's errors (still held until expiry).
  result<void> renew() {
    if (!held_) return fail(errc::lease_held);
    if (version_) {
      auto w = write_conditional(&*version_);
      if (!w) return fail(w.error());
      if (!*w) {
        held_ = false;
        return fail(errc::lease_held);
      }
      return {};
    }
    auto found = read_current();
    if (!found) return fail(found.error());
    if (found->has_value() && (*found)->holder != options_.holder) {
      held_ = false;
      return fail(errc::lease_held);
    }
    return write_own();
  }

  // Renews when a third of the ttl or less is left; otherwise does nothing.
  // Fails: as renew.
  result<void> renew_if_due() {
    if (!held_) return fail(errc::lease_held);
    if (clock_.now_ms() < expires_ms_ - options_.ttl.count() / 3) return {};
    return renew();
  }

  // Gives the lease up: deletes the object if it is still ours. Idempotent.
  // Fails: the store's errors (the lease then lapses at its expiry).
  result<void> release() {
    if (!held_) return {};
    held_ = false;
    if (version_) {
      if constexpr (conditional_store<Store>) {
        auto r = store_->remove_if(name_, *version_);
        if (!r) return fail(r.error());
      }
      return {};
    }
    auto found = read_current();
    if (!found) return fail(found.error());
    if (!found->has_value() || (*found)->holder != options_.holder) return {};
    return store_->remove(name_);
  }

  // Whether this object still believes it holds the lease.
  bool held() const noexcept { return held_; }
  // Whether it was taken with conditional writes (no settle wait).
  bool conditional() const noexcept { return version_.has_value(); }
  // When the lease ends unless renewed (wall-clock ms since the epoch).
  std::int64_t expires_ms() const noexcept { return expires_ms_; }
  const std::string& holder() const noexcept { return options_.holder; }
  // The lease object's name.
  const std::string& object_name() const noexcept { return name_; }

 private:
  store_lease(Store& store, lease_options options, lease_clock clock, std::string name)
      : store_(&store),
        options_(std::move(options)),
        clock_(std::move(clock)),
        name_(std::move(name)) {}

  // Write, settle, read back; on any refusal or failure after the write, our
  // write is withdrawn.
  result<void> acquire_settled(lease_record* current) {
    auto found = read_current();
    if (!found) return fail(found.error());
    if (current && found->has_value()) *current = **found;
    if (found->has_value() && (*found)->holder != options_.holder &&
        (*found)->expires_ms > clock_.now_ms())
      return fail(errc::lease_held);
    if (auto w = write_own(); !w) {
      withdraw();
      return fail(w.error());
    }
    clock_.sleep(options_.settle);
    auto back = read_current();
    if (!back) {
      withdraw();
      return fail(back.error());
    }
    if (!back->has_value() || (*back)->holder != options_.holder) {
      if (current) *current = back->has_value() ? **back : lease_record{};
      withdraw();
      return fail(errc::lease_held);
    }
    return {};
  }

  // Read the version, then create or replace conditionally: no settle wait.
  result<void> acquire_conditional(lease_record* current) {
    if constexpr (conditional_store<Store>) {
      auto found = store_->read_versioned(name_);
      if (!found && found.error() != make_error_code(errc::not_found)) return fail(found.error());
      if (found) {
        auto r = decode_lease(found->data);
        if (r && current) *current = *r;
        if (r && r->holder != options_.holder && r->expires_ms > clock_.now_ms())
          return fail(errc::lease_held);
      }
      auto w = write_conditional(found ? &found->version : nullptr);
      if (!w) return fail(w.error());
      if (*w) return {};
      // Lost the race: someone wrote between our read and our write.
      if (auto now = read_current(); now && now->has_value() && current) *current = **now;
      return fail(errc::lease_held);
    }
    return fail(errc::invalid_argument);
  }

  // Writes our record if the object is still at VERSION (null: still absent).
  // True if written (version_ and expiry updated; held).
  result<bool> write_conditional(const std::string* version) {
    if constexpr (conditional_store<Store>) {
      const auto expires = clock_.now_ms() + options_.ttl.count();
      const auto data = encode_lease({options_.holder, expires});
      auto w = version ? store_->replace_if(name_, data, *version)
                       : store_->create_if_absent(name_, data);
      if (!w) return fail(w.error());
      if (!*w) return false;
      version_ = std::move(**w);
      expires_ms_ = expires;
      held_ = true;
      return true;
    }
    return fail(errc::invalid_argument);
  }

  // Removes our own write after a refusal: if the object still holds our record,
  // or cannot be read (our write is the last we know of). Errors are ignored: the
  // record then lapses at its expiry.
  void withdraw() {
    held_ = false;
    auto found = read_current();
    if (!found || (found->has_value() && (*found)->holder == options_.holder))
      (void)store_->remove(name_);
  }

  // The record in the store, or nothing when there is none or it does not parse
  // (an unreadable lease protects nothing, so it counts as free). One optional, not
  // a {record, found} pair: GCC 12 -O2 with ASan+UBSan took the pair's record for
  // maybe-uninitialized (-Werror).
  result<std::optional<lease_record>> read_current() {
    auto data = store_->read(name_, 0, whole_object);
    if (!data) {
      if (data.error() == make_error_code(errc::not_found)) return std::optional<lease_record>{};
      return fail(data.error());
    }
    auto r = decode_lease(*data);
    if (!r) return std::optional<lease_record>{};
    return std::optional<lease_record>(std::move(*r));
  }

  result<void> write_own() {
    const auto expires = clock_.now_ms() + options_.ttl.count();
    auto w = store_->write(name_, encode_lease({options_.holder, expires}));
    if (!w) return fail(w.error());
    expires_ms_ = expires;
    held_ = true;
    return {};
  }

  Store* store_;
  lease_options options_;
  lease_clock clock_;
  std::string name_;
  std::optional<std::string> version_;  // with conditional writes: our last write's version
  std::int64_t expires_ms_ = 0;
  bool held_ = false;
};

}  // namespace cloudlog

#endif  // CLOUDLOG_CLEANER_LEASE_HPP
