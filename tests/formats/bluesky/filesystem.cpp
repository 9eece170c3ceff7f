// SPDX-License-Identifier: BSL-1.0
// The writer (docs/format.md, section 11): changes flush as directory-0 segments in
// the proxy's order, sealed with the cipher, 4 MiB target; reopening continues the
// sequence; deletes leave the inode map; the version vector is preserved.
#include <catch2/catch.hpp>

#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/verify.hpp"
#include "cloudlog/log/segment.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/error_text.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

namespace {

using mem_fs = filesystem<memory_store, bluesky::cipher>;

bytes pattern(std::size_t n, unsigned seed) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>((i * 131 + seed * 7) % 256);
  return b;
}

// (type digit, inum) of every item of segment NAME.
std::vector<std::pair<char, std::uint64_t>> items_of(memory_store& store, const std::string& name) {
  auto data = store.read(name, 0, whole_object).value();
  auto items = parse_segment<layout>(data);
  REQUIRE(items);
  std::vector<std::pair<char, std::uint64_t>> out;
  for (const auto& it : *items) out.push_back({static_cast<char>(it.type()), it.owner()});
  return out;
}

}  // namespace

TEST_CASE("a new filesystem flushes in the proxy's order and reads back after a reopen",
          "[formats][bluesky][filesystem]") {
  const auto key = test::fixture_cipher();
  memory_store store;
  auto fs = mem_fs::open(store, key);
  REQUIRE(fs);
  REQUIRE(fs->mkdir("/d"));
  auto f = fs->create("/d/f.bin");
  REQUIRE(f);
  const auto contents = pattern(70000, 1);
  REQUIRE(fs->write(*f, 0, contents));
  REQUIRE(fs->symlink("/l", "d/f.bin"));
  CHECK(fs->read(*f).value() == contents);  // unflushed data reads back
  auto rep = fs->flush();
  REQUIRE(rep);
  CHECK(rep->segments == 1);
  CHECK(rep->data_items == 3);
  CHECK(rep->inode_items == 4);
  CHECK(rep->imap_items == 1);
  CHECK(rep->checkpoints == 1);
  // Per dirty inode (ascending): its data blocks then the inode; the imap; the checkpoint.
  const std::vector<std::pair<char, std::uint64_t>> order = {
      {'2', 1}, {'2', 2}, {'1', 3}, {'1', 3}, {'1', 3}, {'2', 3}, {'2', 4}, {'3', 0}, {'4', 0}};
  CHECK(items_of(store, "log-00000000-00000000") == order);
  // Sealed with the cipher: DATA/INODE encrypted, everything tagged.
  auto seg = store.read("log-00000000-00000000", 0, whole_object).value();
  const auto items = parse_segment<layout>(seg).value();
  for (const auto& it : items) {
    const bool enc = it.type() == '1' || it.type() == '2';
    CHECK((it.header().magic == (enc ? magic_encrypted : magic_plain)));
    CHECK(key.verify(it.bytes()) == tag_status::ok);
  }
  CHECK_FALSE(fs->dirty());
  CHECK(fs->flush().value().segments == 0);  // nothing dirty: nothing written

  auto again = mem_fs::open(store, key);
  REQUIRE(again);
  CHECK(again->read("/d/f.bin").value() == contents);
  CHECK(again->readlink("/l").value() == "d/f.bin");
  CHECK(again->list("/").value().size() == 2);
  CHECK(again->next_sequence() == 1);
  // And the independent reader agrees.
  auto r = reader<memory_store, bluesky::cipher>::open(store, key);
  REQUIRE(r);
  CHECK(r->read_file(r->load_inode(r->lookup("/d/f.bin").value()).value()).value() == contents);
}

TEST_CASE("segments are sealed once they exceed the target after an append",
          "[formats][bluesky][filesystem]") {
  const auto key = test::fixture_cipher();
  memory_store store;
  auto fs = mem_fs::open(store, key);
  REQUIRE(fs);
  auto f = fs->create("/big");
  REQUIRE(f);
  REQUIRE(fs->write(*f, 0, pattern(10 << 20, 3)));
  auto rep = fs->flush();
  REQUIRE(rep);
  auto segs = store.list(0).value();
  REQUIRE(segs.size() == 3);
  CHECK(rep->segments == 3);
  for (std::size_t i = 0; i < segs.size(); ++i) {
    CHECK(segs[i].id.sequence == i);
    auto data = store.read(segs[i].name, 0, whole_object).value();
    auto items = parse_segment<layout>(data).value();
    if (i + 1 < segs.size()) {
      CHECK(data.size() > proxy_segment_target);                         // sealed after exceeding
      CHECK(data.size() - items.back().size() <= proxy_segment_target);  // not before
    }
  }
  CHECK(items_of(store, segs.back().name).back().first == '4');  // the checkpoint last
  auto again = mem_fs::open(store, key);
  REQUIRE(again);
  CHECK(again->read("/big").value() == pattern(10 << 20, 3));
}

TEST_CASE("an existing store continues its sequence and keeps its version vector",
          "[formats][bluesky][filesystem][fixtures]") {
  const auto key = test::fixture_cipher();
  test::temp_dir dir;
  test::copy_stage(test::fixtures_dir() / "main" / "stage4-merge1-vacuous", dir.path());
  auto store = file_store::open(dir.path());
  REQUIRE(store);
  using file_fs = filesystem<file_store, bluesky::cipher>;
  auto fs = file_fs::open(*store, key);
  REQUIRE(fs);
  CHECK(fs->merged_cleaner_sequence() == 2u);
  CHECK(fs->next_sequence() == 3);
  auto n = fs->create("/subdir/new.txt", 0600);
  REQUIRE(n);
  REQUIRE(fs->write(*n, 0, as_bytes("fresh\n")));
  REQUIRE(fs->flush());
  CHECK(std::filesystem::exists(dir.path() / "log-00000000-00000003"));
  auto r = reader<file_store, bluesky::cipher>::open(*store, key);
  REQUIRE(r);
  CHECK(r->current_root().payload.version_of(1) == 2u);  // (1, 2) preserved
  auto again = file_fs::open(*store, key);
  REQUIRE(again);
  CHECK(as_chars(again->read("/subdir/new.txt").value()) == "fresh\n");
  CHECK(again->read("/big.bin").value() == test::big_overwritten());
  CHECK(again->read("/hello.txt").value() == to_bytes("Hello, BlueSky!\n"));
  CHECK(again->stat(*n).value().mode == 0600);
}

TEST_CASE("deleting a file removes it from its directory and from the inode map",
          "[formats][bluesky][filesystem]") {
  const auto key = test::fixture_cipher();
  memory_store store;
  auto fs = mem_fs::open(store, key);
  REQUIRE(fs);
  auto a = fs->create("/a");
  auto b = fs->create("/b");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(fs->write(*a, 0, as_bytes("aaa")));
  REQUIRE(fs->flush());
  REQUIRE(fs->remove("/a"));
  CHECK(fs->lookup("/a").error() == make_error_code(std::errc::no_such_file_or_directory));
  CHECK(fs->stat(*a).error() == make_error_code(std::errc::no_such_file_or_directory));
  REQUIRE(fs->flush());
  auto r = reader<memory_store, bluesky::cipher>::open(store, key);
  REQUIRE(r);
  CHECK(r->inode_map().count(*a) == 0);
  CHECK(r->inode_map().count(*b) == 1);
  CHECK(r->lookup("/a").error() == make_error_code(std::errc::no_such_file_or_directory));
  SECTION("a range left empty disappears from the checkpoint") {
    // Inode numbers are not reused while the highest lives: fill range 0 past 4096.
    auto fs2 = mem_fs::open(store, key);
    REQUIRE(fs2);
    std::vector<std::string> names;
    for (int i = 0; i < 4100; ++i) REQUIRE(fs2->create("/n" + std::to_string(i)));
    REQUIRE(fs2->flush());
    auto r2 = reader<memory_store, bluesky::cipher>::open(store, key);
    REQUIRE(r2);
    CHECK(r2->current_root().payload.ranges.size() == 2);
    for (int i = 4080; i < 4100; ++i) {
      const auto inum = fs2->lookup("/n" + std::to_string(i)).value();
      if (inum >= 4096) REQUIRE(fs2->remove("/n" + std::to_string(i)));
    }
    REQUIRE(fs2->flush());
    auto r3 = reader<memory_store, bluesky::cipher>::open(store, key);
    REQUIRE(r3);
    CHECK(r3->current_root().payload.ranges == std::vector<inode_range>{{0, 4095}});
  }
}

TEST_CASE("truncate shrinks and grows files; gaps are holes stored as null links",
          "[formats][bluesky][filesystem]") {
  const auto key = test::fixture_cipher();
  memory_store store;
  auto fs = mem_fs::open(store, key);
  REQUIRE(fs);
  auto f = fs->create("/f");
  REQUIRE(f);
  auto model = pattern(100000, 9);
  REQUIRE(fs->write(*f, 0, model));
  REQUIRE(fs->flush());
  SECTION("shrink inside a block, then grow past several blocks") {
    REQUIRE(fs->truncate(*f, 40000));
    model.resize(40000);
    REQUIRE(fs->truncate(*f, 200000));
    model.resize(200000);
    CHECK(fs->read(*f).value() == model);
    REQUIRE(fs->flush());
    auto again = mem_fs::open(store, key);
    REQUIRE(again);
    CHECK(again->read(*f).value() == model);
    auto r = reader<memory_store, bluesky::cipher>::open(store, key);
    auto rec = r->load_inode(*f).value();
    REQUIRE(rec.blocks.size() == 7);
    CHECK_FALSE(rec.blocks[1].is_null());  // the cut block, padded to 32 KiB
    for (int i = 2; i < 7; ++i) CHECK(rec.blocks[i].is_null());
  }
  SECTION("a write past the end leaves a hole") {
    REQUIRE(fs->write(*f, 300000, as_bytes("tail")));
    model.resize(300004);
    std::copy_n(as_bytes("tail").begin(), 4, model.begin() + 300000);
    REQUIRE(fs->flush());
    auto again = mem_fs::open(store, key);
    REQUIRE(again);
    CHECK(again->read(*f).value() == model);
    CHECK(again->read(*f, 299998, 10).value() == bytes(model.begin() + 299998, model.end()));
  }
  SECTION("truncate to zero") {
    REQUIRE(fs->truncate(*f, 0));
    REQUIRE(fs->flush());
    auto again = mem_fs::open(store, key);
    CHECK(again->read(*f).value().empty());
    CHECK(again->stat(*f).value().size == 0);
  }
  SECTION("a partial overwrite reads the old block first") {
    REQUIRE(fs->write(*f, 32760, as_bytes("0123456789abcdef")));
    std::copy_n(as_bytes("0123456789abcdef").begin(), 16, model.begin() + 32760);
    REQUIRE(fs->flush());
    auto again = mem_fs::open(store, key);
    CHECK(again->read(*f).value() == model);
  }
}

TEST_CASE("file operations fail with their own codes", "[formats][bluesky][filesystem]") {
  const no_cipher none;
  memory_store store;
  auto fs = filesystem<memory_store, no_cipher>::open(store, none);
  REQUIRE(fs);
  REQUIRE(fs->mkdir("/d"));
  REQUIRE(fs->create("/d/f"));
  const auto d = fs->lookup("/d").value();
  CHECK(fs->create("/d/f").error() == make_error_code(std::errc::file_exists));
  CHECK(fs->create("/nope/f").error() == make_error_code(std::errc::no_such_file_or_directory));
  CHECK(fs->create("/d/f/g").error() == make_error_code(std::errc::not_a_directory));
  CHECK(fs->create("/").error() == make_error_code(errc::invalid_argument));
  CHECK(fs->remove("/d").error() == make_error_code(std::errc::directory_not_empty));
  CHECK(fs->remove("/").error() == make_error_code(errc::invalid_argument));
  CHECK(fs->remove("/zz").error() == make_error_code(std::errc::no_such_file_or_directory));
  CHECK(fs->write(d, 0, as_bytes("x")).error() == make_error_code(std::errc::is_a_directory));
  CHECK(fs->read(d).error() == make_error_code(std::errc::is_a_directory));
  CHECK(fs->readlink("/d").error() == make_error_code(std::errc::invalid_argument));
  CHECK(fs->list("/d/f").error() == make_error_code(std::errc::not_a_directory));
  CHECK(fs->truncate(fs->lookup("/d/f").value(), max_file_size + 1).error() ==
        make_error_code(errc::invalid_argument));
  CHECK(fs->symlink("/s", "").error() == make_error_code(errc::invalid_argument));
  REQUIRE(fs->remove("/d/f"));
  REQUIRE(fs->remove("/d"));
  // Without a key the writer writes clear items (what BLUESKY_OPT_NO_CRYPTO did,
  // but with zero tag and IV bytes instead of stack garbage).
  REQUIRE(fs->flush());
  auto seg = store.read("log-00000000-00000000", 0, whole_object).value();
  const auto items = parse_segment<layout>(seg).value();
  for (const auto& it : items) {
    CHECK((it.header().magic == magic_plain));
    CHECK(none.verify(it.bytes()) == tag_status::zero);
  }
}

TEST_CASE("a failed flush changes nothing and the next one reuses the segment names",
          "[formats][bluesky][filesystem]") {
  const auto key = test::fixture_cipher();
  memory_store mem;
  fault_injecting_store<memory_store&> store(mem);
  using fault_fs = filesystem<fault_injecting_store<memory_store&>, bluesky::cipher>;
  auto fs = fault_fs::open(store, key, {.segment_target = 100000});
  REQUIRE(fs);
  REQUIRE(fs->flush());
  auto f = fs->create("/f");
  REQUIRE(f);
  REQUIRE(fs->write(*f, 0, pattern(300000, 4)));
  const auto seq = fs->next_sequence();
  store.fail_call(store.calls() + 2);  // the second segment upload fails
  auto rep = fs->flush();
  REQUIRE_FALSE(rep);
  CHECK(rep.error() == make_error_code(errc::injected_fault));
  CHECK(rep.error().what == "cannot write " + segment_name({proxy_directory, seq + 1}).value() +
                                ": " + make_error_code(errc::injected_fault).message());
  CHECK(fs->dirty());
  CHECK(fs->next_sequence() == seq);
  CHECK(fs->read(*f).value() == pattern(300000, 4));
  store.heal();
  REQUIRE(fs->flush());
  auto again = fault_fs::open(store, key);
  REQUIRE(again);
  CHECK(again->read("/f").value() == pattern(300000, 4));
}

TEST_CASE("a directory entry naming an inode the map lacks is dangling_link, not a crash",
          "[formats][bluesky][filesystem]") {
  // nocrypto/stage1-write plus a segment 0/1 whose imap block drops inode 5
  // (/subdir/nested.txt) and whose checkpoint links it.
  const no_cipher none;
  memory_store store;
  test::load_stage(store, test::fixtures_dir() / "nocrypto" / "stage1-write");
  auto seg0 = store.read("log-00000000-00000000", 0, whole_object).value();
  auto imap_view = parse_item<layout>(seg0, 101896).value();
  item<layout> imap = item<layout>::from_view(imap_view);
  imap.payload = encode_imap_block({1, 2, 3, 4, 6});
  imap.links.erase(imap.links.begin() + 4);
  bytes seg1;
  REQUIRE(append_item(seg1, imap));
  REQUIRE(none.seal(seg1));
  item<layout> cp;
  cp.header.magic = magic_plain;
  cp.header.type = type_byte(item_type::checkpoint);
  cp.header.id = random_object_id().value();
  cp.payload = encode_checkpoint({{}, {{0, 4095}}});
  cp.links = {{imap.header.id, location{0, 1, 0, static_cast<std::uint32_t>(seg1.size())}}};
  const auto at = seg1.size();
  REQUIRE(append_item(seg1, cp));
  REQUIRE(none.seal(mutable_byte_view(seg1).subspan(at)));
  REQUIRE(store.write("log-00000000-00000001", seg1));

  auto fs = filesystem<memory_store, no_cipher>::open(store, none);
  REQUIRE(fs);
  CHECK(as_chars(fs->read("/hello.txt").value()) == "Hello, BlueSky!\n");
  auto n = fs->lookup("/subdir/nested.txt");
  REQUIRE_FALSE(n);
  CHECK(n.error() == make_error_code(errc::dangling_link));
  CHECK_THAT(n.error().what, Catch::Contains("inode 5"));
  auto r = reader<memory_store, no_cipher>::open(store, none);
  REQUIRE(r);
  CHECK(r->lookup("/subdir/nested.txt").error() == make_error_code(errc::dangling_link));
  auto v = verify_filesystem(*r);
  REQUIRE_FALSE(v);
  CHECK(v.error() == make_error_code(errc::dangling_link));
  CHECK_THAT(v.error().what, Catch::Contains("'nested.txt' names inode 5"));
}

TEST_CASE(
    "a flush interrupted between any two of its segments loses nothing durable, and "
    "merge seals it with a fresh checkpoint",
    "[formats][bluesky][filesystem][crash]") {
  const auto key = test::fixture_cipher();
  memory_store mem;
  fault_injecting_store<memory_store&> store(mem);
  using fault_fs = filesystem<fault_injecting_store<memory_store&>, bluesky::cipher>;
  const filesystem_options opt{.segment_target = 100000};
  const auto before = pattern(50000, 1);
  {
    auto fs = fault_fs::open(store, key, opt);
    REQUIRE(fs);
    REQUIRE(fs->write(fs->create("/f").value(), 0, before));
    REQUIRE(fs->flush());
  }
  const auto durable = mem.snapshot();
  auto after = before;
  const auto more = pattern(300000, 2);
  after.resize(350000);
  std::copy(more.begin(), more.end(), after.begin() + 50000);
  for (std::uint64_t k = 0;; ++k) {
    INFO("crash after " << k << " uploads");
    mem.restore(durable);
    store.heal();
    auto fs = fault_fs::open(store, key, opt);
    REQUIRE(fs);
    REQUIRE(fs->write("/f", 50000, more));
    store.crash_after(store.calls() + k);
    const bool done = fs->flush().has_value();
    store.heal();
    const auto orphans = done ? 0 : k;
    // Every reader knowing the writer's segment target opens at the last complete
    // checkpoint and says which segments it skipped...
    const root_rule rule{opt.segment_target, std::nullopt};
    auto r = reader<memory_store, bluesky::cipher>::open(mem, key, rule);
    REQUIRE(r);
    CHECK(r->found().skipped.size() == orphans);
    // ...one assuming the proxy's 4 MiB segments cannot tell them from damage, and
    // refuses rather than going back.
    auto proxy = reader<memory_store, bluesky::cipher>::open(mem, key);
    CHECK(proxy.has_value() == (orphans == 0));
    if (!proxy) CHECK(proxy.error() == make_error_code(errc::damaged_log));
    // The writer continues after the orphans; with nothing to merge, merge writes
    // the fresh checkpoint that makes the proxy's rule hold again.
    auto again = filesystem<memory_store, bluesky::cipher>::open(mem, key, opt);
    REQUIRE(again);
    CHECK(again->read("/f").value() == (done ? after : before));
    CHECK(again->next_sequence() == mem.list(0).value().back().id.sequence + 1);
    auto m = merge_cleaner_output(*again);
    REQUIRE(m);
    CHECK_FALSE(m->merged);
    CHECK(m->sealed_interrupted_flush == (orphans > 0));
    CHECK(m->flush.checkpoints == (orphans > 0 ? 1u : 0u));
    auto healed = reader<memory_store, bluesky::cipher>::open(mem, key);
    REQUIRE(healed);
    CHECK(healed->found().skipped.empty());
    CHECK(healed->read_file(healed->load_inode(healed->lookup("/f").value()).value()).value() ==
          (done ? after : before));
    if (done) {
      CHECK(k >= 3);  // the flush needed several segments
      break;
    }
  }
}

TEST_CASE(
    "lookup, read and write return their failure's text with its code, on the fixtures' bytes",
    "[formats][bluesky][filesystem][fixtures]") {
  const auto key = test::fixture_cipher();
  memory_store store;
  test::load_stage(store, test::fixtures_dir() / "main" / "stage2-overwrite");
  // big.bin's block 1 where the store holds it (found through the reader), one
  // byte of its payload flipped: its tag no longer verifies.
  auto r = reader<memory_store, bluesky::cipher>::open(store, key);
  REQUIRE(r);
  const auto big = r->lookup("/big.bin").value();
  const auto rec = r->load_inode(big).value();
  REQUIRE(rec.blocks.size() == 4);
  const auto& link = rec.blocks[1];
  REQUIRE(link.where);
  const fetch_request rq{{link.id, *link.where}, item_type::data, big, 1};
  const auto name = segment_name(link.where->segment()).value();
  auto seg = store.read(name, 0, whole_object).value();
  seg[link.where->offset + link.where->size - 1] ^= std::byte{1};
  REQUIRE(store.write(name, seg));
  const auto bad_block = item_place(rq) + " (" + std::to_string(link.where->size) +
                         " bytes): " + make_error_code(errc::bad_tag).message();

  SECTION("the reader") {
    auto missing = r->lookup("/subdir/none");
    CHECK(missing.error() == make_error_code(std::errc::no_such_file_or_directory));
    CHECK(missing.error().what == "/subdir/none: no such file or directory");
    auto through = r->lookup("/hello.txt/x");
    CHECK(through.error() == make_error_code(std::errc::not_a_directory));
    CHECK(through.error().what == "/hello.txt/x: a component is not a directory");
    auto data = r->read_file(rec);
    CHECK(data.error() == make_error_code(errc::bad_tag));
    CHECK(data.error().what == bad_block);
    CHECK(r->read_file(rec, 0, 100).has_value());  // block 0 alone reads
    auto dir = r->read_file(r->load_inode(root_inum).value());
    CHECK(dir.error() == make_error_code(std::errc::is_a_directory));
    CHECK(dir.error().what == "inode 1 is a directory");
  }
  SECTION("the filesystem") {
    auto fs = mem_fs::open(store, key);
    REQUIRE(fs);
    auto missing = fs->lookup("/subdir/none");
    CHECK(missing.error() == make_error_code(std::errc::no_such_file_or_directory));
    CHECK(missing.error().what == "/subdir/none: no such file or directory");
    auto got = fs->read("/big.bin");
    CHECK(got.error() == make_error_code(errc::bad_tag));
    CHECK(got.error().what == bad_block);
    // A write into part of block 1 reads it first: the same failure, with its text.
    auto partial = fs->write("/big.bin", block_size + 10, as_bytes("xyz"));
    CHECK(partial.error() == make_error_code(errc::bad_tag));
    CHECK(partial.error().what == bad_block);
    auto nowhere = fs->write("/none/f", 0, as_bytes("x"));
    CHECK(nowhere.error() == make_error_code(std::errc::no_such_file_or_directory));
    CHECK(nowhere.error().what == "/none/f: no such file or directory");
    auto dir = fs->write(root_inum, 0, as_bytes("x"));
    CHECK(dir.error() == make_error_code(std::errc::is_a_directory));
    CHECK(dir.error().what == "inode 1 is a directory");
    auto past = fs->write(big, max_file_size, as_bytes("x"));
    CHECK(past.error() == make_error_code(errc::invalid_argument));
    CHECK(past.error().what == "write past the largest file");
    // A write over the whole of block 1 reads nothing: it replaces the damaged block.
    REQUIRE(fs->write(big, block_size, bytes(block_size, std::byte{7})));
    auto whole = fs->read("/big.bin");
    INFO(test::error_text(whole));
    REQUIRE(whole);
    CHECK(whole->size() == 100000);
    CHECK((*whole)[block_size] == std::byte{7});
  }
}
