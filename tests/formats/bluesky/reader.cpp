// SPDX-License-Identifier: BSL-1.0
// The reader (docs/format.md, section 10): every fixture stage reads back as the
// fixtures README says; ranged reads; tag enforcement; clear errors naming what and
// where for missing and corrupt objects.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/verify.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/error_text.hpp"
#include "support/fixtures.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

namespace {

template <class Reader>
void walk(Reader& r, std::uint64_t inum, const std::string& path, test::expected_tree& out) {
  auto rec = r.load_inode(inum);
  INFO(test::error_text(rec));
  REQUIRE(rec);
  switch (rec->node.type) {
    case file_type::directory:
      out.directories.push_back(path.empty() ? "/" : path);
      for (const auto& e : rec->node.entries) walk(r, e.inum, path + "/" + e.name, out);
      break;
    case file_type::regular: {
      auto data = r.read_file(*rec);
      INFO(test::error_text(data));
      REQUIRE(data);
      out.files[path] = *data;
      break;
    }
    case file_type::symlink:
      out.symlinks[path] = rec->node.target;
      break;
    default:
      FAIL("unexpected file type");
  }
}

template <class Store, class Cipher>
test::expected_tree read_tree(Store& store, const Cipher& c) {
  auto r = reader<Store, Cipher>::open(store, c);
  INFO((r ? std::string() : r.error().what));
  REQUIRE(r);
  test::expected_tree t;
  walk(*r, root_inum, "", t);
  std::sort(t.directories.begin(), t.directories.end());
  return t;
}

}  // namespace

TEST_CASE("every fixture stage reads back exactly as the fixtures README lists",
          "[formats][bluesky][reader][fixtures]") {
  const auto key = test::fixture_cipher();
  const no_cipher none;
  for (const auto& stage : test::fixture_stages()) {
    INFO(stage.string());
    auto store = file_store::open(stage);
    REQUIRE(store);
    const auto got = test::is_nocrypto(stage) ? read_tree(*store, none) : read_tree(*store, key);
    const auto want = test::expected_for(stage);
    CHECK(got.directories == want.directories);
    CHECK(got.symlinks == want.symlinks);
    REQUIRE(got.files.size() == want.files.size());
    for (const auto& [path, contents] : want.files) {
      INFO(path);
      REQUIRE(got.files.count(path));
      CHECK(got.files.at(path) == contents);
    }
  }
}

TEST_CASE("the reader takes the last checkpoint of the newest directory-0 segment",
          "[formats][bluesky][reader]") {
  const auto key = test::fixture_cipher();
  auto store = file_store::open(test::fixtures_dir() / "main" / "stage6-merge2");
  REQUIRE(store);
  auto r = reader<file_store, bluesky::cipher>::open(*store, key);
  REQUIRE(r);
  CHECK(r->newest_segment().name == "log-00000000-00000003");
  CHECK(r->current_root().self.where == location{0, 3, 1654, 157});
  CHECK(r->current_root().payload.version_of(1) == 5u);
  CHECK(r->inode_map().size() == 6);
  CHECK(r->lookup("/subdir/nested.txt").value() == 5);
  CHECK(r->lookup("subdir//nested.txt/").value() == 5);
  CHECK(r->lookup("/").value() == 1);
  CHECK(r->lookup("/nope").error() == make_error_code(std::errc::no_such_file_or_directory));
  CHECK(r->lookup("/hello.txt/x").error() == make_error_code(std::errc::not_a_directory));
}

TEST_CASE("reads fetch only the needed item ranges", "[formats][bluesky][reader]") {
  const auto key = test::fixture_cipher();
  memory_store mem;
  test::load_stage(mem, test::fixtures_dir() / "main" / "stage6-merge2");
  test::recording_store<memory_store> store(mem);
  auto r = reader<test::recording_store<memory_store>, bluesky::cipher>::open(store, key);
  REQUIRE(r);
  // Opening: the newest segment whole, then the one imap block (329 bytes).
  REQUIRE(store.reads.size() == 2);
  CHECK(store.reads[0].name == "log-00000000-00000003");
  CHECK(store.reads[0].length == whole_object);
  CHECK(store.reads[1].length == 329);
  store.reads.clear();
  auto hello = r->load_inode(2);
  REQUIRE(hello);
  auto data = r->read_file(*hello);
  REQUIRE(data);
  CHECK(as_chars(*data) == "Hello, BlueSky!\n");
  REQUIRE(store.reads.size() == 2);
  CHECK(store.reads[0].length == 205);  // the inode item
  CHECK(store.reads[1].name == "log-00000001-00000004");
  CHECK(store.reads[1].offset == 0);
  CHECK(store.reads[1].length == 105);  // the data item
  // A range of big.bin: only block 1's item, read in one request.
  store.reads.clear();
  auto big = r->load_inode(3);
  REQUIRE(big);
  store.reads.clear();
  auto part = r->read_file(*big, 40000, 100);
  REQUIRE(part);
  const auto want = test::big_overwritten();
  CHECK(*part == bytes(want.begin() + 40000, want.begin() + 40100));
  REQUIRE(store.reads.size() == 1);
  CHECK(store.reads[0].offset == 32962);
  CHECK(store.reads[0].length == 32857);
  // The whole file: its four adjacent items coalesced into one ranged read.
  store.reads.clear();
  CHECK(r->read_file(*big).value() == test::big_overwritten());
  REQUIRE(store.reads.size() == 1);
  CHECK(store.reads[0].offset == 105);
  CHECK(store.reads[0].length == 3 * 32857 + 1785);
}

TEST_CASE("sparse files read their null links as zeros, after any restart",
          "[formats][bluesky][reader]") {
  const auto key = test::fixture_cipher();
  auto store = file_store::open(test::fixtures_dir() / "sparse" / "final");
  REQUIRE(store);
  auto r = reader<file_store, bluesky::cipher>::open(*store, key);
  REQUIRE(r);
  auto n = r->lookup("/sparse.bin");
  REQUIRE(n);
  auto rec = r->load_inode(*n);
  REQUIRE(rec);
  REQUIRE(rec->blocks.size() == 4);
  CHECK(rec->blocks[0].is_null());
  CHECK(rec->blocks[1].is_null());
  CHECK_FALSE(rec->blocks[2].is_null());
  CHECK(rec->blocks[3].is_null());
  CHECK(r->read_file(*rec).value() == test::sparse_contents());
  const auto want = test::sparse_contents();
  CHECK(r->read_file(*rec, 69995, 20).value() == bytes(want.begin() + 69995, want.begin() + 70015));
  CHECK(r->read_file(*rec, 0, 10).value() == bytes(10));
}

TEST_CASE("without a key, encrypted items are an error saying a key is needed",
          "[formats][bluesky][reader]") {
  const no_cipher none;
  auto store = file_store::open(test::fixtures_dir() / "main" / "stage1-write");
  REQUIRE(store);
  auto r = reader<file_store, no_cipher>::open(*store, none);
  REQUIRE(r);  // checkpoint and imap blocks are in clear
  auto rec = r->load_inode(2);
  REQUIRE_FALSE(rec);
  CHECK(rec.error() == make_error_code(errc::bad_key));
  CHECK_THAT(rec.error().what, Catch::Contains("inode 2") &&
                                   Catch::Contains("log-00000000-00000000 @105") &&
                                   Catch::Contains("a key is needed"));
}

TEST_CASE("with a key, tags are enforced", "[formats][bluesky][reader]") {
  const auto key = test::fixture_cipher();
  SECTION("a wrong key fails the first tag check") {
    auto wrong = bluesky::cipher::from_master(as_bytes("not-the-fixture-passphrase"));
    REQUIRE(wrong);
    auto store = file_store::open(test::fixtures_dir() / "main" / "stage2-overwrite");
    REQUIRE(store);
    auto r = reader<file_store, bluesky::cipher>::open(*store, *wrong);
    REQUIRE_FALSE(r);
    CHECK(r.error() == make_error_code(errc::bad_tag));
  }
  SECTION("crypto-off items carry no tag: a key refuses them") {
    auto store = file_store::open(test::fixtures_dir() / "nocrypto" / "stage1-write");
    REQUIRE(store);
    auto r = reader<file_store, bluesky::cipher>::open(*store, key);
    REQUIRE_FALSE(r);
    CHECK(r.error() == make_error_code(errc::bad_tag));
    CHECK_THAT(r.error().what, Catch::Contains("checkpoint at log-00000000-00000000"));
  }
  SECTION("a flipped ciphertext bit in a data block") {
    memory_store mem;
    test::load_stage(mem, test::fixtures_dir() / "main" / "stage6-merge2");
    auto seg = mem.read("log-00000001-00000004", 0, whole_object).value();
    seg[105 + 89 + 10] ^= std::byte{1};  // block 0 of big.bin, inside the payload
    REQUIRE(mem.write("log-00000001-00000004", seg));
    auto r = reader<memory_store, bluesky::cipher>::open(mem, key);
    REQUIRE(r);
    auto rec = r->load_inode(3);
    REQUIRE(rec);
    auto data = r->read_file(*rec);
    REQUIRE_FALSE(data);
    CHECK(data.error() == make_error_code(errc::bad_tag));
    CHECK_THAT(data.error().what,
               Catch::Contains("block 0 of inode 3") && Catch::Contains("log-00000001-00000004"));
  }
}

TEST_CASE("a missing or corrupt object is a clear error naming what and where",
          "[formats][bluesky][reader]") {
  const auto key = test::fixture_cipher();
  memory_store mem;
  test::load_stage(mem, test::fixtures_dir() / "main" / "stage6-merge2");
  SECTION("a missing segment") {
    REQUIRE(mem.remove("log-00000001-00000004"));
    auto r = reader<memory_store, bluesky::cipher>::open(mem, key);
    REQUIRE(r);
    auto rec = r->load_inode(5);
    REQUIRE(rec);
    auto data = r->read_file(*rec);
    REQUIRE_FALSE(data);
    CHECK(data.error() == make_error_code(errc::dangling_link));
    CHECK(data.error().what ==
          "block 0 of inode 5 at log-00000001-00000004 @100461 (110 bytes): segment or range "
          "does not exist");
  }
  SECTION("a segment cut short") {
    auto seg = mem.read("log-00000001-00000004", 0, 50000).value();
    REQUIRE(mem.write("log-00000001-00000004", seg));
    auto r = reader<memory_store, bluesky::cipher>::open(mem, key);
    REQUIRE(r);
    auto data = r->read_file(r->load_inode(3).value());
    REQUIRE_FALSE(data);
    CHECK(data.error() == make_error_code(errc::dangling_link));
    CHECK_THAT(data.error().what, Catch::Contains("block 1 of inode 3"));
  }
  SECTION("a link to an item with another id") {
    auto seg = mem.read("log-00000000-00000003", 0, whole_object).value();
    seg[247 + 53] ^= std::byte{1};  // the id of inode 2's item
    REQUIRE(mem.write("log-00000000-00000003", seg));
    auto r = reader<memory_store, bluesky::cipher>::open(mem, key);
    REQUIRE(r);
    auto rec = r->load_inode(2);
    REQUIRE_FALSE(rec);
    CHECK(rec.error() == make_error_code(errc::dangling_link));
    CHECK_THAT(rec.error().what, Catch::Contains("inode 2 at log-00000000-00000003 @247") &&
                                     Catch::Contains("has id"));
  }
  SECTION("no directory-0 segment, or none with a checkpoint") {
    memory_store empty;
    auto r = reader<memory_store, bluesky::cipher>::open(empty, key);
    REQUIRE_FALSE(r);
    CHECK(r.error() == make_error_code(errc::no_checkpoint));
    // A newest segment without a checkpoint that no writer could have sealed (one
    // small item): damage, never a reason to go back to the older checkpoint.
    auto first_item = mem.read("log-00000001-00000004", 0, 105).value();
    REQUIRE(mem.write("log-00000000-00000009", first_item));
    auto r2 = reader<memory_store, bluesky::cipher>::open(mem, key);
    REQUIRE_FALSE(r2);
    CHECK(r2.error() == make_error_code(errc::damaged_log));
    CHECK_THAT(r2.error().what,
               Catch::Contains("log-00000000-00000009 ends @105 without a checkpoint") &&
                   Catch::Contains("the newest older checkpoint ends log-00000000-00000003"));
  }
  SECTION("a corrupt newest segment") {
    auto seg = mem.read("log-00000000-00000003", 0, whole_object).value();
    const auto cp_at = test::last_item_offset(seg);
    SECTION("its checkpoint: damage, and no older root is used") {
      seg[cp_at] = std::byte{'X'};
      REQUIRE(mem.write("log-00000000-00000003", seg));
      auto r = reader<memory_store, bluesky::cipher>::open(mem, key);
      REQUIRE_FALSE(r);
      CHECK(r.error() == make_error_code(errc::damaged_log));
      CHECK_THAT(r.error().what,
                 Catch::Contains("log-00000000-00000003 @ " + std::to_string(cp_at)) &&
                     Catch::Contains("log-00000000-00000002"));
    }
    SECTION("an item before it: found when that item is read") {
      seg[0] = std::byte{'X'};
      REQUIRE(mem.write("log-00000000-00000003", seg));
      auto r = reader<memory_store, bluesky::cipher>::open(mem, key);
      REQUIRE(r);
      auto v = verify_filesystem(*r);
      REQUIRE_FALSE(v);
      CHECK(v.error() == make_error_code(errc::dangling_link));
      CHECK_THAT(v.error().what, Catch::Contains("log-00000000-00000003 @0"));
    }
  }
}

TEST_CASE("resolve_path is the one path rule: components, directories, the inode map",
          "[bluesky][reader][lookup]") {
  // root (1) holds "d" (2, a directory) and "f" (3, a file); "d" holds "x" (4, a
  // file) and "gone" (9, not in the map).
  std::map<std::uint64_t, inode> map;
  const auto dir = [](std::uint64_t inum, std::vector<dir_entry> entries) {
    inode n;
    n.type = file_type::directory;
    n.inum = inum;
    n.entries = std::move(entries);
    return n;
  };
  map[root_inum] = dir(root_inum, {{0, 2, "d"}, {1, 3, "f"}});
  map[2] = dir(2, {{0, 4, "x"}, {1, 9, "gone"}});
  map[3].inum = 3;
  map[4].inum = 4;
  const auto resolve = [&](std::string_view path) {
    return resolve_path(
        path,
        [&](std::uint64_t inum) -> result_with_info<const inode*> {
          if (!map.count(inum)) return fail(make_error_code(std::errc::io_error));
          return &map.at(inum);
        },
        [&](std::uint64_t inum) { return map.count(inum) != 0; });
  };
  // The one search of a directory by name.
  CHECK(find_entry(map[2], "x")->inum == 4u);
  CHECK(find_entry(map[2], "nope") == map[2].entries.end());
  CHECK(resolve("") == root_inum);
  CHECK(resolve("/") == root_inum);
  CHECK(resolve("/d//x/") == 4u);
  CHECK(resolve("f") == 3u);
  // Each failure returns its text.
  const auto not_dir = resolve("/f/y");
  CHECK(not_dir.error() == make_error_code(std::errc::not_a_directory));
  CHECK(not_dir.error().what == "/f/y: a component is not a directory");
  const auto missing = resolve("/d/nope");
  CHECK(missing.error() == make_error_code(std::errc::no_such_file_or_directory));
  CHECK(missing.error().what == "/d/nope: no such file or directory");
  const auto gone = resolve("/d/gone");
  CHECK(gone.error() == make_error_code(errc::dangling_link));
  CHECK(gone.error().what == "/d/gone: the entry names inode 9, which is not in the inode map");
}

TEST_CASE("blocks_read and copy_block_part: the one block arithmetic of a ranged read",
          "[bluesky][reader][blocks]") {
  // A file of 2.5 blocks; a read of 10 bytes across the first boundary.
  const std::uint64_t size = block_size * 2 + block_size / 2;
  const auto r = blocks_read(size, block_size - 4, 10);
  CHECK(r.first == 0u);
  CHECK(r.last == 1u);
  CHECK(r.end == block_size + 6);
  // Clamped to the file's end.
  const auto tail = blocks_read(size, size - 3, 100);
  CHECK(tail.first == 2u);
  CHECK(tail.last == 2u);
  CHECK(tail.end == size);
  // Each block contributes the bytes of it that fall in [offset, end).
  bytes b0(block_size, std::byte{'a'}), b1(block_size, std::byte{'b'});
  bytes out(r.end - (block_size - 4));
  copy_block_part(b0, 0, block_size - 4, r.end, out);
  copy_block_part(b1, 1, block_size - 4, r.end, out);
  CHECK(as_chars(out) == "aaaabbbbbb");
  // The text of a block of the wrong length names it and both lengths.
  const fetch_request rq{{object_id{}, location{0, 3, 200, 150}}, item_type::data, 7, 2};
  CHECK_THAT(wrong_block_length(rq, 5, size),
             Catch::EndsWith(": holds 5 bytes, expected " + std::to_string(block_size / 2)));
  // block_payload: the one check of a stored block's length.
  const auto item_of = [](std::size_t n) {
    auto it = new_item(item_type::data, 7, bytes(n, std::byte{'z'}), {}).value();
    bytes b;
    REQUIRE(append_item(b, it));
    return opened_item{location{0, 3, 200, static_cast<std::uint32_t>(b.size())}, std::move(b)};
  };
  const auto right = item_of(block_size / 2);
  const auto ok = block_payload(right, rq, size);
  REQUIRE(ok);
  CHECK(ok->size() == block_size / 2);
  const auto wrong = item_of(5);
  const auto bad = block_payload(wrong, rq, size);
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == make_error_code(errc::corrupt_payload));
  CHECK(bad.error().what == wrong_block_length(rq, 5, size));
}
