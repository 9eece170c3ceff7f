// SPDX-License-Identifier: BSL-1.0
// backend/detail/xml.hpp: the five entities and numeric references decoded (to
// UTF-8), anything else kept; escape inverts unescape; elements in order; the
// first element's decoded text.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cloudlog/backend/detail/xml.hpp"

using namespace cloudlog::detail;

TEST_CASE("xml_unescape decodes entities and character references, keeps the rest",
          "[backend][xml]") {
  CHECK(xml_unescape("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;") == "a <b> & \"c\" 'd'");
  CHECK(xml_unescape("&#65;&#x42;") == "AB");
  CHECK(xml_unescape("&#xe9;") == "\xc3\xa9");             // U+00E9 as UTF-8
  CHECK(xml_unescape("&#x20AC;") == "\xe2\x82\xac");       // U+20AC
  CHECK(xml_unescape("&#x1F600;") == "\xf0\x9f\x98\x80");  // U+1F600
  CHECK(xml_unescape("fish & chips") == "fish & chips");   // no ';': kept
  CHECK(xml_unescape("&bogus; &") == "&bogus; &");
}

TEST_CASE("xml_escape is undone by xml_unescape", "[backend][xml]") {
  for (const char* s : {"plain", "<Key>a&b</Key>", "\"quoted\" 'single'", "", "&amp;"}) {
    INFO(s);
    const auto e = xml_escape(s);
    CHECK(e.find('<') == std::string::npos);
    CHECK(xml_unescape(e) == s);
  }
}

TEST_CASE("Elements in document order; the first one's decoded text", "[backend][xml]") {
  const std::string doc =
      "<ListBucketResult><Contents><Key>log-1</Key><Size>10</Size></Contents>"
      "<Contents><Key>a&amp;b</Key><Size>20</Size></Contents></ListBucketResult>";
  CHECK(xml_elements(doc, "Key") == std::vector<std::string_view>{"log-1", "a&amp;b"});
  CHECK(xml_elements(doc, "Contents").size() == 2);
  CHECK(xml_elements(doc, "Missing").empty());
  CHECK(xml_text(doc, "Size") == "10");
  CHECK(xml_text("<Error><Code>NoSuchKey</Code><Message>it&apos;s gone</Message></Error>",
                 "Message") == "it's gone");
  CHECK(xml_text(doc, "Missing").empty());
}
