// bluesky_fs: the BlueSky proxy side and inspection tool (docs/tools.md).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <variant>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cloudlog/crypto/cipher.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"
#include "common/exit_codes.hpp"
#include "common/store_uri.hpp"

namespace {

namespace bs = cloudlog::bluesky;
using cloudlog::errc;

struct options {
  std::string store;
  std::optional<std::string> key_file;
  bool json = false;
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
  auto segments = cloudlog::list_all(store, {0, 1});
  if (!segments) return tools::report(segments.error(), "cannot list the store");
  int status = tools::exit_ok;
  for (const auto& seg : *segments) {
    auto data = store.read(seg.name, 0, cloudlog::whole_object);
    if (!data) return tools::report(data.error(), "cannot read " + seg.name);
    if (!opt.json) fmt::print("{} {}\n", seg.name, data->size());
    for (const auto& it : cloudlog::segment_items<bs::layout>(*data)) {
      if (!it) {
        status = tools::report_corruption(cloudlog::corruption{
            seg.name, it.error().offset, data->size() - it.error().offset, it.error().code});
        break;
      }
      const auto& h = it->header();
      const std::string magic(cloudlog::as_chars(h.magic));
      const auto links = it->links();
      const auto tag = key ? std::string(cloudlog::to_string(key->verify(it->bytes()))) : "";
      if (opt.json) {
        nlohmann::json j;
        j["segment"] = seg.name;
        j["offset"] = it->offset();
        j["size"] = it->size();
        j["magic"] = magic;
        j["type"] = std::string(1, static_cast<char>(h.type));
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
            "  @{:>6} size={:>6} {} type={:c} {:<10} inum={} id={}.. sizes=({}, {}, {}){} "
            "links=[{}]\n",
            it->offset(), it->size(), magic, static_cast<char>(h.type), bs::type_name(h.type),
            h.inum, h.id.hex().substr(0, 8), h.size1, h.size2, h.size3, key ? " tag=" + tag : "",
            ls);
      }
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bluesky_fs: inspect and drive a BlueSky store (the proxy's side)."};
  app.footer(
      "Examples:\n"
      "  bluesky_fs --store file:/srv/bluesky dump\n"
      "  bluesky_fs --store file:/srv/bluesky dump --json | jq .\n"
      "Exit codes: see docs/tools.md.");
  options opt;
  app.add_option("--store", opt.store, "The store, as a URI: file:DIR")->required();
  app.add_option("--key-file", opt.key_file,
                 "File holding the master key (the passphrase bytes); default: env BLUESKY_KEY");
  app.require_subcommand(1);
  auto* dump_cmd = app.add_subcommand(
      "dump",
      "Print every item of every segment: offset, size, magic, type, inum, section sizes, links.");
  dump_cmd->add_flag("--json", opt.json,
                     "One JSON object per item per line: segment, offset, size, magic, type, inum, "
                     "size1, size2, size3, links ([directory, sequence, offset, size] or null), "
                     "and with a key tag (ok, bad or zero)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return e.get_exit_code() == 0 ? app.exit(e) : (app.exit(e), tools::exit_usage);
  }
  auto store = tools::open_store(opt.store);
  if (!store) return tools::report(store.error(), "cannot open store " + opt.store);
  return std::visit(
      [&](auto& s) -> int {
        if (dump_cmd->parsed()) {
          auto key = load_cipher(opt);
          if (!key) return tools::report(key.error(), "cannot load the key");
          return dump(s, opt, *key);
        }
        return tools::exit_usage;
      },
      *store);
}
