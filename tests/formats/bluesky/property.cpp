// SPDX-License-Identifier: BSL-1.0
// Property test of the writer: seeded random create / mkdir / symlink / write /
// truncate / delete / flush / reopen sequences on a memory store with the real
// cipher, against an in-memory model. After every flush and every reopen the whole
// tree (files, contents, symlinks, directories) reads back as the model says.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "formats/bluesky/helpers.hpp"
#include "support/error_text.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;

namespace {

using mem_fs = filesystem<memory_store, bluesky::cipher>;

struct model {
  std::map<std::string, bytes> files;
  std::map<std::string, std::string> symlinks;
  std::set<std::string> dirs{""};

  bool exists(const std::string& p) const {
    return files.count(p) || symlinks.count(p) || dirs.count(p);
  }
  bool empty_dir(const std::string& d) const {
    auto under = [&](const std::string& p) { return p.rfind(d + "/", 0) == 0; };
    for (const auto& [p, _] : files)
      if (under(p)) return false;
    for (const auto& [p, _] : symlinks)
      if (under(p)) return false;
    for (const auto& p : dirs)
      if (p != d && under(p)) return false;
    return true;
  }
};

// Checks that FS holds exactly what M says.
void check_matches(mem_fs& fs, const model& m) {
  std::size_t entries = 0;
  for (const auto& d : m.dirs) {
    auto l = fs.list(d);
    INFO(d << ": " << test::error_text(l));
    REQUIRE(l);
    entries += l->size();
    for (const auto& e : *l) CHECK(m.exists(d + "/" + e.name));
  }
  CHECK(entries == m.files.size() + m.symlinks.size() + m.dirs.size() - 1);
  for (const auto& [p, contents] : m.files) {
    auto got = fs.read(p);
    INFO(p << ": " << test::error_text(got));
    REQUIRE(got);
    REQUIRE(got->size() == contents.size());
    CHECK(*got == contents);
  }
  for (const auto& [p, t] : m.symlinks) CHECK(fs.readlink(p).value() == t);
  CHECK(fs.inums().size() == m.files.size() + m.symlinks.size() + m.dirs.size());
}

template <class Set>
std::string pick(const Set& s, std::mt19937_64& rng) {
  auto it = s.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(rng() % s.size()));
  if constexpr (std::is_same_v<Set, std::set<std::string>>)
    return *it;
  else
    return it->first;
}

}  // namespace

TEST_CASE("random file operations, flushes and reopens agree with an in-memory model",
          "[formats][bluesky][filesystem][property]") {
  const auto key = test::fixture_cipher();
  for (std::uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    memory_store store;
    const filesystem_options opt{.segment_target = 256 * 1024};
    auto fs = mem_fs::open(store, key, opt);
    REQUIRE(fs);
    model m, durable;
    int name_counter = 0, flushes = 0, reopens = 0;
    for (int step = 0; step < 400; ++step) {
      const auto op = rng() % 100;
      if (op < 12) {  // create
        const auto p = pick(m.dirs, rng) + "/f" + std::to_string(name_counter++);
        REQUIRE(fs->create(p));
        m.files[p] = {};
      } else if (op < 16) {  // mkdir
        const auto p = pick(m.dirs, rng) + "/d" + std::to_string(name_counter++);
        REQUIRE(fs->mkdir(p));
        m.dirs.insert(p);
      } else if (op < 19) {  // symlink
        const auto p = pick(m.dirs, rng) + "/s" + std::to_string(name_counter++);
        const auto t = "target-" + std::to_string(rng() % 1000);
        REQUIRE(fs->symlink(p, t));
        m.symlinks[p] = t;
      } else if (op < 55 && !m.files.empty()) {  // write
        const auto p = pick(m.files, rng);
        auto& f = m.files[p];
        const std::uint64_t size = f.size();
        const std::uint64_t off =
            rng() % 3 == 0 ? rng() % (size + 1) : rng() % (size + 70000);  // sometimes past EOF
        const std::size_t len = rng() % 4 == 0 ? rng() % 100000 : rng() % 5000;
        bytes data(len);
        for (auto& b : data) b = static_cast<std::byte>(rng());
        INFO("write " << p << " @" << off << " +" << len);
        REQUIRE(fs->write(p, off, data));
        if (len > 0) {
          if (off + len > f.size()) f.resize(off + len);
          std::copy(data.begin(), data.end(), f.begin() + static_cast<std::ptrdiff_t>(off));
        }
      } else if (op < 65 && !m.files.empty()) {  // truncate
        const auto p = pick(m.files, rng);
        const std::uint64_t size = rng() % 2 ? rng() % (m.files[p].size() + 1) : rng() % 150000;
        REQUIRE(fs->truncate(p, size));
        m.files[p].resize(size);
      } else if (op < 75) {  // delete a file, a symlink or an empty directory
        const auto k = rng() % 3;
        if (k == 0 && !m.files.empty()) {
          const auto p = pick(m.files, rng);
          REQUIRE(fs->remove(p));
          m.files.erase(p);
        } else if (k == 1 && !m.symlinks.empty()) {
          const auto p = pick(m.symlinks, rng);
          REQUIRE(fs->remove(p));
          m.symlinks.erase(p);
        } else if (m.dirs.size() > 1) {
          const auto p = pick(m.dirs, rng);
          if (p.empty()) continue;
          auto r = fs->remove(p);
          if (m.empty_dir(p)) {
            REQUIRE(r);
            m.dirs.erase(p);
          } else {
            CHECK(r.error() == make_error_code(std::errc::directory_not_empty));
          }
        }
      } else if (op < 90) {  // flush
        auto flushed = fs->flush();
        INFO(test::error_text(flushed));
        REQUIRE(flushed);
        durable = m;
        ++flushes;
        check_matches(*fs, m);
      } else {  // reopen: unflushed changes are gone
        fs = mem_fs::open(store, key, opt);
        REQUIRE(fs);
        m = durable;
        ++reopens;
        check_matches(*fs, m);
      }
    }
    REQUIRE(fs->flush());
    auto last = mem_fs::open(store, key, opt);
    REQUIRE(last);
    check_matches(*last, m);
    CHECK(flushes > 10);
    CHECK(reopens > 5);
  }
}
