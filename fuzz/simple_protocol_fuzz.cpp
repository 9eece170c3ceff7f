// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: the simple protocol's request parsing on the server side
// (simple_protocol::stream_reader, tokens, number, name_ok), driven the way
// simple_store_server's loop drives it: a line, its tokens, and for
// "PUT NAME LENGTH" exactly LENGTH body bytes. The reader is the server's own
// (socket_reader is stream_reader over recv(2)); here its source hands out the
// input from memory instead of a socket pair, twice: in one read (as a socket
// pair delivered it) and in reads of varying sizes (1 byte to 8 KiB).
// Properties: lines hold no '\n' and are shorter than max_line; the lines (each
// with its '\n') and bodies read are exactly the bytes sent, in order, and
// received() counts no more than that; what is read does not depend on how the
// bytes were split into reads; tokens are non-empty, hold no white space and are
// the line minus its white space; number() accepts only what prints back as
// itself (leading zeros aside); name_ok() never accepts '/', "..", white space,
// NUL or a leading '.'.
#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include "cloudlog/backend/simple_protocol.hpp"
#include "support.hpp"

using namespace cloudlog;
namespace proto = cloudlog::simple_protocol;

namespace {

void check_number(std::string_view s) {
  const auto n = proto::number(s);
  if (!n) return;
  FUZZ_CHECK(!s.empty() && s.size() <= 19);
  const auto digits = s.find_first_not_of('0');
  const auto canonical = digits == s.npos ? std::string_view("0") : s.substr(digits);
  FUZZ_CHECK(std::to_string(*n) == canonical);
}

void check_name(std::string_view n) {
  if (!proto::name_ok(n)) return;
  FUZZ_CHECK(!n.empty() && n.size() <= 255 && n.front() != '.');
  FUZZ_CHECK(n.find("..") == n.npos &&
             n.find_first_of(std::string_view("/ \t\r\n\0", 6)) == n.npos);
}

// LINE without its spaces, tabs and CRs.
FUZZ_NO_COVERAGE std::string without_white(std::string_view line) {
  std::string out(line.size(), '\0');
  auto* o = out.data();
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r') *o++ = c;
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

// The bytes of SENT in reads of at most the sizes of CHUNKS, in turn (cycling).
struct memory_source {
  std::string_view sent;
  const std::size_t* chunks;
  std::size_t n_chunks;
  std::size_t next = 0;
  ssize_t operator()(char* buffer, std::size_t n) {
    const auto k = std::min({n, sent.size(), chunks[next++ % n_chunks]});
    if (k == 0) return 0;
    std::memcpy(buffer, sent.data(), k);
    sent.remove_prefix(k);
    return static_cast<ssize_t>(k);
  }
};

// What the server's loop reads through IN, re-framed (each line with its '\n',
// bodies as they are); with CHECK, the properties of each line and token checked.
template <class Reader>
std::string serve(Reader& in, bool check) {
  std::string seen;
  while (auto line = in.line()) {
    FUZZ_CHECK(line->find('\n') == line->npos);
    FUZZ_CHECK(line->size() < proto::max_line);
    seen.append(*line).push_back('\n');
    const auto t = proto::tokens(*line);
    if (check) {
      std::string joined;
      for (auto tok : t) {
        FUZZ_CHECK(!tok.empty() && tok.find_first_of(" \t\r") == tok.npos);
        FUZZ_CHECK(fuzz::within(tok, *line));
        joined += tok;
        check_number(tok);
        check_name(tok);
      }
      FUZZ_CHECK(joined == without_white(*line));
    }
    if (t.empty()) break;
    if (t[0] == "PUT") {
      auto len = t.size() == 3 ? proto::number(t[2]) : std::nullopt;
      if (!len || *len > proto::max_object) break;
      std::uint64_t got = 0;
      const bool whole = in.exact(*len, [&](byte_view b) {
        FUZZ_CHECK(!b.empty() && got + b.size() <= *len);
        got += b.size();
        seen.append(as_chars(b));
        return true;
      });
      FUZZ_CHECK(whole == (got == *len));
      if (!whole) break;
    } else if (t[0] != "GET" && t[0] != "DELETE" && t[0] != "LIST" && t[0] != "STAT") {
      break;
    }
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view sent(reinterpret_cast<const char*>(data), size);

  static constexpr std::size_t whole[] = {65536};  // a socket pair's single read
  proto::stream_reader<memory_source> at_once(memory_source{sent, whole, 1});
  const auto seen = serve(at_once, true);
  FUZZ_CHECK(seen.size() <= sent.size() && sent.substr(0, seen.size()) == seen);
  FUZZ_CHECK(at_once.received() <= sent.size());

  // Split reads (where a line or a body is cut depends on the input's size).
  static constexpr std::size_t split[] = {1, 2, 3, 7, 64, 511, 4095, 4096, 4097, 8192, 5, 100};
  const auto first = size % std::size(split);
  std::size_t order[std::size(split)];
  for (std::size_t i = 0; i < std::size(split); ++i)
    order[i] = split[(first + i) % std::size(split)];
  proto::stream_reader<memory_source> in_pieces(memory_source{sent, order, std::size(order)});
  FUZZ_CHECK(serve(in_pieces, false) == seen);  // the same lines: checked above
  FUZZ_CHECK(in_pieces.received() <= sent.size());
  return 0;
}
