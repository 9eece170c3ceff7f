// SPDX-License-Identifier: BSL-1.0
// The little XML the S3 API needs: text of <Tag> elements, entity decoding and escaping.
#ifndef CLOUDLOG_BACKEND_DETAIL_XML_HPP
#define CLOUDLOG_BACKEND_DETAIL_XML_HPP

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cloudlog::detail {

// Decodes the five predefined entities and numeric character references (to UTF-8);
// anything else after a '&' stays as it is.
inline std::string xml_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  // The first ';' at or after the current '&' (npos: none left). Kept across
  // references, so text with many '&' and few ';' costs one pass, not one per '&'.
  auto semi = s.find(';');
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {  // the run of plain text up to the next '&', in one append
      const auto amp = std::min(s.find('&', i), s.size());
      out.append(s.substr(i, amp - i));
      i = amp - 1;
      continue;
    }
    if (semi != s.npos && semi < i) semi = s.find(';', i);
    if (semi == s.npos) {  // no reference can end: the rest is text
      out.append(s.substr(i));
      break;
    }
    const auto ent = s.substr(i + 1, semi - i - 1);
    std::uint32_t cp = 0;
    bool ok = true;
    if (ent == "amp")
      cp = '&';
    else if (ent == "lt")
      cp = '<';
    else if (ent == "gt")
      cp = '>';
    else if (ent == "quot")
      cp = '"';
    else if (ent == "apos")
      cp = '\'';
    else if (ent.size() > 1 && ent[0] == '#') {
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      // A reference to no digits, NUL, a surrogate or beyond U+10FFFF names no
      // character (XML 1.0, "Char"): it stays literal text, so the output stays UTF-8.
      ok = ent.size() > (hex ? 2u : 1u);
      for (std::size_t j = hex ? 2 : 1; j < ent.size() && ok; ++j) {
        const char c = ent[j];
        int d = -1;
        if (c >= '0' && c <= '9')
          d = c - '0';
        else if (hex && c >= 'a' && c <= 'f')
          d = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F')
          d = c - 'A' + 10;
        if (d < 0 || cp > 0x10ffff)
          ok = false;
        else
          cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
      }
      ok = ok && cp != 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    } else {
      ok = false;
    }
    if (!ok) {
      out.push_back(s[i]);
      continue;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
    i = semi;
  }
  return out;
}

inline std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    // The run of characters that need no escaping, in one append.
    const auto special = std::min(s.find_first_of("&<>\"'", i), s.size());
    out.append(s.substr(i, special - i));
    if (special == s.size()) break;
    i = special;
    switch (s[i]) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        break;
    }
  }
  return out;
}

// The raw (still escaped) contents of every <TAG>...</TAG> in DOC, in order. Our
// documents are flat enough (no CDATA, no nested elements of the same name).
inline std::vector<std::string_view> xml_elements(std::string_view doc, std::string_view tag) {
  std::vector<std::string_view> out;
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  std::size_t at = 0;
  while (true) {
    const auto b = doc.find(open, at);
    if (b == doc.npos) break;
    const auto e = doc.find(close, b + open.size());
    if (e == doc.npos) break;
    out.push_back(doc.substr(b + open.size(), e - b - open.size()));
    at = e + close.size();
  }
  return out;
}

// The decoded text of the first <TAG> in DOC, or empty.
inline std::string xml_text(std::string_view doc, std::string_view tag) {
  auto all = xml_elements(doc, tag);
  return all.empty() ? std::string{} : xml_unescape(all.front());
}

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_BACKEND_DETAIL_XML_HPP
