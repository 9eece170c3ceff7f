// SPDX-License-Identifier: BSL-1.0
// delete_bench: deleting dead segments from a file store (docs/performance.md,
// "deleting"). In the same run, on the same file system, for each round:
//   batch:   file_store::remove_many of COUNT segment files (unlinks relative to
//            one directory descriptor, one directory fsync) — the cleaner's
//            delete phase;
//   rm+sync: `rm -f` of COUNT files of the same size followed by one `sync`;
//   one-by-one: file_store::remove per file (an fsync of the directory each),
//            the cleaner's delete phase before batching (first round only, unless
//            --single-every-round; it takes ~10x longer).
// The files are created with plain writes and one sync before each timed step
// (their creation is not measured). batch and rm+sync alternate which goes first
// from round to round, so that neither always follows the other's writeback.
// Prints every round (with its batch / rm+sync ratio) and, over the rounds, the
// median and minimum of each and of the ratios, with the load average before and
// after (the machine is shared: say what load a figure was taken at).
//
//   delete_bench [--count N (2000)] [--size BYTES (65536)] [--rounds R (7)] [--dir D]
//                [--single-every-round]
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

double minimum(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t count = 2000;
  std::size_t size = 65536;
  int rounds = 7;
  bool single_every_round = false;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "cloudlog-delete-bench";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--single-every-round") {
      single_every_round = true;
      continue;
    }
    if (i + 1 >= argc) break;
    if (a == "--count")
      count = static_cast<std::uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    else if (a == "--size")
      size = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--rounds")
      rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--dir")
      dir = argv[++i];
  }
  const auto load_before = load_average();
  std::vector<double> batch, rm, ratio, single;
  const auto time_batch = [&]() -> bool {
    auto names = make_files(dir, count, size);
    auto store = cloudlog::file_store::open(dir).value();
    const auto t0 = clock_type::now();
    if (!store.remove_many(names)) return std::fprintf(stderr, "error: remove_many\n"), false;
    batch.push_back(seconds_since(t0));
    if (!store.list(0).value().empty()) return std::fprintf(stderr, "error: left files\n"), false;
    return true;
  };
  const auto time_rm = [&]() -> bool {
    make_files(dir, count, size);
    const std::string cmd = "cd '" + dir.string() + "' && rm -f log-* && sync";
    const auto t0 = clock_type::now();
    if (std::system(cmd.c_str()) != 0) return std::fprintf(stderr, "error: rm\n"), false;
    rm.push_back(seconds_since(t0));
    return true;
  };
  for (int r = 0; r < rounds; ++r) {
    const bool batch_first = r % 2 == 0;
    if (!(batch_first ? time_batch() && time_rm() : time_rm() && time_batch())) return 1;
    ratio.push_back(rm.back() > 0 ? batch.back() / rm.back() : 0.0);
    std::printf("round %d (%s first): batch %.3f s, rm+sync %.3f s, batch / rm+sync %.2f", r + 1,
                batch_first ? "batch" : "rm", batch.back(), rm.back(), ratio.back());
    if (r == 0 || single_every_round) {
      auto names = make_files(dir, count, size);
      auto store = cloudlog::file_store::open(dir).value();
      const auto t0 = clock_type::now();
      for (const auto& n : names)
        if (!store.remove(n)) return std::fprintf(stderr, "error: remove\n"), 1;
      single.push_back(seconds_since(t0));
      std::printf(", one-by-one %.3f s", single.back());
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::filesystem::remove_all(dir);
  std::printf(
      "%d rounds (%u files of %zu bytes), median / min: batch %.3f / %.3f s, rm+sync %.3f / "
      "%.3f s, batch / rm+sync per round %.2f / %.2f (median of batch / median of rm+sync "
      "%.2f); one-by-one median %.3f s\n",
      rounds, count, size, median(batch), minimum(batch), median(rm), minimum(rm), median(ratio),
      minimum(ratio), median(batch) / median(rm), median(single));
  std::printf("load average before: %s; after: %s\n", load_before.c_str(), load_average().c_str());
  return 0;
}
