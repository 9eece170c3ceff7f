// SPDX-License-Identifier: BSL-1.0
// lfs_disk: a log-structured file system in one disk image (docs/lfs_disk.md).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cloudlog/policy/policies.hpp"
#include "common/cli.hpp"
#include "common/exit_codes.hpp"
#include "lfs/any_policy.hpp"
#include "lfs/file_system.hpp"

namespace {

using fs_type = lfs::file_system<lfs::file_disk, lfs::any_policy>;

lfs::any_policy make_policy(const std::string& name) {
  if (name == "threshold") return lfs::any_policy(cloudlog::threshold_policy{});
  if (name == "cost-benefit") return lfs::any_policy(cloudlog::cost_benefit_policy{});
  return lfs::any_policy(cloudlog::greedy_policy{});
}

int print_status(fs_type& fs, bool json) {
  const auto s = fs.status();
  if (json) {
    nlohmann::json j;
    j["segments"] = s.geo.segment_count;
    j["blocks_per_segment"] = s.geo.blocks_per_segment;
    j["block_size"] = s.geo.block_size;
    j["clean"] = s.clean;
    j["dirty"] = s.dirty;
    j["synced"] = s.synced;
    j["files"] = s.files;
    j["checkpoint"] = s.checkpoint;
    auto& u = j["usage"] = nlohmann::json::array();
    for (const auto& r : s.usage)
      u.push_back({{"segment", r.id.sequence}, {"live", r.live}, {"size", r.size}, {"age", r.age}});
    std::puts(j.dump().c_str());
    return tools::exit_ok;
  }
  fmt::print("{} segments x {} blocks x {} bytes; {} files; checkpoint {}\n", s.geo.segment_count,
             s.geo.blocks_per_segment, s.geo.block_size, s.files, s.checkpoint);
  fmt::print("free list: {} clean, {} dirty, {} synced\n", s.clean, s.dirty, s.synced);
  for (const auto& r : s.usage)
    fmt::print("  segment {:>5}: {:5.1f}% live, age {}\n", r.id.sequence, 100 * r.utilization(),
               r.age);
  return tools::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lfs_disk: a log-structured file system in one disk image."};
  app.footer(
      "Examples:\n"
      "  lfs_disk mkfs disk.img --segments 64\n"
      "  lfs_disk write disk.img notes.txt < notes.txt\n"
      "  lfs_disk cat disk.img notes.txt\n"
      "  lfs_disk clean disk.img --policy cost-benefit\n"
      "Exit codes: 0 ok, 2 usage, 4 corrupt image, 5 any other failure (disk full included).");
  tools::add_version(app, "lfs_disk");
  app.require_subcommand(1);
  std::string image, name, policy = "greedy";
  lfs::mkfs_options mk;
  std::uint64_t offset = 0;
  std::uint32_t max_segments = 0;
  bool json = false;

  auto* mkfs_cmd = app.add_subcommand("mkfs", "Create an empty file system image.");
  mkfs_cmd->add_option("--segments", mk.segment_count, "Segments on disk")->capture_default_str();
  mkfs_cmd->add_option("--blocks-per-segment", mk.blocks_per_segment, "Blocks in a segment")
      ->capture_default_str();
  mkfs_cmd->add_option("--block-size", mk.block_size, "Bytes in a block")->capture_default_str();
  mkfs_cmd->add_option("--inodes", mk.max_inodes, "Inode numbers")->capture_default_str();
  auto* write_cmd = app.add_subcommand("write", "Write standard input into a file.");
  write_cmd->add_option("--offset", offset, "Byte offset to write at")->capture_default_str();
  auto* cat_cmd = app.add_subcommand("cat", "Print a file.");
  auto* rm_cmd = app.add_subcommand("rm", "Remove a file.");
  auto* ls_cmd = app.add_subcommand("ls", "List the files.");
  auto* clean_cmd = app.add_subcommand("clean", "Clean segments now.");
  clean_cmd->add_option("--policy", policy, "threshold, greedy or cost-benefit")
      ->check(CLI::IsMember({"threshold", "greedy", "cost-benefit"}))
      ->capture_default_str();
  clean_cmd->add_option("--max", max_segments, "At most this many victims (0: no limit)");
  auto* stat_cmd = app.add_subcommand("stat", "Print the free list and the usage table.");
  stat_cmd->add_flag("--json", json, "One JSON object");
  for (auto* c : {mkfs_cmd, write_cmd, cat_cmd, rm_cmd, ls_cmd, clean_cmd, stat_cmd})
    c->add_option("image", image, "The disk image")->required();
  for (auto* c : {write_cmd, cat_cmd, rm_cmd}) c->add_option("name", name, "File name")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return tools::report_parse_error(app, e);
  }

  auto disk = lfs::file_disk::open(image, mkfs_cmd->parsed());
  if (!disk) return tools::report(disk.error(), "cannot open " + image);
  if (mkfs_cmd->parsed()) {
    auto g = lfs::mkfs(*disk, mk);
    if (!g) return tools::report(g.error(), "mkfs");
    return tools::exit_ok;
  }
  auto fs = fs_type::mount(*disk, make_policy(policy));
  if (!fs) {
    if (fs.error() == lfs::errc::corrupt_image) {
      std::fprintf(stderr, "error: %s: %s\n", image.c_str(), fs.error().message().c_str());
      return tools::exit_corrupt;
    }
    return tools::report(fs.error(), "cannot mount " + image);
  }
  auto& f = **fs;
  if (write_cmd->parsed()) {
    const std::string in((std::istreambuf_iterator<char>(std::cin)), {});
    if (auto r = f.write(name, offset, cloudlog::as_bytes(in)); !r)
      return tools::report(r.error(), "write " + name);
  } else if (cat_cmd->parsed()) {
    auto r = f.read(name);
    if (!r) return tools::report(r.error(), "cat " + name);
    std::fwrite(r->data(), 1, r->size(), stdout);
  } else if (rm_cmd->parsed()) {
    if (auto r = f.remove(name); !r) return tools::report(r.error(), "rm " + name);
  } else if (ls_cmd->parsed()) {
    for (const auto& n : f.list()) std::puts(n.c_str());
  } else if (clean_cmd->parsed()) {
    auto r = f.clean(max_segments == 0 ? f.status().geo.segment_count : max_segments);
    if (!r) return tools::report(r.error(), "clean");
    fmt::print("cleaned {} segments with the {} policy\n", *r, policy);
  } else if (stat_cmd->parsed()) {
    return print_status(f, json);
  }
  if (auto r = f.sync(); !r) return tools::report(r.error(), "sync");
  return tools::exit_ok;
}
