// SPDX-License-Identifier: BSL-1.0
// SigV4 against AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite:
// AKIDEXAMPLE, region us-east-1, service "service", 20150830T123600Z) and the S3
// documentation's GET-object example, byte for byte.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cloudlog/backend/sigv4.hpp"

using namespace cloudlog;

namespace {

const sigv4::credentials suite_creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const std::string suite_authz =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";
const std::string empty_hash(sigv4::empty_payload_hash);

struct vector_case {
  std::string name;
  std::string req;    // the suite's .req file
  std::string creq;   // the suite's .creq file
  std::string authz;  // the suite's .authz file
  std::string token = {};
};

// Parses the suite's .req format: request line, headers (a line starting with white
// space continues the header above), a blank line, the body.
sigv4::request parse_req(const std::string& raw, bool& has_body, std::string& body) {
  auto split = raw.find("\n\n");
  std::string head = raw.substr(0, split);
  body = split == std::string::npos ? "" : raw.substr(split + 2);
  has_body = split != std::string::npos;
  std::vector<std::string> lines;
  for (std::size_t at = 0; at <= head.size();) {
    auto nl = head.find('\n', at);
    if (nl == std::string::npos) nl = head.size();
    if (nl > at) lines.push_back(head.substr(at, nl - at));
    at = nl + 1;
  }
  sigv4::request r;
  const auto& first = lines.at(0);
  r.method = first.substr(0, first.find(' '));
  auto target = first.substr(first.find(' ') + 1);
  target = target.substr(0, target.rfind(' '));
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = sigv4::parse_query(target.substr(q + 1));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i][0] == ' ' || lines[i][0] == '\t') {
      r.headers.back().second += " " + lines[i];
      continue;
    }
    const auto colon = lines[i].find(':');
    r.headers.emplace_back(lines[i].substr(0, colon), lines[i].substr(colon + 1));
  }
  r.payload_hash = detail::sha256_hex(as_bytes(body));
  return r;
}

const std::vector<vector_case> suite = {
    {"get-vanilla", "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-empty-query-key",
     "GET /?Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-"
     "amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
    {"get-vanilla-query-order-key-case",
     "GET /?Param2=value2&Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:"
     "20150830T123600Z",
     "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:"
     "20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-key",
     "GET /?Param1=value2&Param1=Value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:"
     "20150830T123600Z",
     "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:"
     "20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
    {"get-vanilla-query-order-value",
     "GET /?Param1=value2&Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:"
     "20150830T123600Z",
     "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:"
     "20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-query-unreserved",
     "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~"
     "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\nHost:example."
     "amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~"
     "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws."
     "com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-vanilla-utf8-query",
     "GET /?\xe1\x88\xb4=bar HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-"
     "amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-unreserved",
     "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz "
     "HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example."
     "amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8",
     "GET /\xe1\x88\xb4 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
     "date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-header-key-duplicate",
     "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value2\nMy-Header1:value2\nMy-"
     "Header1:value1\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:"
     "20150830T123600Z\n\nhost;my-header1;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;my-header1;x-amz-date, "
                   "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-header-value-multiline",
     "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n     "
     "value3\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1 value2 value3\nx-amz-date:"
     "20150830T123600Z\n\nhost;my-header1;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;my-header1;x-amz-date, "
                   "Signature=cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd"},
    {"get-header-value-order",
     "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value4\nMy-Header1:value1\nMy-"
     "Header1:value3\nMy-Header1:value2\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:"
     "20150830T123600Z\n\nhost;my-header1;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;my-header1;x-amz-date, "
                   "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
    {"get-header-value-trim",
     "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1: value1\nMy-Header2: \"a   b   "
     "c\"\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:"
     "20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                   "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"post-vanilla", "POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-vanilla-query",
     "POST /?Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-"
     "amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
    {"post-header-key-sort",
     "POST / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\nX-Amz-Date:20150830T123600Z",
     "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\n"
     "host;my-header1;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;my-header1;x-amz-date, "
                   "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"post-header-value-case",
     "POST / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:VALUE1\nX-Amz-Date:20150830T123600Z",
     "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\n"
     "host;my-header1;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;my-header1;x-amz-date, "
                   "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    {"post-x-www-form-urlencoded",
     "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\nHost:example.amazonaws."
     "com\nX-Amz-Date:20150830T123600Z\n\nParam1=value1",
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-"
     "amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     suite_authz + "SignedHeaders=content-type;host;x-amz-date, "
                   "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"post-x-www-form-urlencoded-parameters",
     "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded; "
     "charset=utf8\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\nParam1=value1",
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; "
     "charset=utf8\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;"
     "x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     suite_authz + "SignedHeaders=content-type;host;x-amz-date, "
                   "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
    {"post-sts-header-before",
     "POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nX-Amz-Security-"
     "Token:AQoDYXdzEPT//////////"
     "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwt"
     "hAx7mSEI/qkPpKPi/"
     "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQ"
     "cHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx"
     "3iSIlTJabIQwj2ICCR/oLxBA==",
     "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:"
     "AQoDYXdzEPT//////////"
     "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwt"
     "hAx7mSEI/qkPpKPi/"
     "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQ"
     "cHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx"
     "3iSIlTJabIQwj2ICCR/oLxBA==\n\nhost;x-amz-date;x-amz-security-token\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                   "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
    {"normalize-path/get-relative",
     "GET /example/.. HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"normalize-path/get-relative-relative",
     "GET /example1/example2/../.. HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:"
     "20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"normalize-path/get-slash",
     "GET // HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"normalize-path/get-slash-dot-slash",
     "GET /./ HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"normalize-path/get-slash-pointless-dot",
     "GET /./example HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
     "date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
    {"normalize-path/get-slashes",
     "GET //example// HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
     "date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
    {"normalize-path/get-space",
     "GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z",
     "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;"
     "x-amz-date\n" +
         empty_hash,
     suite_authz + "SignedHeaders=host;x-amz-date, "
                   "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
};

}  // namespace

TEST_CASE("sigv4 reproduces AWS's published test-suite signatures byte for byte",
          "[remote][sigv4]") {
  for (const auto& c : suite) {
    INFO(c.name);
    bool has_body = false;
    std::string body;
    auto req = parse_req(c.req, has_body, body);
    const sigv4::scope where{"20150830T123600Z", "us-east-1", "service", true};
    const auto sig = sigv4::sign(req, suite_creds, where);
    CHECK(sig.canonical_request == c.creq);
    CHECK(sig.authorization == c.authz);
  }
}

TEST_CASE("sigv4 reproduces the string to sign of get-vanilla", "[remote][sigv4]") {
  bool has_body = false;
  std::string body;
  auto req = parse_req(suite[0].req, has_body, body);
  const auto sig =
      sigv4::sign(req, suite_creds, {"20150830T123600Z", "us-east-1", "service", true});
  CHECK(sig.string_to_sign ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST_CASE("sigv4 reproduces the S3 documentation's GET object example", "[remote][sigv4]") {
  // docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "GET Object".
  sigv4::request req;
  req.method = "GET";
  req.path = "/test.txt";
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", empty_hash},
                 {"x-amz-date", "20130524T000000Z"}};
  const sigv4::credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 ""};
  const auto sig = sigv4::sign(req, creds, {"20130524T000000Z", "us-east-1", "s3", false});
  CHECK(sig.string_to_sign ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(sig.value == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK(sig.signed_headers == "host;range;x-amz-content-sha256;x-amz-date");
}

TEST_CASE("sigv4 encodes S3 keys once and keeps their slashes", "[remote][sigv4]") {
  CHECK(sigv4::canonical_uri("/bucket/a b/log-00000000-00000001", false) ==
        "/bucket/a%20b/log-00000000-00000001");
  CHECK(sigv4::canonical_uri("/bucket//x/../y", false) == "/bucket//x/../y");
  CHECK(sigv4::uri_encode("a+b=c/d", false) == "a%2Bb%3Dc%2Fd");
  CHECK(sigv4::canonical_query({{"prefix", "p/log-"}, {"list-type", "2"}}) ==
        "list-type=2&prefix=p%2Flog-");
  CHECK(sigv4::canonical_query({{"delete", ""}}) == "delete=");
}

TEST_CASE("sigv4 formats x-amz-date in UTC", "[remote][sigv4]") {
  const auto t = std::chrono::system_clock::from_time_t(1440938160);  // 2015-08-30 12:36:00 UTC
  CHECK(sigv4::amz_date(t) == "20150830T123600Z");
}
