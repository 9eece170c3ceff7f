// SPDX-License-Identifier: BSL-1.0
// The object-store cost model: what a cleaning pass costs in requests and transfer
// and what it saves in storage, in dollars, from a price table (docs/backends.md,
// "What a pass costs").
#ifndef CLOUDLOG_POLICY_COST_MODEL_HPP
#define CLOUDLOG_POLICY_COST_MODEL_HPP

#include <cstdint>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "cloudlog/result.hpp"

namespace cloudlog {

// Prices in US dollars. The defaults are AWS S3 Standard in US East (N. Virginia),
// from https://aws.amazon.com/s3/pricing/ (docs/backends.md gives the figures and
// the date they were read); a price file overrides any of them.
struct price_table {
  // Storage per GB-month, by storage class (first 50 TB tier for STANDARD).
  std::map<std::string, double> storage_gb_month{{"STANDARD", 0.023},
                                                 {"INTELLIGENT_TIERING", 0.023},
                                                 {"STANDARD_IA", 0.0125},
                                                 {"ONEZONE_IA", 0.01},
                                                 {"GLACIER_IR", 0.004}};
  // The class the store's segments are in.
  std::string storage_class = "STANDARD";
  // PUT, COPY, POST and LIST requests, per 1,000.
  double put_list_per_1000 = 0.005;
  // GET, SELECT and every other request (HEAD), per 1,000.
  double get_per_1000 = 0.0004;
  // DELETE requests (and DeleteObjects) are free on S3.
  double delete_per_1000 = 0.0;
  // Transfer per GB of what the cleaner reads: 0 when it runs in the bucket's
  // region (the default); S3 to the internet is 0.09 (first 10 TB/month).
  double transfer_out_gb = 0.0;

  // The storage price of storage_class. Fails: errc::invalid_argument for a class
  // the table has no price for.
  result<double> storage_price() const {
    auto i = storage_gb_month.find(storage_class);
    if (i == storage_gb_month.end()) return fail(errc::invalid_argument);
    return i->second;
  }
};

// Reads a price file over DEFAULTS: "key = value" lines ('#' comments), keys
// storage_class, put_list_per_1000, get_per_1000, delete_per_1000,
// transfer_out_gb, and storage_gb_month.CLASS.
// Fails: errc::invalid_argument naming nothing: an unknown key, a value that is
// not a non-negative number, or a storage_class without a price.
inline result<price_table> parse_price_table(std::string_view text, price_table defaults = {}) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != line.npos) line.erase(hash);
    const auto eq = line.find('=');
    auto strip = [](std::string s) {
      const auto b = s.find_first_not_of(" \t\r");
      const auto e = s.find_last_not_of(" \t\r");
      return b == s.npos ? std::string{} : s.substr(b, e - b + 1);
    };
    if (strip(line).empty()) continue;
    if (eq == line.npos) return fail(errc::invalid_argument);
    const auto key = strip(line.substr(0, eq)), value = strip(line.substr(eq + 1));
    if (key == "storage_class") {
      defaults.storage_class = value;
      continue;
    }
    std::size_t used = 0;
    double v = -1;
    try {
      v = std::stod(value, &used);
    } catch (...) {
      return fail(errc::invalid_argument);
    }
    if (used != value.size() || !(v >= 0)) return fail(errc::invalid_argument);
    if (key == "put_list_per_1000")
      defaults.put_list_per_1000 = v;
    else if (key == "get_per_1000")
      defaults.get_per_1000 = v;
    else if (key == "delete_per_1000")
      defaults.delete_per_1000 = v;
    else if (key == "transfer_out_gb")
      defaults.transfer_out_gb = v;
    else if (key.rfind("storage_gb_month.", 0) == 0)
      defaults.storage_gb_month[key.substr(17)] = v;
    else
      return fail(errc::invalid_argument);
  }
  if (!defaults.storage_price()) return fail(errc::invalid_argument);
  return defaults;
}

// What one run did, in the model's terms.
struct pass_usage {
  std::uint64_t put_list_requests = 0;  // PUT, POST (not DeleteObjects) and LIST
  std::uint64_t get_requests = 0;       // GET and HEAD
  std::uint64_t delete_requests = 0;
  std::uint64_t bytes_read = 0;  // transferred out of the store
  std::int64_t bytes_saved = 0;  // storage freed (now or once merged) minus written
};

// A run's cost and saving in dollars.
struct pass_cost {
  double requests_usd = 0;
  double transfer_usd = 0;
  double storage_saved_usd_per_month = 0;
  // (requests + transfer) / saving, in days; infinity when nothing is saved.
  double payback_days = std::numeric_limits<double>::infinity();
};

inline constexpr double bytes_per_gb = 1e9;  // AWS bills decimal GB

// Prices USAGE with PRICES.
// REQUIRES: prices.storage_price() succeeds.
inline pass_cost price(const pass_usage& usage, const price_table& prices) {
  pass_cost c;
  c.requests_usd = static_cast<double>(usage.put_list_requests) * prices.put_list_per_1000 / 1000 +
                   static_cast<double>(usage.get_requests) * prices.get_per_1000 / 1000 +
                   static_cast<double>(usage.delete_requests) * prices.delete_per_1000 / 1000;
  c.transfer_usd = static_cast<double>(usage.bytes_read) / bytes_per_gb * prices.transfer_out_gb;
  c.storage_saved_usd_per_month =
      static_cast<double>(usage.bytes_saved) / bytes_per_gb * prices.storage_price().value_or(0);
  const double spent = c.requests_usd + c.transfer_usd;
  if (c.storage_saved_usd_per_month > 0)
    c.payback_days = spent / c.storage_saved_usd_per_month * 30;
  return c;
}

}  // namespace cloudlog

#endif  // CLOUDLOG_POLICY_COST_MODEL_HPP
