// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: the simple protocol's request parsing on the server side
// (simple_protocol::socket_reader, tokens, number, name_ok), driven over a real
// socket the way simple_store_server's loop drives it: a line, its tokens, and for
// "PUT NAME LENGTH" exactly LENGTH body bytes.
// Properties: lines hold no '\n' and are shorter than max_line; the lines (each
// with its '\n') and bodies read are exactly the bytes sent, in order, and
// received() counts no more than that; tokens are non-empty, hold no white space
// and are the line minus its white space; number() accepts only what prints back
// as itself (leading zeros aside); name_ok() never accepts '/', "..", white
// space, NUL or a leading '.'.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A unix socket buffers well over this; larger inputs are cut (the writer must not block).
  const std::string_view sent(reinterpret_cast<const char*>(data),
                              std::min<std::size_t>(size, 65536));
  int fds[2];
  FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  FUZZ_CHECK(proto::send_all(fds[0], sent.data(), sent.size()));
  ::shutdown(fds[0], SHUT_WR);

  proto::socket_reader in(fds[1]);
  std::string seen;  // what the reader handed out, re-framed
  while (auto line = in.line()) {
    FUZZ_CHECK(line->find('\n') == line->npos);
    FUZZ_CHECK(line->size() < proto::max_line);
    seen += *line + "\n";
    const auto t = proto::tokens(*line);
    std::string joined, bare;
    for (auto tok : t) {
      FUZZ_CHECK(!tok.empty() && tok.find_first_of(" \t\r") == tok.npos);
      FUZZ_CHECK(fuzz::within(tok, *line));
      joined += tok;
      check_number(tok);
      check_name(tok);
    }
    for (char c : *line)
      if (c != ' ' && c != '\t' && c != '\r') bare.push_back(c);
    FUZZ_CHECK(joined == bare);
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
  FUZZ_CHECK(seen.size() <= sent.size() && sent.substr(0, seen.size()) == seen);
  FUZZ_CHECK(in.received() <= sent.size());
  ::close(fds[0]);
  ::close(fds[1]);
  return 0;
}
