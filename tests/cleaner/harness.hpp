// SPDX-License-Identifier: BSL-1.0
// Test harness for cleaning BlueSky end to end: a proxy (filesystem) driven by a
// seeded workload, an in-memory model of every file, and read-back checks.
#ifndef CLOUDLOG_TESTS_CLEANER_HARNESS_HPP
#define CLOUDLOG_TESTS_CLEANER_HARNESS_HPP

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"

namespace cloudlog::test {

namespace bs = cloudlog::bluesky;

inline const bs::cipher& harness_cipher() {
  static const auto c = bs::cipher::from_master(as_bytes("bluesky-fixture-passphrase")).value();
  return c;
}

// Path -> contents of every regular file the proxy should hold.
using file_model = std::map<std::string, bytes>;

// Random writes against a filesystem and the model in step.
class workload {
 public:
  explicit workload(std::uint64_t seed) : rng_(seed) {}

  bytes random_bytes(std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = std::byte(rng_() & 0xff);
    return b;
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  // Creates FILES files of up to MAX_SIZE bytes under a few directories.
  template <class Fs>
  void populate(Fs& fs, file_model& model, int files, std::size_t max_size) {
    for (int d = 0; d < 3; ++d) {
      const auto dir = "/d" + std::to_string(d);
      if (!fs.lookup(dir)) REQUIRE(fs.mkdir(dir));
    }
    for (int i = 0; i < files; ++i) {
      const auto path = "/d" + std::to_string(i % 3) + "/f" + std::to_string(next_name_++);
      REQUIRE(fs.create(path));
      auto data = random_bytes(below(max_size));
      REQUIRE(fs.write(path, 0, data));
      model[path] = data;
    }
  }

  // OPS random overwrites (some extending, some truncating, some deletes and creates),
  // flushing every FLUSH_EVERY operations and at the end.
  template <class Fs>
  void churn(Fs& fs, file_model& model, int ops, int flush_every, std::size_t max_write) {
    for (int op = 0; op < ops; ++op) {
      if (model.empty()) populate(fs, model, 2, max_write);
      auto it = std::next(model.begin(), static_cast<std::ptrdiff_t>(below(model.size())));
      const auto& path = it->first;
      auto& content = it->second;
      const auto kind = below(20);
      if (kind == 0) {
        REQUIRE(fs.remove(path));
        model.erase(it);
      } else if (kind == 1) {
        const auto size = below(content.size() + 1);
        REQUIRE(fs.truncate(path, size));
        content.resize(size);
      } else if (kind == 2) {
        populate(fs, model, 1, max_write);
      } else {
        const auto off = below(content.size() + 1);
        auto data = random_bytes(1 + below(max_write));
        REQUIRE(fs.write(path, off, data));
        if (content.size() < off + data.size()) content.resize(off + data.size());
        std::copy(data.begin(), data.end(), content.begin() + static_cast<std::ptrdiff_t>(off));
      }
      if ((op + 1) % flush_every == 0) REQUIRE(fs.flush());
    }
    REQUIRE(fs.flush());
  }

 private:
  std::mt19937_64 rng_;
  int next_name_ = 0;
};

// Every file of MODEL reads back identically from FS, and FS has no other file.
template <class Fs>
void check_reads(Fs& fs, const file_model& model) {
  for (const auto& [path, content] : model) {
    INFO(path);
    auto got = fs.read(path);
    REQUIRE(got);
    CHECK(*got == content);
  }
  std::size_t files = 0;
  for (int d = 0; d < 3; ++d) {
    auto entries = fs.list("/d" + std::to_string(d));
    if (entries) files += entries->size();
  }
  CHECK(files == model.size());
}

// A proxy restarted on STORE reads every file of MODEL back.
template <class Store>
void check_reopen(Store& store, const file_model& model) {
  auto fs = bs::filesystem<Store, bs::cipher>::open(store, harness_cipher());
  INFO((fs ? std::string() : fs.error().what));
  REQUIRE(fs);
  check_reads(*fs, model);
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_CLEANER_HARNESS_HPP
