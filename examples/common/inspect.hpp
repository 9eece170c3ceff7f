// SPDX-License-Identifier: BSL-1.0
// `bluesky_cleaner inspect`: how a store's bytes are spread over segments, for an
// operator deciding a policy or a target (docs/tools.md, "inspect"): a
// utilization histogram and an age x utilization grid in the terminal, the
// per-segment table as CSV, and both plots as one SVG.
#ifndef CLOUDLOG_EXAMPLES_COMMON_INSPECT_HPP
#define CLOUDLOG_EXAMPLES_COMMON_INSPECT_HPP

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cloudlog/policy/cleaning_policy.hpp"
#include "cloudlog/segment_name.hpp"
#include "common/report_json.hpp"

namespace tools {

// Utilization deciles: the bucket of U (0..1) among 10 (1.0 falls in the last).
inline std::size_t decile_of(double u) {
  return std::min<std::size_t>(9, static_cast<std::size_t>(std::max(0.0, u) * 10));
}

// Age classes: 0, 1, 2-3, 4-7, 8-15, ... (floor(log2(age)) + 1; 0 for age 0).
inline std::size_t age_class_of(std::uint64_t age) {
  std::size_t c = 0;
  while (age) {
    age >>= 1;
    ++c;
  }
  return c;
}
inline std::string age_class_label(std::size_t c) {
  if (c == 0) return "0";
  if (c == 1) return "1";
  return fmt::format("{}-{}", std::uint64_t{1} << (c - 1), (std::uint64_t{1} << c) - 1);
}

// The terminal view of TABLE: the totals, the utilization histogram (segments and
// bytes per decile, bars scaled to the largest), and the age x utilization grid
// (segments per cell, in quintiles of utilization).
inline std::string inspect_text(const std::vector<cloudlog::segment_usage>& table,
                                const std::string& store) {
  std::uint64_t stored = 0, live = 0;
  for (const auto& s : table) {
    stored += s.size;
    live += s.live;
  }
  std::string out = "store " + store + ": " + shape_line(stored, table.size(), live) + "\n\n";
  std::uint64_t count[10] = {}, bytes[10] = {};
  for (const auto& s : table) {
    ++count[decile_of(s.utilization())];
    bytes[decile_of(s.utilization())] += s.size;
  }
  const auto most = *std::max_element(std::begin(bytes), std::end(bytes));
  out += "utilization histogram (live / size of each segment; bar: stored bytes)\n";
  for (std::size_t d = 0; d < 10; ++d) {
    const auto width =
        most ? static_cast<std::size_t>(
                   40.0 * static_cast<double>(bytes[d]) / static_cast<double>(most) + 0.5)
             : 0;
    std::string bar;
    for (std::size_t i = 0; i < width; ++i) bar += "\u2588";
    if (bytes[d] && width == 0) bar = "\u258f";
    out += fmt::format("  {:>8} {:>6} seg {:>10}  {}\n", fmt::format("{}-{}%", d * 10, d * 10 + 10),
                       count[d], human_bytes(static_cast<double>(bytes[d])), bar);
  }
  std::size_t classes = 1;
  for (const auto& s : table) classes = std::max(classes, age_class_of(s.age) + 1);
  std::vector<std::array<std::uint64_t, 5>> grid(classes, std::array<std::uint64_t, 5>{});
  for (const auto& s : table) ++grid[age_class_of(s.age)][decile_of(s.utilization()) / 2];
  out += "\nage x utilization (segments; age in proxy segments written since, oldest last)\n";
  out += fmt::format("  {:>11}  {:>7} {:>7} {:>7} {:>7} {:>7}\n", "age \\ util", "0-20%", "20-40%",
                     "40-60%", "60-80%", "80-100%");
  for (std::size_t c = 0; c < classes; ++c) {
    out += fmt::format("  {:>11} ", age_class_label(c));
    for (const auto n : grid[c]) out += n ? fmt::format(" {:>7}", n) : fmt::format(" {:>7}", ".");
    out += "\n";
  }
  return out;
}

// TABLE as CSV: one header line, then one line per segment.
inline std::string inspect_csv(const std::vector<cloudlog::segment_usage>& table) {
  std::string out = "segment,directory,sequence,size,live,utilization,age\n";
  for (const auto& s : table)
    out += fmt::format("{},{},{},{},{},{:.6f},{}\n", cloudlog::segment_name(s.id).value_or("?"),
                       s.id.directory, s.id.sequence, s.size, s.live, s.utilization(), s.age);
  return out;
}

// TABLE as one SVG: the utilization histogram (stored bytes per decile, left) and
// age against utilization (one dot per segment, its area by size; right).
inline std::string inspect_svg(const std::vector<cloudlog::segment_usage>& table,
                               const std::string& store) {
  constexpr double W = 900, H = 360, pad = 50, panel = 380;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      W, H, W, H);
  std::string title;
  for (const char c : store) {
    if (c == '<')
      title += "&lt;";
    else if (c == '>')
      title += "&gt;";
    else if (c == '&')
      title += "&amp;";
    else if (c == '"')
      title += "&quot;";
    else
      title += c;
  }
  out += fmt::format("<title>{}: segment utilization</title>\n", title);
  // Left: histogram.
  std::uint64_t bytes[10] = {}, biggest = 1;
  std::uint64_t max_age = 1;
  for (const auto& s : table) {
    bytes[decile_of(s.utilization())] += s.size;
    max_age = std::max(max_age, s.age);
    biggest = std::max(biggest, s.size);
  }
  const auto most =
      std::max<std::uint64_t>(1, *std::max_element(std::begin(bytes), std::end(bytes)));
  const double base = H - pad, top = pad, bw = panel / 10;
  out += fmt::format("<text x=\"{}\" y=\"{}\">stored bytes by utilization ({} max)</text>\n", pad,
                     top - 15, human_bytes(static_cast<double>(most)));
  for (std::size_t d = 0; d < 10; ++d) {
    const double h = (base - top) * static_cast<double>(bytes[d]) / static_cast<double>(most);
    out += fmt::format(
        "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"#4878a8\"><title>{}-{}%: {}</title></rect>\n",
        pad + d * bw + 1, base - h, bw - 2, h, d * 10, d * 10 + 10,
        human_bytes(static_cast<double>(bytes[d])));
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                       pad + d * bw + bw / 2, base + 14, d * 10);
  }
  out +=
      fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">utilization %</text>\n",
                  pad + panel / 2, base + 30);
  // Right: age against utilization.
  const double x0 = pad * 2 + panel;
  out += fmt::format("<text x=\"{}\" y=\"{}\">age (proxy segments) against utilization</text>\n",
                     x0, top - 15);
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n", x0,
      top, panel, base - top);
  for (const auto& s : table) {
    const double x = x0 + panel * std::min(1.0, s.utilization());
    const double y =
        base - (base - top) * static_cast<double>(s.age) / static_cast<double>(max_age);
    const double r = 2 + 6 * std::sqrt(static_cast<double>(s.size) / static_cast<double>(biggest));
    out += fmt::format(
        "<circle class=\"segment\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\" fill=\"#c05030\" "
        "fill-opacity=\"0.5\"><title>{}: {:.1f}%, age {}</title></circle>\n",
        x, y, r, cloudlog::segment_name(s.id).value_or("?"), 100 * s.utilization(), s.age);
  }
  out += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">utilization "
      "(0 to 100%); age 0 at the bottom, {} at the top</text>\n",
      x0 + panel / 2, base + 30, max_age);
  return out + "</svg>\n";
}

}  // namespace tools

#endif  // CLOUDLOG_EXAMPLES_COMMON_INSPECT_HPP
