// SPDX-License-Identifier: BSL-1.0
// bluesky_fs: the BlueSky proxy side and inspection tool (docs/tools.md).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/filesystem.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/formats/bluesky/merge.hpp"
#include "cloudlog/formats/bluesky/reader.hpp"
#include "cloudlog/formats/bluesky/verify.hpp"
#include "cloudlog/formats/bluesky/workload.hpp"
#include "cloudlog/log/segment.hpp"
#include "common/cli.hpp"
#include "common/exit_codes.hpp"
#include "common/printable.hpp"
#include "common/report_json.hpp"
#include "common/store_uri.hpp"

namespace {

namespace bs = cloudlog::bluesky;
using cloudlog::errc;

struct options {
  std::string store;
  tools::store_context context;  // the opened store's: its kind and its failures' own words
  bool keyless = false;          // no --key-file, no BLUESKY_KEY
  std::optional<std::string> key_file;
  bool json = false;
  // ls, cat, readlink
  bool recursive = false;
  std::string path;
  // recover
  std::string recover_to;
  bool understood = false;
  // workload
  std::string preset;
  bs::workload_options workload;
};

// The cipher from --key-file or BLUESKY_KEY; nullopt when neither is given.
// The key bytes are cleansed once the cipher is made; they are never printed.
cloudlog::result<std::optional<bs::cipher>> load_cipher(const options& opt) {
  if (!opt.key_file && !std::getenv("BLUESKY_KEY")) return std::optional<bs::cipher>{};
  auto key = bs::load_master_key(opt.key_file);
  if (!key) return cloudlog::fail(key.error());
  auto c = bs::cipher::from_master(*key);
  cloudlog::cleanse(*key);
  if (!c) return cloudlog::fail(c.error());
  return std::optional<bs::cipher>(std::move(*c));
}

// Prints every item of every segment (directories 0 and 1) of STORE, with each
// item's tag status when KEY is given.
template <class Store>
int dump(Store& store, const options& opt, const std::optional<bs::cipher>& key) {
  auto segments = cloudlog::list_all(store, {bs::proxy_directory, bs::cleaner_directory});
  if (!segments) return report_store(opt, segments.error(), "cannot list the store");
  int status = tools::exit_ok;
  for (const auto& seg : *segments) {
    auto data = store.read(seg.name, 0, cloudlog::whole_object);
    if (!data) return report_store(opt, data.error(), "cannot read " + seg.name);
    if (!opt.json) fmt::print("{} {}\n", seg.name, data->size());
    for (const auto& it : cloudlog::segment_items<bs::layout>(*data)) {
      if (!it) {
        status = tools::report_corruption(cloudlog::corruption{
            seg.name, it.error().offset, data->size() - it.error().offset, it.error().code});
        break;
      }
      const auto& h = it->header();
      // Magic and type come from the store's bytes: printed escaped, never raw.
      const std::string magic = tools::printable(cloudlog::as_chars(h.magic));
      const auto links = it->links();
      const auto tag = key ? std::string(cloudlog::to_string(key->verify(it->bytes()))) : "";
      if (opt.json) {
        nlohmann::json j = tools::json_object("item");
        j["segment"] = seg.name;
        j["offset"] = it->offset();
        j["size"] = it->size();
        j["magic"] = magic;
        j["type"] = tools::printable(h.type);
        j["type_byte"] = h.type;
        j["inum"] = h.inum;
        j["id"] = h.id.hex();
        j["size1"] = h.size1;
        j["size2"] = h.size2;
        j["size3"] = h.size3;
        if (key) j["tag"] = tag;
        auto& jl = j["links"] = nlohmann::json::array();
        for (const auto& l : links) {
          if (l.where)
            jl.push_back({l.where->directory, l.where->sequence, l.where->offset, l.where->size});
          else
            jl.push_back(nullptr);
        }
        std::puts(j.dump().c_str());
      } else {
        std::string ls;
        for (const auto& l : links)
          ls += (ls.empty() ? "" : ", ") + (l.where ? cloudlog::to_string(*l.where) : "null");
        fmt::print(
            "  @{:>6} size={:>6} {} type={} {:<10} inum={} id={}.. sizes=({}, {}, {}){} "
            "links=[{}]\n",
            it->offset(), it->size(), magic, tools::printable(h.type), bs::type_name(h.type),
            h.inum, h.id.hex().substr(0, 8), h.size1, h.size2, h.size3, key ? " tag=" + tag : "",
            ls);
      }
    }
  }
  return status;
}

// ---- file-system commands (ls, cat, readlink, verify, merge, workload) ----

// Reports a failure to write to stdout with errno ERR (the disk full, the reader gone).
int report_stdout(int err) {
  return tools::emit_error("cannot write to stdout: " + std::generic_category().message(err) +
                               " (check where the output goes: a full disk, or a pipe whose "
                               "reader exited)",
                           tools::exit_failed);
}

// Reports EC, a failure on OPT's store, with the store's own explanation.
int report_store(const options& opt, std::error_code ec, const std::string& what) {
  return tools::report(opt.context.error_of(ec, what));
}

// Reports a file-system error E: the library's text of what and where, FALLBACK
// when it has none.
int report_fs(const options& opt, const cloudlog::error_info& e, const std::string& fallback) {
  const auto& what = e.what.empty() ? fallback : e.what;
  // Without a key an encrypted item is not an "unusable key": no key was given.
  if (opt.keyless && e.code == cloudlog::errc::bad_key)
    return tools::emit_error(what + " (no key given: --key-file FILE or BLUESKY_KEY)",
                             tools::exit_code_for(e.code));
  return report_store(opt, e.code, what);
}

// Says on stderr which directory-0 segments a root search skipped: a flush
// interrupted before its checkpoint (or, after recover, the segments abandoned).
void note_skipped(const std::vector<cloudlog::segment_info>& skipped,
                  const cloudlog::segment_info& root) {
  if (skipped.empty()) return;
  std::fprintf(stderr,
               "note: %s%s%s hold%s a flush interrupted before its checkpoint; using the "
               "checkpoint in %s (bluesky_fs merge writes a fresh one after them)\n",
               skipped.front().name.c_str(), skipped.size() > 1 ? " .. " : "",
               skipped.size() > 1 ? skipped.back().name.c_str() : "", skipped.size() > 1 ? "" : "s",
               root.name.c_str());
}

// Opens the reader, saying what a root search skipped; nullopt after reporting.
template <class Store, class Cipher>
std::optional<bs::reader<Store, Cipher>> open_reader(Store& store, const Cipher& c,
                                                     const options& opt, int& status) {
  auto r = bs::reader<Store, Cipher>::open(store, c);
  if (!r) {
    status = report_fs(opt, r.error(), "cannot open the filesystem");
    return std::nullopt;
  }
  note_skipped(r->found().skipped, r->newest_segment());
  return std::move(*r);
}

char type_char(bs::file_type t) {
  switch (t) {
    case bs::file_type::regular:
      return '-';
    case bs::file_type::directory:
      return 'd';
    case bs::file_type::symlink:
      return 'l';
    case bs::file_type::block_device:
      return 'b';
    case bs::file_type::char_device:
      return 'c';
    case bs::file_type::socket:
      return 's';
    case bs::file_type::fifo:
      return 'p';
  }
  return '?';
}

// One ls line: "TYPE MODE SIZE NAME[ -> TARGET]".
void print_entry(const bs::inode& n, const std::string& name) {
  fmt::print("{} {:04o} {:>12} {}{}\n", type_char(n.type), n.mode, n.size, name,
             n.type == bs::file_type::symlink ? " -> " + n.target : "");
}

template <class Reader>
int ls_dir(Reader& r, const options& opt, const bs::inode_record& dir, const std::string& path,
           bool recursive) {
  auto entries = dir.node.entries;
  std::sort(entries.begin(), entries.end(),
            [](const bs::dir_entry& a, const bs::dir_entry& b) { return a.name < b.name; });
  std::vector<std::uint64_t> inums;
  for (const auto& e : entries) inums.push_back(e.inum);
  auto recs = r.load_inodes(inums);
  if (!recs) return report_fs(opt, recs.error(), "cannot list " + path);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto child = (path == "/" ? "/" : path + "/") + entries[i].name;
    print_entry((*recs)[i].node, recursive ? child : entries[i].name);
    if (recursive && (*recs)[i].node.type == bs::file_type::directory)
      if (int st = ls_dir(r, opt, (*recs)[i], child, true); st != tools::exit_ok) return st;
  }
  return tools::exit_ok;
}

// ls [-R] [PATH]: the entries of a directory (names ascending), or the file itself;
// with -R every path beneath, recursively, as full paths.
template <class Store, class Cipher>
int ls(Store& store, const Cipher& c, const options& opt) {
  int status = tools::exit_ok;
  auto r = open_reader(store, c, opt, status);
  if (!r) return status;
  const std::string path = opt.path.empty() ? "/" : opt.path;
  auto n = r->lookup(path);
  if (!n) return report_fs(opt, n.error(), path);
  auto rec = r->load_inode(*n);
  if (!rec) return report_fs(opt, rec.error(), path);
  if (rec->node.type != bs::file_type::directory) {
    print_entry(rec->node, path);
    return tools::exit_ok;
  }
  std::string norm;
  for (auto comp : bs::path_components(path)) (norm += '/') += comp;
  return ls_dir(*r, opt, *rec, norm.empty() ? "/" : norm, opt.recursive);
}

// cat PATH: the file's bytes on stdout; a symlink at PATH is followed (relative
// targets from its directory), up to 8 times.
template <class Store, class Cipher>
int cat(Store& store, const Cipher& c, const options& opt) {
  int status = tools::exit_ok;
  auto r = open_reader(store, c, opt, status);
  if (!r) return status;
  std::string path = opt.path;
  for (int hops = 0;; ++hops) {
    auto n = r->lookup(path);
    if (!n) return report_fs(opt, n.error(), path);
    auto rec = r->load_inode(*n);
    if (!rec) return report_fs(opt, rec.error(), path);
    if (rec->node.type == bs::file_type::symlink) {
      if (hops == 8)
        return report_store(opt, make_error_code(errc::invalid_argument),
                            path + ": too many symlinks");
      const auto& t = rec->node.target;
      path = t.front() == '/' ? t : path.substr(0, path.find_last_of('/') + 1) + t;
      continue;
    }
    const std::uint64_t chunk = 8u << 20;
    for (std::uint64_t off = 0; off == 0 || off < rec->node.size; off += chunk) {
      auto data = r->read_file(*rec, off, chunk);
      if (!data) return report_fs(opt, data.error(), path);
      if (!data->empty() && std::fwrite(data->data(), 1, data->size(), stdout) != data->size())
        return report_stdout(errno);
    }
    return tools::exit_ok;
  }
}

// readlink PATH: the symlink's target.
template <class Store, class Cipher>
int readlink(Store& store, const Cipher& c, const options& opt) {
  int status = tools::exit_ok;
  auto r = open_reader(store, c, opt, status);
  if (!r) return status;
  auto n = r->lookup(opt.path);
  if (!n) return report_fs(opt, n.error(), opt.path);
  auto rec = r->load_inode(*n);
  if (!rec) return report_fs(opt, rec.error(), opt.path);
  if (rec->node.type != bs::file_type::symlink)
    return report_store(opt, make_error_code(std::errc::invalid_argument),
                        opt.path + ": not a symbolic link");
  fmt::print("{}\n", rec->node.target);
  return tools::exit_ok;
}

// verify: walks everything reachable and prints a summary.
template <class Store, class Cipher>
int verify(Store& store, const Cipher& c, const options& opt, bool keyed) {
  int status = tools::exit_ok;
  auto r = open_reader(store, c, opt, status);
  if (!r) return status;
  auto rep = bs::verify_filesystem(*r);
  if (!rep) return report_fs(opt, rep.error(), "verify failed");
  std::string vv;
  for (const auto& e : rep->version_vector)
    vv += (vv.empty() ? "" : ", ") + fmt::format("({}, {})", e.directory, e.sequence);
  const auto tags = keyed ? "every tag verified" : "tags not checked (no key)";
  if (opt.json) {
    nlohmann::json j = tools::json_object("verify");
    j["checkpoint"] = {rep->checkpoint.directory, rep->checkpoint.sequence, rep->checkpoint.offset,
                       rep->checkpoint.size};
    j["imap_blocks"] = rep->imap_blocks;
    j["inodes"] = rep->inodes;
    j["files"] = rep->files;
    j["directories"] = rep->directories;
    j["symlinks"] = rep->symlinks;
    j["other"] = rep->other;
    j["data_blocks"] = rep->data_blocks;
    j["holes"] = rep->holes;
    j["file_bytes"] = rep->file_bytes;
    j["item_bytes"] = rep->item_bytes;
    j["unreachable"] = rep->unreachable;
    j["tags_checked"] = keyed;
    std::puts(j.dump().c_str());
  } else {
    fmt::print("checkpoint {} vv [{}]\n", cloudlog::to_string(rep->checkpoint), vv);
    fmt::print(
        "{} imap blocks, {} inodes ({} files, {} directories, {} symlinks, {} other), "
        "{} unreachable\n",
        rep->imap_blocks, rep->inodes, rep->files, rep->directories, rep->symlinks, rep->other,
        rep->unreachable);
    fmt::print("{} data blocks, {} holes, {} file bytes, {} item bytes checked\n", rep->data_blocks,
               rep->holes, rep->file_bytes, rep->item_bytes);
    fmt::print("OK: {}\n", tags);
  }
  return tools::exit_ok;
}

// merge: adopts the cleaner's newest complete output and acknowledges it.
template <class Store, class Cipher>
int merge(Store& store, const Cipher& c, const options& opt) {
  auto fs = bs::filesystem<Store, Cipher>::open(store, c);
  if (!fs) return report_fs(opt, fs.error(), "cannot open the filesystem");
  auto rep = bs::merge_cleaner_output(*fs);
  if (!rep) return report_fs(opt, rep.error(), "merge failed");
  if (!rep->refused.empty())
    std::fprintf(stderr,
                 "warning: %zu item(s) of the cleaner's output set aside, the proxy keeps its own "
                 "copies (first: %s); bluesky_fs verify with the key locates damage\n",
                 rep->refused.size(), rep->refused.front().c_str());
  if (!rep->quarantined.empty())
    std::fprintf(stderr,
                 "warning: %zu live block(s) damaged in the proxy's own copy too; the cleaner "
                 "leaves them where they are (quarantine) until the file is repaired or deleted\n",
                 rep->quarantined.size());
  if (opt.json) {
    nlohmann::json j = tools::json_object("merge");
    j["merged"] = rep->merged;
    j["refused"] = rep->refused;
    j["quarantined"] = nlohmann::json::array();
    for (const auto& l : rep->quarantined) j["quarantined"].push_back(cloudlog::to_string(l));
    j["sealed_interrupted_flush"] = rep->sealed_interrupted_flush;
    j["cleaner_sequence"] =
        rep->cleaner_sequence ? nlohmann::json(*rep->cleaner_sequence) : nlohmann::json(nullptr);
    j["blocks_adopted"] = rep->blocks_adopted;
    j["inodes_rewritten"] = rep->inodes_rewritten;
    j["inodes_adopted"] = rep->inodes_adopted;
    j["segments_written"] = rep->flush.segments;
    j["bytes_written"] = rep->flush.bytes;
    std::puts(j.dump().c_str());
  } else if (rep->sealed_interrupted_flush) {
    fmt::print(
        "nothing to merge; wrote a fresh checkpoint after the interrupted flush ({} bytes)\n",
        rep->flush.bytes);
  } else if (!rep->merged) {
    fmt::print("nothing to merge\n");
  } else {
    fmt::print(
        "merged cleaner sequence {}: {} blocks adopted, {} inodes adopted, {} inodes rewritten; "
        "wrote {} segment(s), {} bytes\n",
        *rep->cleaner_sequence, rep->blocks_adopted, rep->inodes_adopted, rep->inodes_rewritten,
        rep->flush.segments, rep->flush.bytes);
  }
  return tools::exit_ok;
}

// workload: creates and overwrites files (formats/bluesky/workload.hpp).
template <class Store, class Cipher>
int workload(Store& store, const Cipher& c, const options& opt) {
  auto fs = bs::filesystem<Store, Cipher>::open(store, c);
  if (!fs) return report_fs(opt, fs.error(), "cannot open the filesystem");
  auto rep = bs::run_workload(*fs, opt.workload);
  if (!rep) return report_fs(opt, rep.error(), "workload failed");
  const double mib = static_cast<double>(rep->bytes_written) / (1 << 20);
  if (opt.json) {
    nlohmann::json j = tools::json_object("workload");
    j["files"] = rep->files;
    j["writes"] = rep->writes;
    j["bytes_written"] = rep->bytes_written;
    j["flushes"] = rep->flushes;
    j["segments_uploaded"] = rep->uploaded.segments;
    j["bytes_uploaded"] = rep->uploaded.bytes;
    j["seconds"] = rep->seconds;
    std::puts(j.dump().c_str());
  } else {
    fmt::print(
        "{} files, {} writes, {} bytes written, {} flushes, {} segments / {} bytes uploaded, "
        "{:.3f} s ({:.1f} MiB/s)\n",
        rep->files, rep->writes, rep->bytes_written, rep->flushes, rep->uploaded.segments,
        rep->uploaded.bytes, rep->seconds, rep->seconds > 0 ? mib / rep->seconds : 0.0);
  }
  return tools::exit_ok;
}

// recover --to-checkpoint SEG --i-understand-data-after-it-is-lost: the explicit
// way past damage after the last checkpoint (docs/tools.md).
template <class Store, class Cipher>
int recover(Store& store, const Cipher& c, const options& opt) {
  if (!opt.understood)
    return tools::report(make_error_code(errc::invalid_argument),
                         "recover abandons every segment newer than " + opt.recover_to +
                             " and all it holds; add --i-understand-data-after-it-is-lost");
  auto id = cloudlog::parse_segment_name(opt.recover_to);
  if (!id || id->directory != bs::proxy_directory)
    return tools::report(
        make_error_code(errc::invalid_argument),
        "--to-checkpoint takes a directory-0 segment name (log-00000000-SSSSSSSS)");
  auto fs = bs::filesystem<Store, Cipher>::recover_to(store, c, id->sequence);
  if (!fs) return report_fs(opt, fs.error(), "cannot recover to " + opt.recover_to);
  const auto& lost = fs->skipped_segments();
  if (opt.json) {
    nlohmann::json j = tools::json_object("recover");
    j["recovered_to"] = opt.recover_to;
    auto& a = j["abandoned"] = nlohmann::json::array();
    for (const auto& seg : lost) a.push_back(seg.name);
    std::puts(j.dump().c_str());
  } else {
    fmt::print(
        "recovered to the checkpoint in {}; abandoned {} newer segment(s){}{}\n", opt.recover_to,
        lost.size(), lost.empty() ? "" : ": ",
        lost.empty() ? "" : lost.front().name + (lost.size() > 1 ? " .. " + lost.back().name : ""));
  }
  return tools::exit_ok;
}

// What is wrong with the workload options W, as the flags name it, or "" when
// run_workload accepts them (formats/bluesky/workload.hpp states the same bounds).
std::string workload_problem(const bs::workload_options& w) {
  if (w.file_size == 0 || w.file_size > bs::max_file_size)
    return fmt::format("--file-size {}: must be from 1 byte to {} (512G)", w.file_size,
                       bs::max_file_size);
  const auto min_write = std::min(bs::min_workload_write_size, w.file_size);
  if (w.write_size < min_write || w.write_size > w.file_size)
    return fmt::format(
        "--write-size {}: must be from {} bytes (4K, or the file size when smaller) to the "
        "file size, {}",
        w.write_size, min_write, w.file_size);
  if (!(w.overwrite_fraction >= 0 && w.overwrite_fraction <= 1))
    return fmt::format(
        "--overwrite-fraction {}: must be from 0 to 1; --rounds repeats the overwrites",
        w.overwrite_fraction);
  if (w.files == 0 || w.files > bs::max_workload_files)
    return fmt::format("--files {}: must be from 1 to {}", w.files, bs::max_workload_files);
  if (!std::isfinite(w.scale) || w.scale <= 0)
    return fmt::format("--scale {}: must be a number above 0", w.scale);
  if (std::floor(static_cast<double>(w.files) * w.scale + 0.5) >
      static_cast<double>(bs::max_workload_files))
    return fmt::format("--files {} x --scale {}: more than {} files", w.files, w.scale,
                       bs::max_workload_files);
  if (w.directories > bs::max_workload_directories)
    return fmt::format("--dirs {}: must be from 0 to {}", w.directories,
                       bs::max_workload_directories);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  // With --json, even a parse error is a JSON object.
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--json") tools::json_errors() = true;
  CLI::App app{"bluesky_fs: inspect and drive a BlueSky store (the proxy's side)."};
  app.footer(
      "Examples:\n"
      "  bluesky_fs --store file:/srv/bluesky dump\n"
      "  bluesky_fs --store file:/srv/bluesky dump --json | jq .\n"
      "  bluesky_fs --store file:/srv/bluesky --key-file key ls -R\n"
      "  bluesky_fs --store file:/srv/bluesky --key-file key cat /hello.txt\n"
      "  bluesky_fs --store file:/tmp/bench --key-file key workload --preset cleanbench --seed "
      "1\n" +
      tools::exit_codes_help());
  tools::add_version(app, "bluesky_fs");
  options opt;
  app.add_option("--store", opt.store,
                 "The store, as a URI: file:DIR, s3://BUCKET[/PREFIX] or simple://HOST:PORT")
      ->required();
  app.add_option("--key-file", opt.key_file,
                 "File holding the master key (the passphrase bytes); default: env BLUESKY_KEY");
  tools::store_settings settings;
  tools::add_store_flags(app, settings);
  app.require_subcommand(1);
  auto* dump_cmd = app.add_subcommand(
      "dump",
      "Print every item of every segment: offset, size, magic, type, inum, section sizes, links.");
  dump_cmd->add_flag("--json", opt.json,
                     "One JSON object per item per line: segment, offset, size, magic and type "
                     "(printable: other bytes as \\xNN), type_byte, inum, size1, size2, size3, "
                     "links ([directory, sequence, offset, size] or null), and with a key tag "
                     "(ok, bad or zero)");
  auto* ls_cmd = app.add_subcommand(
      "ls", "List a directory (names ascending): TYPE MODE SIZE NAME [-> TARGET].");
  ls_cmd->add_flag("-R,--recursive", opt.recursive, "Every path beneath PATH, as full paths");
  ls_cmd->add_option("path", opt.path, "The directory (default: /)");
  auto* cat_cmd =
      app.add_subcommand("cat", "Write a file's contents to stdout (follows a symlink).");
  cat_cmd->add_option("path", opt.path, "The file")->required();
  auto* readlink_cmd = app.add_subcommand("readlink", "Print a symlink's target.");
  readlink_cmd->add_option("path", opt.path, "The symlink")->required();
  auto* verify_cmd = app.add_subcommand(
      "verify",
      "Walk everything reachable from the current checkpoint, check every item (tags too, with a "
      "key) and print a summary; exit 4 on corruption.");
  verify_cmd->add_flag("--json", opt.json, "Print the summary as one JSON object");
  auto* merge_cmd = app.add_subcommand(
      "merge",
      "Adopt the cleaner's newest complete output and acknowledge it in a new checkpoint.");
  merge_cmd->add_flag("--json", opt.json, "Print the result as one JSON object");
  auto* recover_cmd = app.add_subcommand(
      "recover",
      "The explicit way past damage after the last checkpoint (exit 4 elsewhere): start again from "
      "the checkpoint that ends SEG, abandoning every newer segment and all it holds, and write a "
      "fresh checkpoint after them.");
  recover_cmd
      ->add_option("--to-checkpoint", opt.recover_to,
                   "The directory-0 segment whose last item is the checkpoint to go back to")
      ->required();
  recover_cmd->add_flag("--i-understand-data-after-it-is-lost", opt.understood,
                        "Required: what was written after that checkpoint is lost");
  recover_cmd->add_flag("--json", opt.json, "Print the result as one JSON object");
  auto* workload_cmd = app.add_subcommand(
      "workload",
      "Create FILES files of FILE-SIZE bytes in DIRS directories, then overwrite a fraction of the "
      "data at random in WRITE-SIZE writes (ROUNDS times), flushing every K writes. Seeded: the "
      "same seed gives the same operations and contents.");
  auto& w = opt.workload;
  workload_cmd
      ->add_option("--preset", opt.preset,
                   "cleanbench (8 files x 8 MiB, 128 random 512 KiB overwrites) or "
                   "smallfiles (4096 files of 4 KiB); other options then adjust it")
      ->check(CLI::IsMember({"cleanbench", "smallfiles"}));
  workload_cmd->add_option("--files", w.files, "Number of files (1 to 1000000)")
      ->check(tools::non_negative);
  workload_cmd->add_option("--file-size", w.file_size, "Bytes per file (suffixes K, M, G)")
      ->transform(tools::byte_size());
  workload_cmd
      ->add_option("--dirs", w.directories, "Directories to spread the files over (0 to 1000)")
      ->check(tools::non_negative);
  auto* write_size_opt =
      workload_cmd
          ->add_option("--write-size", w.write_size,
                       "Bytes per write (suffixes K, M, G): from 4K (or the file size, when "
                       "smaller) to the file size; default 512K, or the file size when smaller")
          ->transform(tools::byte_size());
  workload_cmd->add_option("--overwrite-fraction", w.overwrite_fraction,
                           "Fraction of the data overwritten per round (0 to 1)");
  workload_cmd->add_option("--rounds", w.rounds, "Overwrite rounds")->check(tools::non_negative);
  workload_cmd->add_option("--flush-every", w.flush_every, "Flush every K writes (0: at the end)")
      ->check(tools::non_negative);
  workload_cmd->add_option("--seed", w.seed, "Seed of the generator")->check(tools::non_negative);
  workload_cmd->add_option("--scale", w.scale, "Multiply the number of files by X");
  workload_cmd->add_option("--hot-fraction", w.hot_fraction,
                           "Skew: the first F of the files (0 <= F <= 1) get --hot-share of the "
                           "overwrites (default: no hot set, uniform)");
  workload_cmd->add_option("--hot-share", w.hot_share,
                           "Skew: the hot files' share R of the overwrites (0 <= R <= 1; e.g. "
                           "--hot-fraction 0.1 --hot-share 0.9)");
  workload_cmd->add_option("--zipf", w.zipf,
                           "Skew: pick file i with probability ~ 1/(i+1)^THETA (THETA >= 0; "
                           "not with --hot-fraction)");
  bool no_create = false;
  workload_cmd->add_flag("--no-create", no_create,
                         "Skip creating the files: only overwrite those an earlier run made");
  workload_cmd->add_flag("--json", opt.json, "Print the result as one JSON object");
  try {
    // Presets first, so explicit options given with --preset adjust them.
    for (int i = 1; i + 1 < argc; ++i)
      if (std::string(argv[i]) == "--preset")
        if (auto p = bs::workload_preset(argv[i + 1])) w = *p;
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return tools::report_parse_error(app, e);
  }
  w.create_files = !no_create;
  if (write_size_opt->count() == 0) w.write_size = std::min(w.write_size, w.file_size);
  if (workload_cmd->parsed())
    if (const auto problem = workload_problem(w); !problem.empty())
      return tools::emit_error(problem + " (see bluesky_fs workload --help)", tools::exit_usage);
  if (workload_cmd->parsed()) {
    const char* bad = nullptr;
    if (!(w.hot_fraction >= 0 && w.hot_fraction <= 1))
      bad = "--hot-fraction must be between 0 and 1";
    else if (!(w.hot_share >= 0 && w.hot_share <= 1))
      bad = "--hot-share must be between 0 and 1";
    else if (!(w.zipf >= 0 && std::isfinite(w.zipf)))
      bad = "--zipf must be a number >= 0";
    else if (w.zipf > 0 && w.hot_fraction > 0)
      bad = "--zipf and --hot-fraction do not go together";
    if (bad)
      return tools::emit_error(std::string(bad) + " (see workload --help)", tools::exit_usage);
  }
  settings.tool = "bluesky_fs";
  auto store = tools::open_store(opt.store, workload_cmd->parsed(), settings);
  if (!store) return tools::report_open(store.error(), opt.store);
  opt.context = store->context;
  int status = tools::exit_ok;
  try {
    status = std::visit(
        [&](auto& s) -> int {
          if (dump_cmd->parsed()) {
            auto key = load_cipher(opt);
            if (!key) return tools::report(key.error(), "cannot load the key");
            return dump(s, opt, *key);
          }
          auto key = load_cipher(opt);
          if (!key) return tools::report(key.error(), "cannot load the key");
          auto run = [&](const auto& c) -> int {
            if (ls_cmd->parsed()) return ls(s, c, opt);
            if (cat_cmd->parsed()) return cat(s, c, opt);
            if (readlink_cmd->parsed()) return readlink(s, c, opt);
            if (verify_cmd->parsed()) return verify(s, c, opt, key->has_value());
            if (merge_cmd->parsed()) return merge(s, c, opt);
            if (recover_cmd->parsed()) return recover(s, c, opt);
            if (workload_cmd->parsed()) return workload(s, c, opt);
            return tools::exit_usage;
          };
          if (*key) return run(**key);
          opt.keyless = true;
          return run(bs::no_cipher{});
        },
        store->store);
  } catch (const std::system_error& e) {  // fmt::print could not write to stdout
    return report_stdout(e.code().value());
  }
  // Output still in stdout's buffer is written now, where a failure can be reported.
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    return status == tools::exit_ok ? report_stdout(errno) : status;
  return status;
}
