// SPDX-License-Identifier: BSL-1.0
// Payload codecs (docs/format.md, sections 4-7): golden bytes, round trips on every
// real payload of the fixtures, and one case per malformed payload.
#include <catch2/catch.hpp>

#include <random>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/log/segment.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

namespace {

bytes hex(std::string_view h) {
  std::string clean;
  for (char c : h)
    if (c != ' ' && c != '\n') clean.push_back(c);
  bytes out;
  REQUIRE(from_hex(clean, out));
  return out;
}

inode sample(file_type t) {
  inode n;
  n.type = t;
  n.mode = 0644;
  n.uid = 1000;
  n.gid = 1000;
  n.nlink = 1;
  n.inum = 2;
  n.change_count = 3;
  n.atime = 0x0102030405060708;
  n.ctime = -1;
  n.mtime = 0x10;
  n.ntime = 0x20;
  return n;
}

// The 76-byte fixed part of sample(T) with type TYPE_HEX (docs/format.md, section 6).
std::string sample_fixed_hex(const char* type_hex) {
  return std::string("e6713d94002183a6") + type_hex +
         "a4010000"           // mode 0644
         "e8030000e8030000"   // uid, gid 1000
         "01000000"           // nlink
         "0200000000000000"   // inum
         "0300000000000000"   // change_count
         "0807060504030201"   // atime
         "ffffffffffffffff"   // ctime -1
         "1000000000000000"   // mtime
         "2000000000000000";  // ntime
}

}  // namespace

TEST_CASE("a regular inode encodes to the bytes of docs/format.md section 6",
          "[formats][bluesky][payload]") {
  auto n = sample(file_type::regular);
  n.size = 100000;
  const auto want = hex(sample_fixed_hex("01000000") + "a086010000000000");
  CHECK(encode_inode(n) == want);
  auto back = decode_inode(want);
  REQUIRE(back);
  CHECK(*back == n);
  CHECK(packed_size_v<inode_fixed> == 76);
}

TEST_CASE("a directory inode encodes its entries, then a u32 0 (docs/format.md section 6.3)",
          "[formats][bluesky][payload]") {
  auto n = sample(file_type::directory);
  n.entries = {{5, 7, "a"}, {0x40000000, 9, "bc"}};
  const auto want = hex(sample_fixed_hex("02000000") +
                        "05000000"
                        "0700000000000000"
                        "6100"
                        "00000040"
                        "0900000000000000"
                        "626300"
                        "00000000");
  CHECK(encode_inode(n) == want);
  auto back = decode_inode(want);
  REQUIRE(back);
  CHECK(*back == n);
}

TEST_CASE("a symlink inode encodes its target and a NUL (docs/format.md sections 6.2, 13)",
          "[formats][bluesky][payload]") {
  auto n = sample(file_type::symlink);
  n.target = "hello.txt";
  const auto want = hex(sample_fixed_hex("05000000") + "68656c6c6f2e74787400");
  CHECK(encode_inode(n) == want);
  CHECK(encode_inode(n).size() == 86);  // as the fixtures' /link inode
  auto back = decode_inode(want);
  REQUIRE(back);
  CHECK(*back == n);
}

TEST_CASE("other inode types have no tail (docs/format.md section 6.2)",
          "[formats][bluesky][payload]") {
  for (auto t :
       {file_type::block_device, file_type::char_device, file_type::socket, file_type::fifo}) {
    auto n = sample(t);
    CHECK(encode_inode(n).size() == 76);
    auto back = decode_inode(encode_inode(n));
    REQUIRE(back);
    CHECK(*back == n);
  }
}

TEST_CASE("imap blocks and checkpoints encode to the bytes of docs/format.md sections 4 and 5",
          "[formats][bluesky][payload]") {
  CHECK(encode_imap_block({1, 2, 4097}) == hex("0100000000000000"
                                               "0200000000000000"
                                               "0110000000000000"));
  checkpoint cp{{{1, 5}}, {{0, 4095}, {4096, 8191}}};
  const auto want =
      hex("b498a442fbdad77a"
          "01000000"
          "0100000005000000"
          "0000000000000000"
          "ff0f000000000000"
          "0010000000000000"
          "ff1f000000000000");
  CHECK(encode_checkpoint(cp) == want);
  auto back = decode_checkpoint(want);
  REQUIRE(back);
  CHECK(*back == cp);
  CHECK(back->version_of(1) == 5u);
  CHECK_FALSE(back->version_of(0));
  // The fixtures' first checkpoint: vv empty, one range (28 bytes).
  checkpoint first{{}, {{0, 4095}}};
  CHECK(encode_checkpoint(first).size() == 28);
}

TEST_CASE("block arithmetic follows the 32 KiB block size", "[formats][bluesky][payload]") {
  CHECK(block_count(0) == 0);
  CHECK(block_count(1) == 1);
  CHECK(block_count(32768) == 1);
  CHECK(block_count(32769) == 2);
  CHECK(block_count(100000) == 4);
  CHECK(block_length(100000, 0) == 32768);
  CHECK(block_length(100000, 3) == 1696);
  CHECK(block_length(65536, 1) == 32768);
  CHECK(range_of(4095) == 0);
  CHECK(range_of(4096) == 1);
}

TEST_CASE("every real payload of the fixtures decodes and re-encodes to the same bytes",
          "[formats][bluesky][payload][fixtures]") {
  const auto c = test::fixture_cipher();
  std::size_t inodes = 0, imaps = 0, checkpoints = 0;
  for (const auto& stage : test::fixture_stages()) {
    for (const auto& seg : test::stage_segments(stage)) {
      auto data = test::read_file(seg);
      auto items = parse_segment<layout>(data);
      REQUIRE(items);
      for (const auto& it : *items) {
        bytes copy(it.bytes().begin(), it.bytes().end());
        if (!test::is_nocrypto(stage) && it.header().magic == magic_encrypted)
          REQUIRE(c.open(copy));
        auto v = parse_item<layout>(copy, 0);
        REQUIRE(v);
        const auto payload = v->payload();
        const bytes p(payload.begin(), payload.end());
        switch (static_cast<item_type>(v->type())) {
          case item_type::inode: {
            auto n = decode_inode(p);
            REQUIRE(n);
            CHECK(n->inum == v->owner());
            CHECK(encode_inode(*n) == p);
            ++inodes;
            break;
          }
          case item_type::inode_map: {
            auto m = decode_imap_block(p);
            REQUIRE(m);
            CHECK(m->size() == v->link_count());
            CHECK(encode_imap_block(*m) == p);
            ++imaps;
            break;
          }
          case item_type::checkpoint: {
            auto cp = decode_checkpoint(p);
            REQUIRE(cp);
            CHECK(cp->ranges.size() == v->link_count());
            CHECK(encode_checkpoint(*cp) == p);
            ++checkpoints;
            break;
          }
          case item_type::data:
            break;
        }
      }
    }
  }
  CHECK(inodes > 50);
  CHECK(imaps > 10);
  CHECK(checkpoints > 10);
}

TEST_CASE("malformed inode payloads are corrupt_payload", "[formats][bluesky][payload]") {
  auto reg = sample(file_type::regular);
  reg.size = 10;
  const auto good = encode_inode(reg);
  auto corrupt = [](const bytes& b) {
    auto r = decode_inode(b);
    return !r && r.error() == make_error_code(errc::corrupt_payload);
  };
  SECTION("shorter than the fixed part") {
    CHECK(corrupt(bytes(good.begin(), good.begin() + 75)));
    CHECK(corrupt(bytes{}));
  }
  SECTION("bad signature") {
    auto b = good;
    b[0] ^= std::byte{1};
    CHECK(corrupt(b));
  }
  SECTION("unknown file type") {
    for (std::uint32_t t : {0u, 8u, 0xffffffffu}) {
      auto b = good;
      store_le<std::uint32_t>(b.data() + 8, t);
      CHECK(corrupt(b));
    }
  }
  SECTION("regular tail of the wrong length") {
    CHECK(corrupt(bytes(good.begin(), good.end() - 1)));
    auto b = good;
    b.push_back(std::byte{0});
    CHECK(corrupt(b));
  }
  SECTION("regular size past the largest file") {
    auto b = good;
    store_le<std::uint64_t>(b.data() + 76, max_file_size + 1);
    CHECK(corrupt(b));
  }
  auto dir = sample(file_type::directory);
  dir.entries = {{5, 7, "a"}, {9, 8, "b"}};
  const auto gdir = encode_inode(dir);
  REQUIRE(decode_inode(gdir));
  SECTION("directory without its terminator") {
    CHECK(corrupt(bytes(gdir.begin(), gdir.end() - 4)));
    CHECK(corrupt(bytes(gdir.begin(), gdir.end() - 1)));
  }
  SECTION("directory with bytes after the terminator") {
    auto b = gdir;
    b.push_back(std::byte{0});
    CHECK(corrupt(b));
  }
  SECTION("directory cookies not strictly ascending") {
    auto d = dir;
    d.entries[1].cookie = 5;
    CHECK(corrupt(encode_inode(d)));
    d.entries[1].cookie = 4;
    CHECK(corrupt(encode_inode(d)));
  }
  SECTION("directory entry naming inode 0") {
    auto d = dir;
    d.entries[0].inum = 0;
    CHECK(corrupt(encode_inode(d)));
  }
  SECTION("directory entry names: empty, with '/', unterminated") {
    auto d = dir;
    d.entries[0].name = "";
    CHECK(corrupt(encode_inode(d)));
    d.entries[0].name = "a/b";
    CHECK(corrupt(encode_inode(d)));
    auto b = encode_inode(sample(file_type::directory));  // fixed + u32 0
    b.resize(76);
    append_le<std::uint32_t>(b, 5);
    append_le<std::uint64_t>(b, 7);
    append(b, as_bytes("abc"));  // no NUL
    CHECK(corrupt(b));
  }
  SECTION("directory entry cut inside its inum") {
    auto b = encode_inode(sample(file_type::directory));
    b.resize(76);
    append_le<std::uint32_t>(b, 5);
    append_le<std::uint32_t>(b, 7);
    CHECK(corrupt(b));
  }
  auto sym = sample(file_type::symlink);
  sym.target = "t";
  const auto gsym = encode_inode(sym);
  SECTION("symlink target without NUL, with an inner NUL, or missing") {
    CHECK(corrupt(bytes(gsym.begin(), gsym.end() - 1)));
    auto b = gsym;
    b.insert(b.end() - 1, std::byte{0});
    CHECK(corrupt(b));
    CHECK(corrupt(bytes(gsym.begin(), gsym.begin() + 76)));
  }
  SECTION("other types with a tail") {
    auto b = encode_inode(sample(file_type::fifo));
    b.push_back(std::byte{0});
    CHECK(corrupt(b));
  }
}

TEST_CASE("malformed imap blocks are corrupt_payload", "[formats][bluesky][payload]") {
  auto corrupt = [](const bytes& b) {
    auto r = decode_imap_block(b);
    return !r && r.error() == make_error_code(errc::corrupt_payload);
  };
  CHECK(decode_imap_block(bytes{}).value().empty());
  CHECK(corrupt(bytes(7)));
  CHECK(corrupt(encode_imap_block({2, 1})));
  CHECK(corrupt(encode_imap_block({2, 2})));
  CHECK(corrupt(encode_imap_block({0, 1})));
}

TEST_CASE("malformed checkpoints are corrupt_payload", "[formats][bluesky][payload]") {
  auto corrupt = [](const bytes& b) {
    auto r = decode_checkpoint(b);
    return !r && r.error() == make_error_code(errc::corrupt_payload);
  };
  const auto good = encode_checkpoint({{{0, 3}, {1, 5}}, {{0, 4095}, {8192, 12287}}});
  REQUIRE(decode_checkpoint(good));
  SECTION("too short for magic and count") {
    CHECK(corrupt(bytes(good.begin(), good.begin() + 11)));
  }
  SECTION("bad magic") {
    auto b = good;
    b[7] ^= std::byte{0x80};
    CHECK(corrupt(b));
  }
  SECTION("entry count past the end") {
    auto b = good;
    store_le<std::uint32_t>(b.data() + 8, 7);
    CHECK(corrupt(b));
    store_le<std::uint32_t>(b.data() + 8, 0xffffffff);
    CHECK(corrupt(b));
  }
  SECTION("ranges not a whole number of 16 bytes") {
    CHECK(corrupt(bytes(good.begin(), good.end() - 1)));
  }
  SECTION("a range with start > end") {
    CHECK(corrupt(encode_checkpoint({{}, {{10, 9}}})));
  }
  SECTION("overlapping or descending ranges") {
    CHECK(corrupt(encode_checkpoint({{}, {{0, 4095}, {4095, 8191}}})));
    CHECK(corrupt(encode_checkpoint({{}, {{4096, 8191}, {0, 4095}}})));
  }
  SECTION("version-vector directories not strictly ascending") {
    CHECK(corrupt(encode_checkpoint({{{1, 3}, {0, 5}}, {}})));
    CHECK(corrupt(encode_checkpoint({{{1, 3}, {1, 5}}, {}})));
  }
}

TEST_CASE("no truncation or bit flip of a real payload crashes a decoder",
          "[formats][bluesky][payload]") {
  auto dir = sample(file_type::directory);
  dir.entries = {{5, 7, "alpha"}, {9, 8, "beta"}, {77, 3, "gamma"}};
  const std::vector<bytes> payloads = {encode_inode(dir), encode_inode(sample(file_type::symlink)),
                                       encode_checkpoint({{{1, 2}}, {{0, 4095}}}),
                                       encode_imap_block({1, 2, 3})};
  std::mt19937 rng(7);
  for (const auto& p : payloads) {
    for (std::size_t n = 0; n <= p.size(); ++n) {
      const bytes cut(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n));
      (void)decode_inode(cut);
      (void)decode_imap_block(cut);
      (void)decode_checkpoint(cut);
    }
    for (int k = 0; k < 500; ++k) {
      auto b = p;
      b[rng() % b.size()] ^= static_cast<std::byte>(1u << (rng() % 8));
      (void)decode_inode(b);
      (void)decode_imap_block(b);
      (void)decode_checkpoint(b);
    }
  }
  SUCCEED("no crash");
}
