// SPDX-License-Identifier: BSL-1.0
// libFuzzer target: the S3 XML the store parses (ListObjectsV2 pages, error
// documents, DeleteObjects results) through detail::xml_elements / xml_text /
// xml_unescape, queried as s3_store does.
// Properties: every element found lies inside the document, in order, without
// overlap; unescaping never grows text and keeps valid UTF-8 valid; escape then
// unescape gives back any string; an escaped string placed in an element reads back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloudlog/backend/detail/xml.hpp"
#include "support.hpp"

using namespace cloudlog;

namespace {

void check_elements(std::string_view doc, std::string_view tag) {
  const char* prev_end = doc.data();
  for (auto e : detail::xml_elements(doc, tag)) {
    FUZZ_CHECK(fuzz::within(e, doc));
    FUZZ_CHECK(e.data() >= prev_end);
    FUZZ_CHECK(e.find("</" + std::string(tag) + ">") == e.npos);
    prev_end = e.data() + e.size();
    const auto text = detail::xml_unescape(e);
    FUZZ_CHECK(text.size() <= e.size());
    if (fuzz::valid_utf8(e)) FUZZ_CHECK(fuzz::valid_utf8(text));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view doc(reinterpret_cast<const char*>(data), size);

  // ListObjectsV2, as s3_store::list reads a page.
  check_elements(doc, "Contents");
  for (auto c : detail::xml_elements(doc, "Contents")) {
    check_elements(c, "Key");
    check_elements(c, "Size");
    (void)detail::xml_text(c, "Key");
    (void)detail::xml_text(c, "Size");
  }
  (void)detail::xml_text(doc, "IsTruncated");
  (void)detail::xml_text(doc, "NextContinuationToken");
  // Error documents and DeleteObjects results.
  check_elements(doc, "Code");
  check_elements(doc, "Error");
  for (auto e : detail::xml_elements(doc, "Error")) (void)detail::xml_text(e, "Code");

  // Unescaping on its own.
  const auto text = detail::xml_unescape(doc);
  FUZZ_CHECK(text.size() <= doc.size());
  if (fuzz::valid_utf8(doc)) FUZZ_CHECK(fuzz::valid_utf8(text));

  // Escaping: nothing markup-like is left, and it is undone exactly.
  const auto escaped = detail::xml_escape(doc);
  FUZZ_CHECK(escaped.find_first_of("<>\"'") == escaped.npos);
  FUZZ_CHECK(detail::xml_unescape(escaped) == doc);
  FUZZ_CHECK(detail::xml_text("<Key>" + escaped + "</Key>", "Key") == doc);
  return 0;
}
