// SPDX-License-Identifier: BSL-1.0
// The usage index (cleaner/usage_index.hpp, detail/usage_walk.hpp): the record's
// bytes and every way it can be damaged; passes with the index plan exactly what a
// full walk plans, over many seeded workloads and every policy, on BlueSky and the
// tree format; a crash at any store operation leaves a usable store and index; a
// record that disagrees with the store is caught by the periodic full walk.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "cloudlog/backend/fault_injecting_store.hpp"
#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/cleaner/usage_index.hpp"
#include "cloudlog/policy/cost_aware.hpp"
#include "cloudlog/policy/policies.hpp"
#include "harness.hpp"
#include "support/fixtures.hpp"
#include "support/tree/format.hpp"
#include "support/tree/writer.hpp"
#include "support/usage_index_damage.hpp"

using namespace cloudlog;
namespace bs = cloudlog::bluesky;

namespace {

using fs_type = bs::filesystem<memory_store, bs::cipher>;

clean_options indexed(bool dry = false, std::uint32_t check_every = default_index_check_every) {
  clean_options o;
  o.dry_run = dry;
  o.usage_index.enabled = true;
  o.usage_index.check_every = check_every;
  return o;
}

clean_options full(bool dry = false) {
  clean_options o;
  o.dry_run = dry;
  return o;
}

// STORE after a workload of SEED, one indexed pass, the proxy's merge and more
// churn: the root has changed since the usage index's head.
void indexed_then_changed(memory_store& store, std::uint64_t seed) {
  test::file_model model;
  test::workload w(seed);
  {
    auto fs = fs_type::open(store, test::harness_cipher()).value();
    w.populate(fs, model, 9, 40'000);
    w.churn(fs, model, 12, 3, 20'000);
  }
  REQUIRE(clean(bs::format{}, store, greedy_policy{}, indexed()));
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  REQUIRE(bs::merge_cleaner_output(fs));
  w.churn(fs, model, 4, 2, 20'000);
}

std::string rows(const std::vector<segment_usage>& t) {
  std::ostringstream s;
  for (const auto& r : t)
    s << r.id.directory << '/' << r.id.sequence << ' ' << r.size << ' ' << r.live << ' ' << r.age
      << '\n';
  return s.str();
}

std::string names(const std::vector<segment_info>& t) {
  std::string s;
  for (const auto& r : t) s += r.name + ' ' + std::to_string(r.size) + '\n';
  return s;
}

// The plan and the accounting of two reports are the same.
void same_plan(const clean_report& a, const clean_report& b) {
  CHECK(rows(a.plan.table) == rows(b.plan.table));
  CHECK(rows(a.plan.victims) == rows(b.plan.victims));
  CHECK(names(a.plan.deletions) == names(b.plan.deletions));
  CHECK(a.plan.quarantined == b.plan.quarantined);
  CHECK(a.plan.bytes_to_read == b.plan.bytes_to_read);
  CHECK(a.plan.bytes_to_relocate == b.plan.bytes_to_relocate);
  CHECK(a.plan.bytes_to_free_now == b.plan.bytes_to_free_now);
  CHECK(a.plan.bytes_to_free_later == b.plan.bytes_to_free_later);
  CHECK(a.stats.bytes_total == b.stats.bytes_total);
  CHECK(a.stats.bytes_used == b.stats.bytes_used);
  CHECK(a.stats.items_live == b.stats.items_live);
  CHECK(a.status == b.status);
}

// The objects of STORE outside the usage index's directories (heads and ranges).
std::map<std::string, bytes, std::less<>> without_index(const memory_store& store) {
  auto all = store.snapshot();
  const auto heads = segment_prefix(usage_index_directory);
  const auto ranges = segment_prefix(usage_range_directory);
  std::erase_if(all, [&](const auto& kv) {
    return kv.first.rfind(heads, 0) == 0 || kv.first.rfind(ranges, 0) == 0;
  });
  return all;
}

// Every truncation, every single-bit flip and one byte more of DATA are refused by DECODE.
template <class Decode>
void every_damage_refused(const bytes& data, Decode decode) {
  for (std::size_t n = 0; n < data.size(); ++n) CHECK(!decode(byte_view(data).first(n)));
  for (std::size_t at = 0; at < data.size(); ++at) {
    auto bad = data;
    bad[at] ^= std::byte(static_cast<unsigned char>(1u << (at % 8)));
    CHECK(!decode(byte_view(bad)));
  }
  auto longer = data;
  longer.push_back(std::byte{0});
  CHECK(!decode(byte_view(longer)));
}

template <class Policy>
void bluesky_property(std::uint64_t seed, const Policy& policy, int rounds) {
  memory_store store;
  test::file_model model;
  test::workload w(seed);
  {
    auto fs = fs_type::open(store, test::harness_cipher()).value();
    w.populate(fs, model, 6 + static_cast<int>(seed % 7), 40'000);
    w.churn(fs, model, 12, 3, 20'000);
  }
  std::uint64_t reused = 0, checks = 0;
  for (int round = 0; round < rounds; ++round) {
    INFO("seed " << seed << " round " << round);
    // Dry runs on the same store: with the index, and walking in full.
    auto a = clean(bs::format{}, store, policy, indexed(true, 3));
    auto b = clean(bs::format{}, store, policy, full(true));
    REQUIRE(a);
    REQUIRE(b);
    same_plan(*a, *b);
    CHECK(!a->index.mismatch);
    // The real pass, both ways, from the same store.
    const auto before = store.snapshot();
    memory_store other;
    other.restore(without_index(store));
    auto c = clean(bs::format{}, store, policy, indexed(false, 3));
    auto d = clean(bs::format{}, other, policy, full(false));
    REQUIRE(c);
    REQUIRE(d);
    same_plan(*c, *d);
    CHECK(!c->index.mismatch);
    CHECK(c->stats.items_relocated == d->stats.items_relocated);
    CHECK(c->stats.bytes_freed == d->stats.bytes_freed);
    CHECK(c->stats.segments_written == d->stats.segments_written);
    reused += c->index.items_reused;
    checks += a->index.checked + c->index.checked;
    (void)before;
    // The proxy adopts, writes more; the model still reads back.
    auto fs = fs_type::open(store, test::harness_cipher()).value();
    REQUIRE(bs::merge_cleaner_output(fs));
    w.churn(fs, model, 6, 3, 20'000);
    test::check_reads(fs, model);
  }
  CHECK(reused > 0);
  CHECK(checks > 0);  // the periodic cross-check ran (every 3 passes) and agreed
}

}  // namespace

TEST_CASE("A usage index record round-trips and every damage is detected",
          "[cleaner][usage_index]") {
  memory_store store;
  test::file_model model;
  test::workload w(5);
  auto fs = fs_type::open(store, test::harness_cipher()).value();
  w.populate(fs, model, 6, 20'000);
  REQUIRE(fs.flush());
  auto r = clean(bs::format{}, store, greedy_policy{}, indexed());
  REQUIRE(r);
  REQUIRE(r->index.generation_written == 1);
  CHECK(r->index.full_walk);
  CHECK(r->index.note == "no usage index in the store: full walk");
  const auto name = segment_name(usage_index_segment(1)).value();
  const auto data = store.read(name, 0, whole_object).value();
  auto x = decode_usage_index(data);
  REQUIRE(x);
  CHECK(x->generation == 1);
  CHECK(x->passes_since_full_walk == 0);
  CHECK(x->items_live == r->stats.items_live);
  CHECK(encode_usage_index(*x) == data);
  CHECK(rows(x->segments) == rows(r->plan.table));
  every_damage_refused(data, [](byte_view d) { return decode_usage_index(d).has_value(); });
  // The ranges: every interior item but the root summarized once, in location order,
  // their live bytes adding up (with the root's) to the table's.
  REQUIRE(!x->ranges.empty());
  std::uint64_t written = data.size(), interior = 0, table_live = 0;
  for (const auto& ref : x->ranges) {
    const auto range =
        store.read(segment_name(usage_range_segment(ref.sequence)).value(), 0, whole_object)
            .value();
    written += range.size();
    auto summaries = decode_usage_range(ref, range);
    REQUIRE(summaries);
    CHECK(encode_usage_range(*summaries) == range);
    interior += summaries->size();
    every_damage_refused(range,
                         [&](byte_view d) { return decode_usage_range(ref, d).has_value(); });
  }
  CHECK(interior + 1 == x->interior);
  CHECK(written == r->index.bytes_written);
  for (const auto& row : x->segments) table_live += row.live;
  CHECK(table_live == r->stats.bytes_used);
}

TEST_CASE("A missing, damaged, misnamed or foreign usage index costs one full walk, same plan",
          "[cleaner][usage_index]") {
  memory_store store;
  indexed_then_changed(store, 11);
  auto expect = clean(bs::format{}, store, greedy_policy{}, full(true));
  REQUIRE(expect);
  // A pass that is not a dry run writes the next generation, which is used.
  REQUIRE(clean(bs::format{}, store, greedy_policy{}, indexed(false, 0)));
  const auto prefix = segment_prefix(usage_index_directory);
  const auto listed = store.list(usage_index_directory).value();
  REQUIRE(listed.size() == 1);  // the older generation was deleted
  const auto name = listed[0].name;
  CHECK(listed[0].id.sequence == 2);
  expect = clean(bs::format{}, store, greedy_policy{}, full(true));
  REQUIRE(expect);
  auto good = clean(bs::format{}, store, greedy_policy{}, indexed(true, 0));
  REQUIRE(good);
  same_plan(*good, *expect);
  CHECK(good->index.note.empty());
  CHECK(good->index.generation_read == 2);
  CHECK(good->index.items_read == 0);  // nothing changed since that pass
  CHECK(!good->index.full_walk);
  const auto record = store.read(name, 0, whole_object).value();

  const auto full_walk_with = [&](const std::string& why, auto&& damage) {
    INFO(why);
    memory_store s;
    s.restore(store.snapshot());
    damage(s);
    auto r = clean(bs::format{}, s, greedy_policy{}, indexed(true, 0));
    REQUIRE(r);
    same_plan(*r, *expect);
    CHECK(r->index.full_walk);
    CHECK(r->index.generation_read == 0);
    CHECK(r->index.note.find(why) != std::string::npos);
  };
  full_walk_with("no usage index", [&](memory_store& s) { REQUIRE(s.remove(name)); });
  full_walk_with("truncated or corrupt", [&](memory_store& s) {
    REQUIRE(s.write(name, byte_view(record).first(record.size() / 2)));
  });
  full_walk_with("truncated or corrupt", [&](memory_store& s) {
    auto bad = record;
    bad[detail::usage_index_header_bytes + 6] ^= std::byte{0x40};  // in the table
    REQUIRE(s.write(name, bad));
  });
  full_walk_with("holds generation 2", [&](memory_store& s) {
    REQUIRE(s.remove(name));
    REQUIRE(s.write(segment_name(usage_index_segment(7)).value(), record));
  });
  {
    // A damaged tree is found when the tree is needed (here: the plan has victims),
    // and then costs a full walk; never a different plan.
    memory_store s;
    s.restore(store.snapshot());
    {
      auto fs = fs_type::open(s, test::harness_cipher()).value();
      REQUIRE(bs::merge_cleaner_output(fs));
    }
    threshold_policy none;  // chooses no victim: the pass only writes the record
    none.threshold = 0.0;
    auto wrote = clean(bs::format{}, s, none, indexed(false, 0));
    REQUIRE(wrote);
    REQUIRE(wrote->index.generation_written == 3);
    const auto third = decode_usage_index(
        s.read(segment_name(usage_index_segment(3)).value(), 0, whole_object).value());
    REQUIRE(third);
    for (const auto& ref : third->ranges) {  // every range: whichever the graph needs
      const auto range = segment_name(usage_range_segment(ref.sequence)).value();
      auto bad = s.read(range, 0, whole_object).value();
      bad[bad.size() - 3] ^= std::byte{0x40};
      REQUIRE(s.write(range, bad));
    }
    threshold_policy every;
    every.threshold = 1.0;
    auto o = indexed(true, 0);
    o.target_utilization = 1.0;
    auto e = full(true);
    e.target_utilization = 1.0;
    auto want = clean(bs::format{}, s, every, e);
    auto r = clean(bs::format{}, s, every, o);
    REQUIRE(want);
    REQUIRE(r);
    same_plan(*r, *want);
    REQUIRE(!want->plan.victims.empty());
    CHECK(r->index.full_walk);
    CHECK(r->index.note.find("truncated or corrupt") != std::string::npos);
  }
  full_walk_with("from another store", [&](memory_store& s) {
    auto x = decode_usage_index(record).value();
    for (auto& row : x.segments) row.size += 1;
    REQUIRE(s.write(name, encode_usage_index(x)));
  });
}

TEST_CASE(
    "A missing, damaged or stale range object of the usage index costs one full walk, "
    "same plan",
    "[cleaner][usage_index]") {
  memory_store store;
  indexed_then_changed(store, 17);
  // The root changed since the head: a pass looks summaries up in its ranges.
  auto expect = clean(bs::format{}, store, greedy_policy{}, full(true));
  REQUIRE(expect);
  auto good = clean(bs::format{}, store, greedy_policy{}, indexed(true, 0));
  REQUIRE(good);
  same_plan(*good, *expect);
  REQUIRE(!good->index.full_walk);
  REQUIRE(good->index.items_reused > 0);
  const auto head = decode_usage_index(
      store.read(store.list(usage_index_directory).value().at(0).name, 0, whole_object).value());
  REQUIRE(head);
  REQUIRE(!head->ranges.empty());
  const auto full_walk_with = [&](const std::string& why, auto&& damage) {
    INFO(why);
    memory_store s;
    s.restore(store.snapshot());
    for (const auto& ref : head->ranges)
      damage(s, segment_name(usage_range_segment(ref.sequence)).value());
    auto r = clean(bs::format{}, s, greedy_policy{}, indexed(true, 0));
    REQUIRE(r);
    same_plan(*r, *expect);
    CHECK(r->index.full_walk);
    CHECK(r->index.generation_read == 0);
    CHECK(r->index.note.find(why) != std::string::npos);
  };
  full_walk_with("is missing", [](memory_store& s, const std::string& n) { REQUIRE(s.remove(n)); });
  full_walk_with("truncated or corrupt", [](memory_store& s, const std::string& n) {
    auto data = s.read(n, 0, whole_object).value();
    REQUIRE(s.write(n, byte_view(data).first(data.size() - 1)));
  });
  full_walk_with("truncated or corrupt", [](memory_store& s, const std::string& n) {
    auto data = s.read(n, 0, whole_object).value();
    data[data.size() / 2] ^= std::byte{0x08};
    REQUIRE(s.write(n, data));
  });
  // Stale: a sound range object, but not the one the head names (other summaries).
  full_walk_with("truncated or corrupt", [](memory_store& s, const std::string& n) {
    auto x = decode_usage_index(
        s.read(s.list(usage_index_directory).value().at(0).name, 0, whole_object).value());
    const auto& ref = *std::find_if(x->ranges.begin(), x->ranges.end(), [&](const auto& r) {
      return segment_name(usage_range_segment(r.sequence)).value() == n;
    });
    auto summaries = decode_usage_range(ref, s.read(n, 0, whole_object).value()).value();
    summaries.front().nodes += 1;
    summaries.front().interior += 1;
    REQUIRE(s.write(n, encode_usage_range(summaries)));
  });
  // And the real pass after a damaged range writes a sound index again.
  memory_store s;
  s.restore(store.snapshot());
  for (const auto& ref : head->ranges)
    REQUIRE(s.remove(segment_name(usage_range_segment(ref.sequence)).value()));
  auto healed = clean(bs::format{}, s, greedy_policy{}, indexed(false, 0));
  REQUIRE(healed);
  CHECK(healed->index.full_walk);
  CHECK(healed->index.generation_written > 0);
  auto after = clean(bs::format{}, s, greedy_policy{}, indexed(true, 0));
  auto truth = clean(bs::format{}, s, greedy_policy{}, full(true));
  REQUIRE(after);
  REQUIRE(truth);
  same_plan(*after, *truth);
  CHECK(after->index.note.empty());
}

TEST_CASE("Passes with the usage index plan exactly what full walks plan: BlueSky, every policy",
          "[cleaner][usage_index][property]") {
  const int seeds = 8;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    bluesky_property(seed, greedy_policy{}, 4);
    bluesky_property(seed + 100, threshold_policy{}, 4);
    bluesky_property(seed + 200, cost_benefit_policy{}, 4);
    bluesky_property(seed + 300, age_threshold_policy{}, 4);
    bluesky_property(seed + 400, lifetime_policy{}, 4);
    bluesky_property(seed + 500, cost_aware_policy{}, 4);
  }
}

TEST_CASE("Passes with the usage index plan exactly what full walks plan: the tree format",
          "[cleaner][usage_index][property]") {
  std::uint64_t reused = 0;
  for (unsigned seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    memory_store store;
    tree::writer writer(4, 8);
    std::mt19937 rng(seed);
    for (int round = 0; round < 8; ++round) {
      for (int k = 0; k < 6; ++k) {
        bytes data(200 + rng() % 1500);
        for (auto& b : data) b = static_cast<std::byte>(rng());
        writer.put(rng() % 4, rng() % 8, std::move(data));
      }
      REQUIRE(writer.commit(store));
      auto a = clean(tree::format{}, store, greedy_policy{}, indexed(true, 3));
      auto b = clean(tree::format{}, store, greedy_policy{}, full(true));
      REQUIRE(a);
      REQUIRE(b);
      same_plan(*a, *b);
      memory_store other;
      other.restore(without_index(store));
      auto c = clean(tree::format{}, store, greedy_policy{}, indexed(false, 3));
      auto d = clean(tree::format{}, other, greedy_policy{}, full(false));
      REQUIRE(c);
      REQUIRE(d);
      same_plan(*c, *d);
      CHECK(!c->index.mismatch);
      reused += c->index.items_reused;
      REQUIRE(writer.adopt(store));
      auto content = tree::read_tree(store);
      REQUIRE(content);
    }
  }
  CHECK(reused > 0);
}

TEST_CASE("A usage index that disagrees with the store is caught by the periodic full walk",
          "[cleaner][usage_index]") {
  memory_store store;
  indexed_then_changed(store, 23);
  // A record with the right checksums but wrong summaries: every one a byte off.
  const auto listed = store.list(usage_index_directory).value();
  REQUIRE(listed.size() == 1);
  REQUIRE(test::skew_usage_summaries(
      listed[0].name, store.read(listed[0].name, 0, whole_object).value(),
      [&](const std::string& n) { return store.read(n, 0, whole_object).value(); },
      [&](const std::string& n, const bytes& b) { REQUIRE(store.write(n, b)); }, 5));
  auto expect = clean(bs::format{}, store, greedy_policy{}, full(true));
  REQUIRE(expect);
  REQUIRE(!expect->plan.deletions.empty());
  // The next pass is a check (every 6 passes): it reports, deletes nothing, and
  // writes a record from the full walk.
  const auto before = without_index(store);
  auto r = clean(bs::format{}, store, greedy_policy{}, indexed(false, 6));
  REQUIRE(r);
  CHECK(r->index.checked);
  CHECK(r->index.mismatch);
  CHECK(r->status == clean_status::nothing_to_do);
  CHECK(r->plan.deletions.empty());
  CHECK(r->plan.victims.empty());
  CHECK(r->stats.segments_deleted == 0);
  CHECK(rows(r->plan.table) == rows(expect->plan.table));
  CHECK(without_index(store) == before);
  CHECK(r->index.generation_written > 0);
  // The record written from the full walk agrees on the next check.
  auto again = clean(bs::format{}, store, greedy_policy{}, indexed(false, 1));
  REQUIRE(again);
  CHECK(again->index.checked);
  CHECK(!again->index.mismatch);
  CHECK(again->stats.segments_deleted > 0);
}

TEST_CASE("A cleaner with the usage index stopped after any store operation converges",
          "[cleaner][usage_index][crash]") {
  memory_store base;
  test::file_model model;
  test::workload w(99);
  {
    auto fs = fs_type::open(base, test::harness_cipher()).value();
    w.populate(fs, model, 8, 80'000);
    REQUIRE(fs.flush());
    w.churn(fs, model, 20, 5, 30'000);
  }
  REQUIRE(clean(bs::format{}, base, greedy_policy{}, indexed()));
  {
    auto fs = fs_type::open(base, test::harness_cipher()).value();
    REQUIRE(bs::merge_cleaner_output(fs));
    w.churn(fs, model, 20, 5, 30'000);
  }
  for (const bool with_index : {true, false}) {
    memory_store start;
    start.restore(base.snapshot());
    if (!with_index) {
      const auto records = start.list(usage_index_directory).value();
      for (const auto& s : records) REQUIRE(start.remove(s.name));
    }
    const auto snapshot = start.snapshot();
    std::uint64_t total = 0;
    {
      memory_store s;
      s.restore(snapshot);
      fault_injecting_store counted(s);
      auto r = clean(bs::format{}, counted, greedy_policy{}, indexed());
      REQUIRE(r);
      REQUIRE(r->status == clean_status::cleaned);
      REQUIRE(r->index.generation_written > 0);
      total = counted.calls();
    }
    REQUIRE(total > 5);
    for (std::uint64_t k = 0; k <= total; ++k) {
      INFO("with index " << with_index << ": crash after operation " << k << " of " << total);
      memory_store s;
      s.restore(snapshot);
      {
        fault_injecting_store crashing(s);
        crashing.crash_after(k);
        (void)clean(bs::format{}, crashing, greedy_policy{}, indexed());
      }
      test::check_reopen(s, model);
      // Clean + merge to convergence, each pass planning what a full walk plans.
      bool done = false;
      for (int i = 0; i < 8 && !done; ++i) {
        auto fs = fs_type::open(s, test::harness_cipher()).value();
        REQUIRE(bs::merge_cleaner_output(fs));
        auto a = clean(bs::format{}, s, greedy_policy{}, indexed(true, 0));
        auto b = clean(bs::format{}, s, greedy_policy{}, full(true));
        REQUIRE(a);
        REQUIRE(b);
        same_plan(*a, *b);
        auto r = clean(bs::format{}, s, greedy_policy{}, indexed(false, 0));
        REQUIRE(r);
        done = r->status == clean_status::nothing_to_do;
      }
      CHECK(done);
      test::check_reopen(s, model);
    }
  }
}

TEST_CASE(
    "The record's local copy is read instead of the store's while it is the newest; "
    "a stale or damaged copy costs one note and the store's is read",
    "[cleaner][usage_index][local_copy]") {
  memory_store store;
  test::file_model model;
  test::workload w(41);
  {
    auto fs = fs_type::open(store, test::harness_cipher()).value();
    w.populate(fs, model, 10, 40'000);
    w.churn(fs, model, 12, 3, 20'000);
  }
  test::temp_dir dir;
  const auto local = dir.path() / "usage-index";
  const auto with_copy = [&](bool dry) {
    auto o = indexed(dry, 0);
    o.usage_index.local_copy = local;
    return o;
  };
  const auto churn = [&] {
    auto fs = fs_type::open(store, test::harness_cipher()).value();
    REQUIRE(bs::merge_cleaner_output(fs));
    w.churn(fs, model, 4, 2, 20'000);
  };
  // The copy of the store's newest record, and its path.
  const auto copy_path = [&] {
    const auto listed = store.list(usage_index_directory).value();
    REQUIRE(listed.size() == 1);
    return local / listed[0].name;
  };
  const auto file_bytes = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    bytes out;
    for (char c; in.get(c);) out.push_back(std::byte(static_cast<unsigned char>(c)));
    return out;
  };
  const auto compare_with_full_walk = [&](const clean_report& r) {
    auto truth = clean(bs::format{}, store, greedy_policy{}, full(true));
    REQUIRE(truth);
    same_plan(r, *truth);
  };

  // A pass writes the store's record, then the same bytes as the local copy.
  auto first = clean(bs::format{}, store, greedy_policy{}, with_copy(false));
  REQUIRE(first);
  CHECK(first->index.note.find("no usage index") == 0);
  CHECK(!first->index.local_copy);
  const auto listed = store.list(usage_index_directory).value();
  REQUIRE(listed.size() == 1);
  CHECK(file_bytes(copy_path()) == store.read(listed[0].name, 0, whole_object).value());
  churn();

  SECTION("a current copy: the store's record is listed, never read") {
    auto r = clean(bs::format{}, store, greedy_policy{}, with_copy(true));
    REQUIRE(r);
    CHECK(r->index.local_copy);
    CHECK(r->index.bytes_read == 0);
    // The head, and the ranges holding the summaries the walk looked up.
    CHECK(r->index.local_bytes_read >= std::filesystem::file_size(copy_path()));
    CHECK(r->index.items_read > 0);  // the churn's interior items
    CHECK(r->index.items_reused > 0);
    CHECK(r->index.note.empty());
    compare_with_full_walk(*r);
    // A real pass writes the next record and its copy; the old copy is removed.
    auto p = clean(bs::format{}, store, greedy_policy{}, with_copy(false));
    REQUIRE(p);
    CHECK(p->index.local_copy);
    CHECK(p->index.generation_written == p->index.generation_read + 1);
    // The local directory holds the new head and ranges it references, nothing older.
    const auto head = decode_usage_index(file_bytes(copy_path()));
    REQUIRE(head);
    std::set<std::filesystem::path> referenced{copy_path()};
    for (const auto& ref : head->ranges)
      referenced.insert(local / segment_name(usage_range_segment(ref.sequence)).value());
    for (const auto& e : std::filesystem::directory_iterator(local))
      CHECK(referenced.count(e.path()) == 1);
    // An idle pass reads nothing of the record but its local copy's header and table.
    auto idle = clean(bs::format{}, store, greedy_policy{}, with_copy(true));
    REQUIRE(idle);
    CHECK(idle->index.local_copy);
    CHECK(idle->index.bytes_read == 0);
    CHECK(idle->index.items_read == 0);
    compare_with_full_walk(*idle);
  }
  SECTION("a stale copy: one note, the store's record, the same plan; a pass renews the copy") {
    // A pass without the local copy moves the store to the next generation.
    auto p = clean(bs::format{}, store, greedy_policy{}, indexed(false, 0));
    REQUIRE(p);
    REQUIRE(p->index.generation_written > 0);
    auto r = clean(bs::format{}, store, greedy_policy{}, with_copy(true));
    REQUIRE(r);
    CHECK(!r->index.local_copy);
    CHECK(r->index.bytes_read > 0);
    CHECK(!r->index.full_walk);
    CHECK(r->index.note.find("is stale (generation " +
                             std::to_string(first->index.generation_written) + ", the store's " +
                             std::to_string(p->index.generation_written) + ")") !=
          std::string::npos);
    compare_with_full_walk(*r);
    // The next real pass (nothing changed: the store's record stays) makes the copy.
    auto idle = clean(bs::format{}, store, greedy_policy{}, with_copy(false));
    REQUIRE(idle);
    CHECK(idle->index.generation_written == 0);
    CHECK(file_bytes(copy_path()) ==
          store.read(store.list(usage_index_directory).value()[0].name, 0, whole_object).value());
    auto again = clean(bs::format{}, store, greedy_policy{}, with_copy(true));
    REQUIRE(again);
    CHECK(again->index.local_copy);
    CHECK(again->index.bytes_read == 0);
    CHECK(again->index.note.empty());
  }
  SECTION("a damaged copy: one note, the store's record, the same plan") {
    const auto path = copy_path();
    auto data = file_bytes(path);
    SECTION("in its range list") {
      data[data.size() - 3] ^= std::byte{0x10};
    }
    SECTION("in its header") {
      data[20] ^= std::byte{0x01};
    }
    SECTION("in its table") {
      data[detail::usage_index_header_bytes + 9] ^= std::byte{0x01};
    }
    SECTION("truncated") {
      data.resize(data.size() - 1);
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
    auto r = clean(bs::format{}, store, greedy_policy{}, with_copy(true));
    REQUIRE(r);
    CHECK(!r->index.local_copy);
    CHECK(!r->index.full_walk);
    CHECK(r->index.bytes_read > 0);
    CHECK(r->index.note.find("of the usage index is truncated or corrupt: read from the store") !=
          std::string::npos);
    compare_with_full_walk(*r);
  }
}

TEST_CASE("Small range objects are compacted once a head keeps many, and plans stay a full walk's",
          "[cleaner][usage_index]") {
  memory_store store;
  tree::writer writer(40, 4);
  for (std::uint32_t d = 0; d < 40; ++d)
    for (std::uint32_t s = 0; s < 4; ++s) writer.put(d, s, bytes(100, std::byte{1}));
  REQUIRE(writer.commit(store));
  threshold_policy none;  // chooses no victim: each pass only deletes and writes the head
  none.threshold = 0.0;
  std::mt19937 rng(9);
  std::size_t most_small = 0, compactions = 0, before = 0;
  for (int round = 0; round < 80; ++round) {
    writer.put(rng() % 40, rng() % 4, bytes(50 + rng() % 200, std::byte{2}));
    REQUIRE(writer.commit(store));
    auto expect = clean(tree::format{}, store, none, full(true));
    REQUIRE(expect);
    auto r = clean(tree::format{}, store, none, indexed(false, 0));
    REQUIRE(r);
    same_plan(*r, *expect);
    const auto listed = store.list(usage_index_directory).value();
    REQUIRE(listed.size() == 1);
    const auto head =
        decode_usage_index(store.read(listed[0].name, 0, whole_object).value()).value();
    std::size_t small = 0;
    for (const auto& ref : head.ranges) small += ref.count < 64 ? 1 : 0;
    most_small = std::max(most_small, small);
    if (small < before) ++compactions;
    before = small;
    CHECK(store.list(usage_range_directory).value().size() == head.ranges.size());
  }
  CHECK(most_small <= 33);  // usage_compact_at, then the pass's own
  CHECK(compactions >= 1);
}
