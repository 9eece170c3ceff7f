// SPDX-License-Identifier: BSL-1.0
// workload_bench: the workload generator's write rate on a 1 GiB BlueSky store
// (docs/performance.md, "workload"). File store in a temp dir, the real cipher.
//
// Phases, each timed: create (cleanbench x SCALE: SCALE*8 files of 8 MiB, written
// in 512 KiB writes, flushed after every write: one fsynced segment each);
// overwrite (the same amount again, as random 512 KiB overwrites, flushed after
// every write); reopen (load checkpoint, imap and every inode); read back (every
// file, through the reader's ranged, coalesced reads, tags verified).
//
//   workload_bench [--scale X (16 = 1 GiB)] [--flush-every K (1)] [--dir D]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

#include <stdlib.h>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/workload.hpp"

namespace bs = cloudlog::bluesky;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Process CPU seconds (user + system), to tell CPU-bound phases from I/O-bound ones.
double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

double mib(std::uint64_t b) {
  return static_cast<double>(b) / (1 << 20);
}

int die(const char* what, std::error_code ec, const std::string& detail) {
  std::fprintf(stderr, "error: %s: %s: %s\n", what, ec.message().c_str(), detail.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  double scale = 16;
  std::uint64_t flush_every = 1;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--scale")
      scale = std::atof(argv[i + 1]);
    else if (a == "--flush-every")
      flush_every = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--dir")
      dir = argv[i + 1];
    else
      return std::fprintf(stderr,
                          "usage: workload_bench [--scale X] [--flush-every K] [--dir D]\n"),
             2;
  }
  bool made_temp = false;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "workload-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return std::perror("mkdtemp"), 1;
    dir = tmpl;
    made_temp = true;
  }
  auto store = cloudlog::file_store::create(dir);
  if (!store) return die("store", store.error(), dir);
  // A benchmark key, not a secret.
  auto key = bs::cipher::from_master(cloudlog::as_bytes("workload-bench-master-key-32bytes"));
  if (!key) return die("cipher", key.error(), "");

  auto opt = bs::cleanbench_preset();
  opt.scale = scale;
  opt.flush_every = flush_every;
  opt.seed = 1;
  const std::uint64_t data = bs::workload_file_count(opt) * opt.file_size;
  std::printf("store %s: %llu files x %llu MiB = %.0f MiB, write size %llu KiB, flush every %llu\n",
              dir.c_str(), static_cast<unsigned long long>(bs::workload_file_count(opt)),
              static_cast<unsigned long long>(opt.file_size >> 20), mib(data),
              static_cast<unsigned long long>(opt.write_size >> 10),
              static_cast<unsigned long long>(flush_every));

  auto fs = bs::filesystem<cloudlog::file_store, bs::cipher>::open(*store, *key);
  if (!fs) return die("open", fs.error().code, fs.error().what);
  auto create = opt;
  create.overwrite_fraction = 0;
  double cpu0 = cpu_seconds();
  auto c = bs::run_workload(*fs, create);
  if (!c) return die("create", c.error().code, c.error().what);
  std::printf(
      "create:    %8.1f MiB in %7.2f s = %7.1f MiB/s written (%llu segments, %.1f MiB uploaded; "
      "CPU %.2f s)\n",
      mib(c->bytes_written), c->seconds, mib(c->bytes_written) / c->seconds,
      static_cast<unsigned long long>(c->uploaded.segments), mib(c->uploaded.bytes),
      cpu_seconds() - cpu0);
  auto over = opt;
  over.create_files = false;
  cpu0 = cpu_seconds();
  auto o = bs::run_workload(*fs, over);
  if (!o) return die("overwrite", o.error().code, o.error().what);
  std::printf(
      "overwrite: %8.1f MiB in %7.2f s = %7.1f MiB/s written (%llu segments, %.1f MiB uploaded; "
      "CPU %.2f s)\n",
      mib(o->bytes_written), o->seconds, mib(o->bytes_written) / o->seconds,
      static_cast<unsigned long long>(o->uploaded.segments), mib(o->uploaded.bytes),
      cpu_seconds() - cpu0);

  auto t0 = std::chrono::steady_clock::now();
  auto again = bs::filesystem<cloudlog::file_store, bs::cipher>::open(*store, *key);
  if (!again) return die("reopen", again.error().code, again.error().what);
  std::printf("reopen:    %llu inodes in %.3f s\n",
              static_cast<unsigned long long>(again->inums().size()), seconds_since(t0));

  t0 = std::chrono::steady_clock::now();
  cpu0 = cpu_seconds();
  auto r = bs::reader<cloudlog::file_store, bs::cipher>::open(*store, *key);
  if (!r) return die("reader", r.error().code, r.error().what);
  std::uint64_t read = 0;
  for (std::uint64_t i = 0; i < bs::workload_file_count(opt); ++i) {
    auto n = r->lookup(bs::workload_file_path(opt, i));
    if (!n) return die("lookup", n.error().code, n.error().what);
    auto rec = r->load_inode(*n);
    if (!rec) return die("inode", rec.error().code, rec.error().what);
    auto d = r->read_file(*rec);
    if (!d) return die("read", d.error().code, d.error().what);
    read += d->size();
  }
  const double rs = seconds_since(t0);
  std::printf("read back: %8.1f MiB in %7.2f s = %7.1f MiB/s (CPU %.2f s)\n", mib(read), rs,
              mib(read) / rs, cpu_seconds() - cpu0);

  std::uint64_t on_disk = 0;
  const auto segs = store->list(0).value();
  for (const auto& s : segs) on_disk += s.size;
  std::printf("store: %.1f MiB in %zu segments\n", mib(on_disk), segs.size());
  if (made_temp) std::filesystem::remove_all(dir);
  return 0;
}
