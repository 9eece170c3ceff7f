// SPDX-License-Identifier: BSL-1.0
// BlueSky's cipher on the real fixture segments (spec section 6): derived keys,
// tag status of every item, decryption to parseable payloads, bit flips, wrong
// keys, truncation, and loading the master key.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "cloudlog/crypto/segment.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/log/segment.hpp"
#include "crypto/helpers.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {

bs::cipher fixture_cipher() {
  auto c = bs::cipher::from_master(test::fixture_master32());
  REQUIRE(c);
  return std::move(*c);
}

constexpr std::uint64_t inode_signature = 0xa6832100943d71e6;

// "type=1 mode=644 uid=1000 gid=1000 nlink=1" from a plaintext inode payload.
std::string inode_fields(byte_view p) {
  std::ostringstream s;
  s << "type=" << load_le<std::uint32_t>(&p[8]) << " mode=" << std::oct
    << load_le<std::uint32_t>(&p[12]) << std::dec << " uid=" << load_le<std::uint32_t>(&p[16])
    << " gid=" << load_le<std::uint32_t>(&p[20]) << " nlink=" << load_le<std::uint32_t>(&p[24]);
  return s.str();
}

// The item at OFFSET of SEGMENT in STAGE, copied.
bytes item_at(const std::filesystem::path& stage, const std::string& segment,
              std::uint64_t offset) {
  const auto seg = test::read_file(stage / segment);
  auto it = parse_item<bs::layout>(seg, offset);
  REQUIRE(it);
  return {it->bytes().begin(), it->bytes().end()};
}

const std::filesystem::path stage1() {
  return test::fixtures_dir() / "main/stage1-write";
}

}  // namespace

TEST_CASE("the derived keys equal the fixture README's", "[crypto][bluesky][keys]") {
  const std::string enc = "e785a097f9ce49ced53c26ecddf15e62";
  const std::string auth = "a7916f7e26f6c80bcb80fe83a50516188c20a6e0fbcc1793c3db38bbf7794a6d";
  SECTION("from the 32-byte zero-padded master key") {
    auto k = bs::cipher::derive_keys(test::fixture_master32());
    REQUIRE(k);
    CHECK(to_hex(k->encryption.view()) == enc);
    CHECK(to_hex(k->authentication.view()) == auth);
  }
  SECTION("from the bare 26-byte passphrase (zero padding is HMAC's own)") {
    auto k = bs::cipher::derive_keys(as_bytes(test::fixture_passphrase));
    REQUIRE(k);
    CHECK(to_hex(k->encryption.view()) == enc);
    CHECK(to_hex(k->authentication.view()) == auth);
  }
  SECTION("a master key longer than 32 bytes counts only its first 32, as the original") {
    bytes longer = test::fixture_master32();
    for (char c : std::string("trailing bytes ignored")) longer.push_back(std::byte(c));
    auto k = bs::cipher::derive_keys(longer);
    REQUIRE(k);
    CHECK(to_hex(k->encryption.view()) == enc);
    CHECK(to_hex(k->authentication.view()) == auth);
  }
  SECTION("an empty master key is refused") {
    CHECK(bs::cipher::derive_keys({}).error() == errc::bad_key);
    CHECK(bs::cipher::from_master({}).error() == errc::bad_key);
  }
}

TEST_CASE("every item of every fixture stage gets the tag status its .dump.txt shows",
          "[crypto][bluesky][fixtures]") {
  const auto c = fixture_cipher();
  const bs::no_cipher none;
  std::map<tag_status, int> seen;
  for (const auto& stage : test::fixture_stages()) {
    INFO(stage);
    const auto expected = test::parse_dump(stage.string() + ".dump.txt");
    REQUIRE_FALSE(expected.empty());
    std::map<std::string, bytes> segments;
    for (const auto& e : expected) {
      INFO(e.segment << " @ " << e.offset);
      auto& seg = segments[e.segment];
      if (seg.empty()) seg = test::read_file(stage / e.segment);
      auto it = parse_item<bs::layout>(seg, e.offset);
      REQUIRE(it);
      REQUIRE(it->size() == e.size);
      CHECK(c.verify(it->bytes()) == e.tag);
      CHECK(none.verify(it->bytes()) ==
            (e.tag == tag_status::zero ? tag_status::zero : tag_status::bad));
      ++seen[e.tag];
    }
  }
  // All three statuses occur: the check is not vacuous.
  CHECK(seen[tag_status::ok] == 244);
  CHECK(seen[tag_status::bad] == 14);
  CHECK(seen[tag_status::zero] == 21);
}

TEST_CASE("with the fixture key every verified item opens to a payload that parses",
          "[crypto][bluesky][fixtures]") {
  const auto c = fixture_cipher();
  const bs::no_cipher none;
  int inodes = 0, data = 0, maps = 0, checkpoints = 0;
  for (const auto& stage : test::fixture_stages()) {
    INFO(stage);
    for (const auto& e : test::parse_dump(stage.string() + ".dump.txt")) {
      INFO(e.segment << " @ " << e.offset);
      auto item = item_at(stage, e.segment, e.offset);
      const auto before = item;
      if (e.tag == tag_status::ok) {
        REQUIRE(c.open(item));
      } else {
        // BAD (crypto off when written) and ZERO (the cleaner's) items do not open
        // with the key, and are left as they were ...
        CHECK(c.open(item).error() == errc::bad_tag);
        CHECK(item == before);
        // ... but they are all plain: a reader without a key reads them.
        REQUIRE(e.magic == "AgI-");
        REQUIRE(none.open(item));
      }
      auto v = parse_item<bs::layout>(item, 0);
      REQUIRE(v);
      CHECK(v->header().magic == bs::magic_plain);
      CHECK(v->header().crypt_iv == bs::iv_bytes{});
      // Only magic and IV changed outside the payload.
      CHECK(std::equal(item.begin() + 52, item.begin() + 89, before.begin() + 52));
      CHECK(std::equal(item.begin() + 89 + v->payload_size(), item.end(),
                       before.begin() + 89 + v->payload_size()));
      if (e.magic == "AgI-")
        CHECK(item == [&] {
          auto b = before;
          std::fill(b.begin() + 36, b.begin() + 52, std::byte{0});
          return b;
        }());
      const auto p = v->payload();
      if (e.data_bytes) {
        ++data;
        CHECK(p.size() == *e.data_bytes);
        CHECK(to_hex(p.first(std::min<std::size_t>(8, p.size()))) == e.data_head);
      }
      if (e.type == '4') {  // spec section 4: magic, n, n version-vector entries, ranges
        ++checkpoints;
        REQUIRE(p.size() >= 12);
        CHECK(load_le<std::uint64_t>(p.data()) == 0x7ad7dafb42a498b4);
        const auto n = load_le<std::uint32_t>(&p[8]);
        CHECK(p.size() == 12 + 8 * n + 16 * v->link_count());
      }
      if (e.type == '3') {  // spec section 5: ascending u64 inode numbers, one per link
        ++maps;
        REQUIRE(p.size() == 8 * v->link_count());
        for (std::size_t i = 8; i < p.size(); i += 8)
          CHECK(load_le<std::uint64_t>(&p[i - 8]) < load_le<std::uint64_t>(&p[i]));
      }
      if (e.inode_inum) {
        ++inodes;
        REQUIRE(p.size() >= 76);
        CHECK(load_le<std::uint64_t>(p.data()) == inode_signature);
        CHECK(load_le<std::uint64_t>(&p[28]) == *e.inode_inum);
        CHECK(inode_fields(p) == e.inode_fields);
      }
    }
  }
  CHECK(data == 110);
  CHECK(inodes == 104);
  CHECK(maps == 31);
  CHECK(checkpoints == 34);
}

TEST_CASE("a known file decrypts to its exact contents", "[crypto][bluesky][fixtures]") {
  const auto c = fixture_cipher();
  auto item = item_at(stage1(), "log-00000000-00000000", 0);  // hello.txt's only block
  REQUIRE(c.open(item));
  CHECK(as_chars(byte_view(item).subspan(89, 16)) == "Hello, BlueSky!\n");
  auto block = item_at(stage1(), "log-00000000-00000000", 310);  // big.bin block 0
  REQUIRE(c.open(block));
  for (std::size_t i = 0; i < 32768; ++i)
    if (block[89 + i] != std::byte(i % 251)) FAIL("big.bin byte " << i);
}

TEST_CASE("flipping any bit of the covered region fails verification",
          "[crypto][bluesky][tamper]") {
  const auto c = fixture_cipher();
  auto check_flip = [&](bytes item, std::size_t bit) {
    item[bit / 8] ^= std::byte(1u << (bit % 8));
    return c.verify(item);
  };
  SECTION("every bit of a DATA item's covered header and payload (hello.txt, 105 bytes)") {
    const auto item = item_at(stage1(), "log-00000000-00000000", 0);
    REQUIRE(c.verify(item) == tag_status::ok);
    for (std::size_t bit = 36 * 8; bit < item.size() * 8; ++bit) {
      INFO("bit " << bit);
      REQUIRE(check_flip(item, bit) == tag_status::bad);
    }
  }
  SECTION("every bit of a 32 KiB DATA item's covered header, a sample of its payload") {
    const auto item = item_at(stage1(), "log-00000000-00000000", 310);
    REQUIRE(item.size() == 32857);
    REQUIRE(c.verify(item) == tag_status::ok);
    for (std::size_t bit = 36 * 8; bit < 89 * 8; ++bit) {
      INFO("bit " << bit);
      REQUIRE(check_flip(item, bit) == tag_status::bad);
    }
    for (std::size_t bit = 89 * 8; bit < item.size() * 8; bit += 61) {
      INFO("bit " << bit);
      REQUIRE(check_flip(item, bit) == tag_status::bad);
    }
    REQUIRE(check_flip(item, item.size() * 8 - 1) == tag_status::bad);
  }
  SECTION("every bit of an INODE's link ids; any bit of the tag") {
    const auto item = item_at(stage1(), "log-00000000-00000000", 100666);  // big.bin, 4 links
    auto v = parse_item<bs::layout>(item, 0);
    REQUIRE(v);
    REQUIRE(v->link_ids_size() == 64);
    REQUIRE(c.verify(item) == tag_status::ok);
    const std::size_t ids_at = 89 + v->payload_size();
    for (std::size_t bit = ids_at * 8; bit < (ids_at + 64) * 8; ++bit) {
      INFO("bit " << bit);
      REQUIRE(check_flip(item, bit) == tag_status::bad);
    }
    for (std::size_t bit = 4 * 8; bit < 36 * 8; ++bit) {
      INFO("bit " << bit);
      REQUIRE(check_flip(item, bit) == tag_status::bad);
    }
  }
}

TEST_CASE("link locations and the magic are outside the tag, by design",
          "[crypto][bluesky][tamper]") {
  // Spec section 6: the tag covers bytes 36 .. end of the link ids. The link
  // locations are left out so that a cleaner WITHOUT the key can move an item's
  // targets and rewrite where they are, while the item stays authentic; the ids
  // (which name the targets) are covered, so it can move but not substitute.
  // The magic is left out too: it is reset to "AgI-" in the proxy's local copy.
  const auto c = fixture_cipher();
  const auto item = item_at(stage1(), "log-00000000-00000000", 100666);
  auto v = parse_item<bs::layout>(item, 0);
  REQUIRE(v);
  const std::size_t locs_at = 89 + v->payload_size() + v->link_ids_size();
  REQUIRE(item.size() - locs_at == 64);
  for (std::size_t bit = locs_at * 8; bit < item.size() * 8; ++bit) {
    auto t = item;
    t[bit / 8] ^= std::byte(1u << (bit % 8));
    INFO("bit " << bit);
    REQUIRE(c.verify(t) == tag_status::ok);
  }
  for (std::size_t bit = 0; bit < 4 * 8; ++bit) {
    auto t = item;
    t[bit / 8] ^= std::byte(1u << (bit % 8));
    INFO("bit " << bit);
    REQUIRE(c.verify(t) == tag_status::ok);
  }
  // verify() is about the tag only; open() does not trust an uncovered magic that
  // contradicts the (covered) type: an INODE flipped to "AgI-" would otherwise
  // come back as ciphertext posing as a clear payload.
  auto flipped = item;
  flipped[3] = bs::magic_plain[3];
  CHECK(c.verify(flipped) == tag_status::ok);
  const auto before = flipped;
  CHECK(c.open(flipped).error() == errc::bad_magic);
  CHECK(flipped == before);
  // Likewise a checkpoint flipped to "AgI=" is not "decrypted" into garbage.
  auto cp = item_at(stage1(), "log-00000000-00000000", 102225);
  REQUIRE(cp[52] == std::byte{'4'});
  cp[3] = bs::magic_encrypted[3];
  CHECK(c.verify(cp) == tag_status::ok);
  const auto cp_before = cp;
  CHECK(c.open(cp).error() == errc::bad_magic);
  CHECK(cp == cp_before);
  // What the cleaner does: rewrite every location; the item still verifies and opens.
  auto moved = item;
  const std::vector<location> where(4, location{1, 4, 12345, 32857});
  rewrite_link_locations<bs::layout>(moved, where);
  CHECK(moved != item);
  CHECK(c.verify(moved) == tag_status::ok);
  CHECK(c.open(moved));
}

TEST_CASE("a tampered item does not open and is left untouched", "[crypto][bluesky][tamper]") {
  const auto c = fixture_cipher();
  auto item = item_at(stage1(), "log-00000000-00000000", 310);
  item[89 + 1000] ^= std::byte{0x01};  // one ciphertext bit
  const auto before = item;
  auto r = c.open(item);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::bad_tag);
  CHECK(r.error().message() == "authentication tag does not verify (wrong key or tampered item)");
  CHECK(item == before);
}

TEST_CASE("a wrong key verifies nothing and opens nothing", "[crypto][bluesky][keys]") {
  auto wrong = bs::cipher::from_master(as_bytes("bluesky-fixture-passphrasf"));
  REQUIRE(wrong);
  for (const auto& seg : test::stage_segments(stage1())) {
    const auto data = test::read_file(seg);
    auto items = parse_segment<bs::layout>(data);
    REQUIRE(items);
    for (const auto& it : *items) {
      CHECK(wrong->verify(it.bytes()) == tag_status::bad);
      bytes copy(it.bytes().begin(), it.bytes().end());
      CHECK(wrong->open(copy).error() == errc::bad_tag);
      CHECK(std::equal(copy.begin(), copy.end(), it.bytes().begin()));
    }
  }
}

TEST_CASE("a truncated item is refused with a framing error, never read past",
          "[crypto][bluesky][truncated]") {
  const auto c = fixture_cipher();
  const bs::no_cipher none;
  const auto item = item_at(stage1(), "log-00000000-00000000", 100666);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{88}}) {
    bytes t(item.begin(), item.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(c.open(t).error() == errc::short_header);
    CHECK(c.verify(t) == tag_status::bad);
    CHECK(none.open(t).error() == errc::short_header);
    CHECK(none.verify(t) == tag_status::bad);
  }
  for (std::size_t n : {std::size_t{89}, std::size_t{200}, item.size() - 1}) {
    bytes t(item.begin(), item.begin() + static_cast<std::ptrdiff_t>(n));
    const auto before = t;
    CHECK(c.open(t).error() == errc::section_overrun);
    CHECK(t == before);
    CHECK(c.verify(t) == tag_status::bad);
    CHECK(none.open(t).error() == errc::section_overrun);
  }
  auto longer = item;
  longer.push_back(std::byte{0});
  CHECK(c.open(longer).error() == errc::invalid_argument);
  CHECK(c.verify(longer) == tag_status::bad);
}

TEST_CASE("the nocrypto store reads without a key and fails verification with one",
          "[crypto][bluesky][nocrypto]") {
  const auto c = fixture_cipher();
  const auto stage = test::fixtures_dir() / "nocrypto/stage1-write";
  for (const auto& path : test::stage_segments(stage)) {
    auto seg = test::read_file(path);
    const auto original = seg;
    std::vector<corruption> reports;
    CHECK(open_segment<bs::layout>(path.filename().string(), seg, bs::no_cipher{},
                                   [&](const corruption& x) { reports.push_back(x); }));
    CHECK(reports.empty());
    auto items = parse_segment<bs::layout>(seg);
    REQUIRE(items);
    CHECK(as_chars((*items)[0].payload()) == "Hello, BlueSky!\n");
    for (const auto& it : *items) CHECK(it.header().crypt_iv == bs::iv_bytes{});
    auto keyed = original;
    CHECK(open_segment<bs::layout>(path.filename().string(), keyed, c, [&](const corruption&) {
          }).error() == errc::bad_tag);
    CHECK(keyed == original);
  }
}

namespace {
struct env_guard {
  std::optional<std::string> saved;
  env_guard() {
    if (const char* v = std::getenv("BLUESKY_KEY")) saved = v;
  }
  ~env_guard() {
    if (saved)
      ::setenv("BLUESKY_KEY", saved->c_str(), 1);
    else
      ::unsetenv("BLUESKY_KEY");
  }
};
}  // namespace

TEST_CASE("load_master_key takes --key-file bytes, else BLUESKY_KEY", "[crypto][bluesky][keys]") {
  env_guard guard;
  test::temp_dir dir;
  const auto file = dir.path() / "key";
  std::ofstream(file, std::ios::binary) << test::fixture_passphrase;
  ::unsetenv("BLUESKY_KEY");
  SECTION("a key file's bytes, exactly") {
    auto k = bs::load_master_key(file.string());
    REQUIRE(k);
    CHECK(as_chars(*k) == test::fixture_passphrase);
    ::setenv("BLUESKY_KEY", "ignored when a file is given", 1);
    CHECK(as_chars(*bs::load_master_key(file.string())) == test::fixture_passphrase);
  }
  SECTION("a trailing newline is part of the key (documented)") {
    std::ofstream(file, std::ios::binary) << test::fixture_passphrase << '\n';
    CHECK(bs::load_master_key(file.string())->size() == test::fixture_passphrase.size() + 1);
  }
  SECTION("the environment when no file is given") {
    ::setenv("BLUESKY_KEY", "bluesky-fixture-passphrase", 1);
    auto k = bs::load_master_key(std::nullopt);
    REQUIRE(k);
    CHECK(as_chars(*k) == test::fixture_passphrase);
  }
  SECTION("no key, an unreadable file, an empty key: bad_key") {
    CHECK(bs::load_master_key(std::nullopt).error() == errc::bad_key);
    CHECK(bs::load_master_key((dir.path() / "missing").string()).error() == errc::bad_key);
    CHECK(bs::load_master_key(dir.path().string()).error() == errc::bad_key);  // a directory
    std::ofstream(file, std::ios::trunc);
    CHECK(bs::load_master_key(file.string()).error() == errc::bad_key);
    ::setenv("BLUESKY_KEY", "", 1);
    CHECK(bs::load_master_key(std::nullopt).error() == errc::bad_key);
  }
}
