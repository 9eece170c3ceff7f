// bluesky_cleaner: one cleaning pass over a BlueSky store (docs/tools.md).
#include <cstdio>
#include <optional>
#include <string>
#include <variant>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cloudlog/cleaner/engine.hpp"
#include "cloudlog/formats/bluesky/cleaning.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/policy/any_policy.hpp"
#include "cloudlog/policy/policies.hpp"
#include "common/exit_codes.hpp"
#include "common/report_json.hpp"
#include "common/store_uri.hpp"
#include "common/units.hpp"

namespace {

namespace bs = cloudlog::bluesky;

struct options {
  std::string store;
  std::string policy = "threshold";
  double threshold = -1;  // < 0: the policy's default
  std::uint64_t min_age = 4;
  std::uint32_t age_classes = 4;
  std::string max_read, max_write, garbage_target;
  bool whole_file = false;
  bool repack_inodes = false;
  bool dry_run = false;
  bool json = false;
  std::optional<std::string> key_file;
  std::size_t parallel = 8;
  bool verbose = false;
  bool quiet = false;
};

std::optional<cloudlog::any_policy> make_policy(const options& o, std::string& why) {
  cloudlog::cleaning_budget budget;
  for (auto [text, field] :
       {std::pair{&o.max_read, &budget.max_read}, std::pair{&o.max_write, &budget.max_write},
        std::pair{&o.garbage_target, &budget.garbage_target}}) {
    if (text->empty()) continue;
    auto v = tools::parse_bytes(*text);
    if (!v) {
      why = "not a byte count: " + *text;
      return std::nullopt;
    }
    *field = *v;
  }
  const cloudlog::age_placement placement{o.age_classes};
  if (o.policy == "threshold")
    return cloudlog::threshold_policy{o.threshold < 0 ? 0.6 : o.threshold, budget, placement};
  if (o.policy == "greedy") return cloudlog::greedy_policy{budget, placement};
  if (o.policy == "cost-benefit") return cloudlog::cost_benefit_policy{budget, placement};
  if (o.policy == "age-threshold")
    return cloudlog::age_threshold_policy{o.min_age, o.threshold < 0 ? 0.8 : o.threshold, budget,
                                          placement};
  why = "unknown policy " + o.policy;
  return std::nullopt;
}

template <class Store, class Verifier>
int run(Store& store, const options& o, const cloudlog::any_policy& policy,
        const Verifier& verify) {
  cloudlog::clean_options co;
  co.dry_run = o.dry_run;
  co.mode = o.whole_file ? cloudlog::relocation_mode::whole_parent
                         : cloudlog::relocation_mode::live_items;
  if (o.repack_inodes) co.repack_type = bs::type_byte(bs::item_type::inode);
  co.parallel = o.parallel;
  auto r = cloudlog::clean(bs::format{}, store, policy, co, verify);
  if (!r) return tools::report(r.error(), "cleaning " + o.store + " failed (nothing was deleted)");
  if (o.json)
    std::puts(tools::to_json(*r, o.dry_run).dump().c_str());
  else if (!o.quiet)
    std::fputs(tools::to_text(*r, o.dry_run, o.verbose).c_str(), stdout);
  if (!r->rejected.empty()) {
    std::fprintf(stderr,
                 "error: %zu item(s) failed verification or are corrupt and were left in place "
                 "(wrong key or damaged segment)\n",
                 r->rejected.size());
    return tools::exit_corrupt;
  }
  if (r->status == cloudlog::clean_status::waiting_for_writer) {
    if (!o.json && !o.quiet)
      std::fputs("waiting for the proxy to merge the previous cleaner output\n", stderr);
    return tools::exit_waiting;
  }
  return tools::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bluesky_cleaner: one cleaning pass over a BlueSky store. Finds segments that are mostly\n"
      "garbage, copies their live items into the cleaner's log directory (1), writes a new\n"
      "checkpoint last, and deletes segments that hold nothing live and that the proxy has\n"
      "acknowledged. Works without the key; with one it verifies every item it copies."};
  app.footer(
      "Examples:\n"
      "  bluesky_cleaner --store file:/srv/bluesky --dry-run\n"
      "  bluesky_cleaner --store file:/srv/bluesky --policy cost-benefit --max-read 1G --json\n"
      "  BLUESKY_KEY=... bluesky_cleaner --store file:/srv/bluesky --whole-file\n"
      "Exit codes: 0 cleaned or nothing to do, 2 bad usage, 3 store unreachable, 4 corruption\n"
      "found, 5 other failure, 6 waiting for the proxy to merge (docs/tools.md).");
  options o;
  app.add_option("--store", o.store, "The store, as a URI: file:DIR")->required();
  app.add_option("--policy", o.policy,
                 "Victim choice: threshold (BlueSky: 0 < u < 0.6), greedy (least utilized first), "
                 "cost-benefit ((1-u)*age/(1+u), LFS), age-threshold (old and below threshold)")
      ->capture_default_str();
  app.add_option("--threshold", o.threshold,
                 "Utilization threshold for threshold (default 0.6) and age-threshold (0.8)");
  app.add_option("--min-age", o.min_age, "Minimum age (in proxy segments) for age-threshold")
      ->capture_default_str();
  app.add_option("--age-classes", o.age_classes,
                 "Hot/cold classes for relocated data (1 = no separation)")
      ->capture_default_str();
  app.add_option("--max-read", o.max_read, "Budget: victim bytes to read per run (e.g. 512M)");
  app.add_option("--max-write", o.max_write, "Budget: live bytes to relocate per run (e.g. 256M)");
  app.add_option("--garbage-target", o.garbage_target,
                 "Stop choosing victims once they hold this much garbage (e.g. 1G)");
  app.add_flag("--whole-file", o.whole_file,
               "Relocate every block of a file one of whose blocks moves (the original's mode)");
  app.add_flag("--repack-inodes", o.repack_inodes, "Rewrite every live inode");
  app.add_flag("--dry-run", o.dry_run, "Print the plan; change nothing");
  app.add_flag("--json", o.json, "Print every statistic as one JSON object");
  app.add_option("--key-file", o.key_file,
                 "Verify items before copying them, with the key in this file (or BLUESKY_KEY)");
  app.add_option("--parallel", o.parallel, "Reads in flight at once")->capture_default_str();
  app.add_flag("-v,--verbose", o.verbose, "Also print the utilization table");
  app.add_flag("-q,--quiet", o.quiet, "Print nothing but errors");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : tools::exit_usage;
  }
  std::string why;
  auto policy = make_policy(o, why);
  if (!policy) {
    std::fprintf(stderr, "error: %s (see --help)\n", why.c_str());
    return tools::exit_usage;
  }
  auto store = tools::open_store(o.store);
  if (!store) return tools::report(store.error(), "cannot open store " + o.store);

  std::optional<bs::cipher> cipher;
  if (o.key_file || std::getenv("BLUESKY_KEY")) {
    auto key = bs::load_master_key(o.key_file);
    if (!key) return tools::report(key.error(), "cannot load the key");
    auto c = bs::cipher::from_master(*key);
    cloudlog::cleanse(*key);
    if (!c) return tools::report(c.error(), "cannot use the key");
    cipher.emplace(std::move(*c));
  }
  return std::visit(
      [&](auto& s) {
        if (cipher)
          return run(s, o, *policy, [&](cloudlog::byte_view item) {
            return cipher->verify(item) == cloudlog::tag_status::ok;
          });
        return run(s, o, *policy, cloudlog::accept_all{});
      },
      *store);
}
