// SPDX-License-Identifier: BSL-1.0
// delete_bench: deleting dead segments from a file store (docs/performance.md,
// "deleting"). In the same run, on the same file system, for each round:
//   batch:   file_store::remove_many of COUNT segment files (unlinks, one
//            directory fsync) — what the cleaner's delete phase does;
//   rm+sync: `rm -f` of COUNT files of the same size followed by one `sync`;
//   one-by-one: file_store::remove per file (an fsync of the directory each),
//            the cleaner's delete phase before batching.
// The files are created with plain writes and one sync before each timed step
// (their creation is not measured). Prints every round and the medians.
//
//   delete_bench [--count N (2000)] [--size BYTES (65536)] [--rounds R (3)] [--dir D]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cloudlog/backend/file_store.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Creates COUNT segment files of SIZE bytes in DIR (made empty first), then syncs.
std::vector<std::string> make_files(const std::filesystem::path& dir, std::uint32_t count,
                                    std::size_t size) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string block(size, 'x');
  std::vector<std::string> names;
  for (std::uint32_t i = 0; i < count; ++i) {
    names.push_back(cloudlog::segment_name({0, i}).value());
    std::ofstream(dir / names.back(), std::ios::binary) << block;
  }
  ::sync();
  return names;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t count = 2000;
  std::size_t size = 65536;
  int rounds = 3;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "cloudlog-delete-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--count")
      count = static_cast<std::uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    else if (a == "--size")
      size = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
  }
  std::vector<double> batch, rm, single;
  for (int r = 0; r < rounds; ++r) {
    {
      auto names = make_files(dir, count, size);
      auto store = cloudlog::file_store::open(dir).value();
      const auto t0 = clock_type::now();
      if (!store.remove_many(names)) return std::fprintf(stderr, "error: remove_many\n"), 1;
      batch.push_back(seconds_since(t0));
      if (!store.list(0).value().empty()) return std::fprintf(stderr, "error: left files\n"), 1;
    }
    {
      make_files(dir, count, size);
      const std::string cmd = "cd '" + dir.string() + "' && rm -f log-* && sync";
      const auto t0 = clock_type::now();
      if (std::system(cmd.c_str()) != 0) return std::fprintf(stderr, "error: rm\n"), 1;
      rm.push_back(seconds_since(t0));
    }
    {
      auto names = make_files(dir, count, size);
      auto store = cloudlog::file_store::open(dir).value();
      const auto t0 = clock_type::now();
      for (const auto& n : names)
        if (!store.remove(n)) return std::fprintf(stderr, "error: remove\n"), 1;
      single.push_back(seconds_since(t0));
    }
    std::printf("round %d: batch %.3f s, rm+sync %.3f s, one-by-one %.3f s\n", r + 1, batch.back(),
                rm.back(), single.back());
  }
  std::filesystem::remove_all(dir);
  const double b = median(batch), m = median(rm), s = median(single);
  std::printf(
      "median of %d (%u files of %zu bytes): batch %.3f s, rm+sync %.3f s (batch / rm+sync "
      "= %.2f), one-by-one %.3f s\n",
      rounds, count, size, b, m, m > 0 ? b / m : 0.0, s);
  return 0;
}
