// SPDX-License-Identifier: BSL-1.0
// Findings of the fuzz targets (docs/reliability.md), one case each, with the
// input libFuzzer saved (tests/regress/fuzz/<target>/crash-<sha1>).
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "cloudlog/backend/detail/xml.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/backend/simple_protocol.hpp"
#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/cleaner/lease.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/root.hpp"
#include "cloudlog/policy/policies.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;

namespace {

bytes finding(const char* target, const char* name) {
  return test::read_file(std::filesystem::path(CLOUDLOG_SOURCE_DIR) / "tests" / "regress" / "fuzz" /
                         target / name);
}

// The lines a server-side socket_reader hands out for SENT (until it gives up).
std::vector<std::string> lines_read(std::string_view sent) {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  REQUIRE(simple_protocol::send_all(fds[0], sent.data(), sent.size()));
  ::shutdown(fds[0], SHUT_WR);
  simple_protocol::socket_reader in(fds[1]);
  std::vector<std::string> out;
  while (auto l = in.line()) out.push_back(*l);
  ::close(fds[0]);
  ::close(fds[1]);
  return out;
}

}  // namespace

TEST_CASE("a lease expiring at INT64_MAX milliseconds reads back (lease_fuzz)",
          "[regress][fuzz][lease]") {
  // The input's first 8 bytes, shifted right by one, are the expiry: INT64_MAX.
  const auto in = finding("lease", "crash-4c15c8affbb83f8493f9641504ce34c0136eba61");
  REQUIRE(in.size() == 14);
  const lease_record r{"cloudl", INT64_MAX};
  auto back = decode_lease(encode_lease(r));
  REQUIRE(back);
  CHECK(*back == r);
  // Every value up to INT64_MAX, none past it.
  for (std::int64_t v : {INT64_MAX - 1, INT64_MAX - 7, INT64_MAX - 8, INT64_MAX / 10 * 10})
    CHECK(decode_lease(encode_lease({"h", v})).value().expires_ms == v);
  CHECK(
      decode_lease(as_bytes("cloudlog-lease 1\nholder h\nexpires 9223372036854775808\n")).error() ==
      make_error_code(errc::corrupt_payload));
  CHECK(decode_lease(as_bytes("cloudlog-lease 1\nholder h\nexpires 99999999999999999999\n"))
            .error() == make_error_code(errc::corrupt_payload));
}

TEST_CASE("xml_unescape and xml_escape take linear time, whatever the '&' and ';' (s3_xml_fuzz)",
          "[regress][fuzz][s3]") {
  // Profiling s3_xml_fuzz: every '&' searched the rest of the text for a ';', so
  // text of many '&' and no (or one late) ';' took time quadratic in its size
  // (4 MiB here: ~10^12 bytes scanned; now one pass). Same results as before.
  const std::size_t n = std::size_t{4} << 20;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string amps(n, '&');
  CHECK((detail::xml_unescape(amps) == amps));  // (( )): no 4 MiB in a failure
  CHECK((detail::xml_unescape(amps + ";") == amps + ";"));
  CHECK((detail::xml_unescape(amps + "amp;") == amps));  // the last & is a reference
  std::string refs;
  for (std::size_t i = 0; i < n / 8; ++i) refs += "&&#65;x&";
  const auto back = detail::xml_unescape(refs + ";");
  CHECK(back.size() == n / 8 * 4 + 1);
  CHECK(back.substr(0, 8) == "&Ax&&Ax&");
  CHECK((detail::xml_unescape(detail::xml_escape(refs)) == refs));
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < std::chrono::seconds(20));  // minutes to hours when quadratic
  // The same decoding as ever around the references.
  CHECK(detail::xml_unescape("&&amp;&") == "&&&");
  CHECK(detail::xml_unescape("&;&amp;&lt") == "&;&&lt");
  CHECK(detail::xml_unescape("a&b;c&amp;d") == "a&b;c&d");
  CHECK(detail::xml_unescape("x&#65;&#x42;;&") == "xAB;&");
  CHECK(detail::xml_escape("a<b>&\"c'd") == "a&lt;b&gt;&amp;&quot;c&apos;d");
  CHECK(detail::xml_escape("plain") == "plain");
}

TEST_CASE(
    "xml_unescape leaves references to no character as text, so its output stays UTF-8 "
    "(s3_xml_fuzz)",
    "[regress][fuzz][s3]") {
  const auto in = finding("s3_xml", "crash-dc8839561b1c2a3ba7c277401508921af0a533b0");
  CHECK(detail::xml_text(as_chars(in), "Key") ==
        "a&b<c&Bt;\"'AB&#x1FF0FF;\xc3\xa9");  // was the 4 bytes F7 BF 83 BF: not UTF-8
  CHECK(detail::xml_unescape("&#x10FFFF;") == "\xf4\x8f\xbf\xbf");
  CHECK(detail::xml_unescape("&#x110000;") == "&#x110000;");
  CHECK(detail::xml_unescape("&#xD800;&#57343;") == "&#xD800;&#57343;");  // surrogates
  CHECK(detail::xml_unescape("&#0;&#x0;") == "&#0;&#x0;");
  CHECK(detail::xml_unescape("&#x;&#;") == "&#x;&#;");
  CHECK(detail::xml_unescape("&#xd7ff;&#xe000;") == "\xed\x9f\xbf\xee\x80\x80");
}

TEST_CASE(
    "the simple protocol's reader refuses a request line longer than max_line even when it "
    "arrives in one read (simple_protocol_fuzz)",
    "[regress][fuzz][simple]") {
  const auto in = finding("simple_protocol", "crash-c01ba9684c6f58194b8ddfc6aeb35c50728e87b9");
  for (const auto& l : lines_read(as_chars(in))) CHECK(l.size() < simple_protocol::max_line);

  const std::string longest = "LIST " + std::string(simple_protocol::max_line - 6, 'a');
  CHECK(lines_read(longest + "\nSTAT x\n") == std::vector<std::string>{longest, "STAT x"});
  CHECK(lines_read(longest + "a\nSTAT x\n").empty());  // was returned whole
}

TEST_CASE(
    "a dry-run clean of a store whose newest segment is cut short reads no iterator past a "
    "buffer (store_fuzz)",
    "[regress][fuzz][cleaner]") {
  // The input: stage main/stage8-merge3-clean4, then one edit truncating the first
  // segment (log-00000000-00000003, 1811 bytes) to 0x21000000 % 1812 = 588 bytes.
  // The engine built an iterator 247 bytes past an empty read (UBSan: offset to
  // null pointer); what it must do is see the short items as short.
  const auto in = finding("store", "crash-a3334f7de719a83985d515ae074a36a2d5ecf24d");
  REQUIRE(in.size() == 9);
  memory_store store;
  test::load_stage(store, test::fixtures_dir() / "main" / "stage8-merge3-clean4");
  auto objects = store.snapshot();
  REQUIRE(objects.at("log-00000000-00000003").size() == 1811);
  objects.at("log-00000000-00000003").resize(588);
  store.restore(objects);
  clean_options dry;
  dry.dry_run = true;
  auto r = clean(bluesky::format{}, store, threshold_policy{}, dry);
  if (!r) CHECK(r.error().code.category() == error_category());
  CHECK(store.snapshot() == objects);  // a dry run changes nothing
}

TEST_CASE(
    "an empty segment is read as one without a checkpoint, with no pointer arithmetic on its "
    "missing bytes (store_fuzz)",
    "[regress][fuzz][bluesky]") {
  // The input: stage nocrypto/stage1-write, then one edit truncating its only
  // segment to 0 bytes. The memrchr search for a checkpoint's type byte added the
  // type byte's offset to the empty buffer's null data pointer (UBSan: applying
  // non-zero offset 52 to null pointer) before looking at the length.
  const auto in = finding("store", "crash-c3a40135320ac7a19add1e9c5bfd17aefebd0dd9");
  REQUIRE(in.size() == 9);
  memory_store store;
  test::load_stage(store, test::fixtures_dir() / "nocrypto" / "stage1-write");
  auto objects = store.snapshot();
  REQUIRE(objects.size() == 1);
  objects.begin()->second.clear();
  store.restore(objects);
  CHECK_FALSE(bluesky::detail::checkpoint_in_tail(byte_view{}, segment_info{}, 0));
  auto end = bluesky::read_segment_end(store, store.list(0).value().at(0));
  REQUIRE(end);
  CHECK_FALSE(end->checkpoint);
  auto r = bluesky::reader<memory_store, no_cipher>::open(store, no_cipher{});
  CHECK_FALSE(r);
  if (!r) CHECK(r.error().code.category() == error_category());
  clean_options dry;
  dry.dry_run = true;
  auto c = clean(bluesky::format{}, store, threshold_policy{}, dry);
  if (!c) CHECK(c.error().code.category() == error_category());
  CHECK(store.snapshot() == objects);  // a dry run changes nothing
}
