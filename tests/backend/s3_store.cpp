// SPDX-License-Identifier: BSL-1.0
// s3_store against a real s3rver on loopback (the segment_store laws, paged
// listings, batch deletes, cross-checks with /usr/bin/aws) and against a
// misbehaving HTTP server (retries, timeouts, clear errors).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "backend/conformance.hpp"
#include "cloudlog/backend/caching_store.hpp"
#include "cloudlog/backend/retrying_store.hpp"
#include "cloudlog/backend/s3_store.hpp"
#include "cloudlog/backend/stats_store.hpp"
#include "remote/fake_http.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"

using namespace cloudlog;
using namespace std::chrono_literals;

namespace {

test::s3rver_process& server() {
  static test::s3rver_process s({"test-bucket", "other-bucket"});
  return s;
}

const std::string test_secret = "not-sent-anywhere-secret";

s3_options local_options(const std::string& endpoint) {
  s3_options o;
  o.endpoint = endpoint;
  o.credentials = {"S3RVER", test_secret, ""};  // s3rver checks the key id only
  o.retries = {3, 10ms, 50ms};
  o.connect_timeout = 1000ms;
  o.request_timeout = 5000ms;
  o.proxy_from_environment = false;  // loopback only, whatever the environment says
  return o;
}

// A store under a prefix no other test uses, so each run starts empty.
s3_store fresh_store(s3_options o = local_options(server().endpoint())) {
  static std::atomic<int> n{0};
  return s3_store::open("test-bucket", "run-" + std::to_string(++n) + "/", std::move(o)).value();
}

std::string aws() {
  return "/usr/bin/aws";
}

}  // namespace

TEST_CASE("s3_store obeys the segment_store laws on s3rver", "[remote][s3]") {
  auto store = fresh_store();
  test::check_segment_store_laws(store);
}

TEST_CASE("s3_store obeys the segment_store laws on s3rver with virtual-host addressing",
          "[remote][s3]") {
  auto o = local_options(server().vhost_endpoint());
  o.addressing = s3_addressing::virtual_host;
  auto store = fresh_store(o);
  REQUIRE(store.host() == "test-bucket.s3.localhost:" + std::to_string(server().port()));
  test::check_segment_store_laws(store);
}

TEST_CASE("the decorators stacked over s3_store obey the segment_store laws on s3rver",
          "[remote][s3][decorators]") {
  auto s3 = fresh_store();
  test::temp_dir dir;
  retrying_store retrying(s3, retry_policy{3, 1ms, 4ms});
  stats_store counted(retrying);
  auto store = make_caching_store(counted, {dir.path(), 16 << 20}).value();
  STATIC_REQUIRE(batch_removable<decltype(store)>);
  test::check_segment_store_laws(store);
}

TEST_CASE("s3_store lists page by page with a small max-keys", "[remote][s3]") {
  auto o = local_options(server().endpoint());
  o.max_keys = 7;
  auto store = fresh_store(o);
  for (std::uint32_t i = 0; i < 50; ++i)
    REQUIRE(store.write(segment_name({3, i * 3}).value(), test::pattern(i, i)));
  REQUIRE(store.write("log-00000004-00000000", test::pattern(1, 0)));
  const auto before = store.requests();
  auto l = store.list(3).value();
  CHECK(store.requests() - before == 8);  // ceil(50 / 7) pages
  REQUIRE(l.size() == 50);
  for (std::uint32_t i = 0; i < 50; ++i) {
    CHECK(l[i].id == segment_id{3, i * 3});
    CHECK(l[i].size == i);
  }
}

TEST_CASE("s3_store lists more than 1000 objects through continuation tokens",
          "[remote][s3][slow]") {
  auto store = fresh_store();
  constexpr std::uint32_t count = 1005;
  std::atomic<std::uint32_t> next{0};
  std::atomic<bool> ok{true};
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t)
    writers.emplace_back([&] {
      for (std::uint32_t i; (i = next++) < count;)
        if (!store.write(segment_name({0, i}).value(), test::pattern(i % 17, i))) ok = false;
    });
  for (auto& w : writers) w.join();
  REQUIRE(ok);
  const auto before = store.requests();
  auto l = store.list(0).value();
  CHECK(store.requests() - before == 2);
  REQUIRE(l.size() == count);
  for (std::uint32_t i = 0; i < count; ++i) CHECK(l[i].id.sequence == i);
  // And they all go in a few batch deletes.
  std::vector<std::string> names;
  for (const auto& s : l) names.push_back(s.name);
  stats_store counted(store);
  REQUIRE(remove_batch(counted, names));
  // 1005 keys: two DeleteObjects requests on the wire, counted as two.
  CHECK(counted.stats().remove == request_counts{2, 0, count});
  CHECK(store.list(0).value().empty());
}

TEST_CASE("s3_store remove_many deletes exactly the named objects", "[remote][s3]") {
  auto store = fresh_store();
  for (std::uint32_t i = 0; i < 5; ++i)
    REQUIRE(store.write(segment_name({0, i}).value(), test::pattern(3, i)));
  std::vector<std::string> doomed{"log-00000000-00000001", "log-00000000-00000003",
                                  "log-00000000-00000099"};
  REQUIRE(store.remove_many(doomed));
  auto l = store.list(0).value();
  REQUIRE(l.size() == 3);
  CHECK(l[0].id.sequence == 0);
  CHECK(l[1].id.sequence == 2);
  CHECK(l[2].id.sequence == 4);
  // One bad name: nothing is deleted at all.
  std::vector<std::string> mixed{"log-00000000-00000000", "../escape"};
  CHECK(store.remove_many(mixed).error() == errc::invalid_name);
  CHECK(store.list(0).value().size() == 3);
}

TEST_CASE("s3_store read_many serves a batch in order", "[remote][s3]") {
  auto store = fresh_store();
  std::vector<read_request> reqs;
  for (std::uint32_t i = 0; i < 20; ++i) {
    REQUIRE(store.write(segment_name({0, i}).value(), test::pattern(1000, i)));
    reqs.push_back({segment_name({0, i}).value(), i, 10});
  }
  reqs.push_back({"log-00000000-00000500", 0, whole_object});
  auto r = store.read_many(reqs);
  REQUIRE(r.size() == 21);
  for (std::uint32_t i = 0; i < 20; ++i) {
    const auto p = test::pattern(1000, i);
    CHECK(r[i].value() == bytes(p.begin() + i, p.begin() + i + 10));
  }
  CHECK(r[20].error() == errc::not_found);
}

TEST_CASE("objects s3_store writes, aws reads back byte-identical, and the reverse",
          "[remote][s3][aws]") {
  REQUIRE(std::filesystem::exists(aws()));
  auto store = fresh_store();
  test::temp_dir tmp;
  const auto data = test::pattern(300'000, 42);
  REQUIRE(store.write("log-00000001-00000007", data));
  const auto uri = "s3://test-bucket/" + store.prefix() + "log-00000001-00000007";
  auto got = test::run({aws(), "--endpoint-url", server().endpoint(), "s3", "cp", uri,
                        (tmp.path() / "out").string()},
                       server().aws_env());
  INFO(got.err);
  REQUIRE(got.exit_code == 0);
  CHECK(test::read_file(tmp.path() / "out") == data);

  const auto theirs = test::pattern(123'457, 7);
  {
    std::ofstream f(tmp.path() / "in", std::ios::binary);
    f.write(reinterpret_cast<const char*>(theirs.data()),
            static_cast<std::streamsize>(theirs.size()));
  }
  auto put = test::run(
      {aws(), "--endpoint-url", server().endpoint(), "s3", "cp", (tmp.path() / "in").string(),
       "s3://test-bucket/" + store.prefix() + "log-00000001-00000008"},
      server().aws_env());
  INFO(put.err);
  REQUIRE(put.exit_code == 0);
  CHECK(store.read("log-00000001-00000008", 0, whole_object).value() == theirs);
  CHECK(store.read("log-00000001-00000008", 1000, 24).value() ==
        bytes(theirs.begin() + 1000, theirs.begin() + 1024));
  auto l = store.list(1).value();
  REQUIRE(l.size() == 2);
  CHECK(l[1] == segment_info{{1, 8}, "log-00000001-00000008", theirs.size()});
  // aws sees what we list, with the sizes we wrote.
  auto ls = test::run({aws(), "--endpoint-url", server().endpoint(), "s3api", "list-objects-v2",
                       "--bucket", "test-bucket", "--prefix", store.prefix(), "--query",
                       "Contents[].[Key,Size]", "--output", "text"},
                      server().aws_env());
  REQUIRE(ls.exit_code == 0);
  CHECK(ls.out.find(store.prefix() + "log-00000001-00000007\t300000") != std::string::npos);
}

TEST_CASE("s3_store reports a missing bucket and unknown credentials clearly",
          "[remote][s3][errors]") {
  auto missing = s3_store::open("no-such-bucket", "", local_options(server().endpoint())).value();
  CHECK(missing.list(0).error() == errc::no_such_bucket);
  CHECK(missing.write("log-00000000-00000001", test::pattern(3, 1)).error() ==
        errc::no_such_bucket);
  auto o = local_options(server().endpoint());
  o.credentials = {"NOT-A-KEY", "whatever", ""};
  auto stranger = s3_store::open("test-bucket", "", o).value();
  CHECK(stranger.list(0).error() == errc::bad_credentials);
  CHECK(make_error_code(errc::bad_credentials).message() == "missing or rejected credentials");
  o.credentials = {};
  CHECK(s3_store::open("test-bucket", "", o).error() == errc::bad_credentials);
}

TEST_CASE("s3_store verifies TLS certificates by default", "[remote][s3][tls]") {
  static test::s3rver_process tls({"secure"}, true);  // one server for every section
  REQUIRE(tls.endpoint().rfind("https://127.0.0.1:", 0) == 0);
  auto o = local_options(tls.endpoint());
  // A self-signed certificate nobody told us to trust: refused, at once, clearly.
  auto untrusting = s3_store::open("secure", "", o).value();
  auto r = untrusting.list(0);
  REQUIRE(!r);
  CHECK(r.error() == errc::tls_failure);
  CHECK(untrusting.requests() == 1);  // not retried
  CHECK(untrusting.write("log-00000000-00000001", test::pattern(10, 1)).error() ==
        errc::tls_failure);
  // Trusting exactly that certificate: everything works over https.
  o.ca_file = tls.cert_file().string();
  static std::atomic<int> run{0};
  auto trusting = s3_store::open("secure", "run-" + std::to_string(++run) + "/", o).value();
  test::check_segment_store_laws(trusting);
}

TEST_CASE("s3_store fails fast and clearly on an unreachable endpoint", "[remote][s3][errors]") {
  // A port that was just free: nothing listens there.
  int port;
  {
    test::fake_http_server probe;
    port = std::stoi(probe.endpoint().substr(17));
  }
  auto store =
      s3_store::open("test-bucket", "", local_options("http://127.0.0.1:" + std::to_string(port)))
          .value();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = store.list(0);
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(!r);
  CHECK(r.error() == errc::unreachable);
  CHECK(r.error().message() == "endpoint unreachable");
  CHECK(took < 5s);
  CHECK(store.requests() == 3);  // retried as configured, then given up
  // With the default policy (5 attempts, backoff from 100 ms) it is still fast.
  auto defaults = local_options("http://127.0.0.1:" + std::to_string(port));
  defaults.retries = retry_policy{};
  auto patient = s3_store::open("test-bucket", "", defaults).value();
  const auto t1 = std::chrono::steady_clock::now();
  CHECK(patient.read("log-00000000-00000001", 0, 1).error() == errc::unreachable);
  CHECK(std::chrono::steady_clock::now() - t1 < 5s);
  CHECK(patient.requests() == 5);
}

TEST_CASE("s3_store retries 503 SlowDown, 500, resets and timeouts until it succeeds",
          "[remote][s3][faults]") {
  test::fake_http_server fake([](const test::http_request_seen&) {
    return test::http_action::answer(200, "0123456789", "", 0ms);
  });
  auto o = local_options(fake.endpoint());
  o.retries = {6, 5ms, 20ms};
  o.request_timeout = 700ms;  // generous: a loaded machine must not time out the good answer
  auto store = s3_store::open("b", "", o).value();
  const std::string slow_down =
      "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Reduce your request "
      "rate.</Message></Error>";
  fake.then(test::http_action::answer(503, slow_down));
  fake.then(test::http_action::of(test::http_action::reset));
  fake.then(test::http_action::answer(500, "<Error><Code>InternalError</Code></Error>"));
  fake.then(test::http_action::of(test::http_action::stall, 1500ms));
  fake.then(test::http_action::of(test::http_action::close));
  auto r = store.read("log-00000000-00000001", 0, whole_object);
  REQUIRE(r);
  CHECK(as_chars(*r) == "0123456789");
  CHECK(fake.requests() == 6);  // every scripted fault was met, then the answer
  // libcurl itself resends once when a reused connection closes before any
  // answer, so our own attempts may be one fewer than the server saw.
  CHECK(store.requests() >= 5);
  CHECK(store.requests() <= 6);
  // Each request was signed for the path-style key, and the secret never left.
  for (const auto& s : fake.seen()) {
    CHECK(s.head.find(test_secret) == std::string::npos);
    CHECK(s.target == "/b/log-00000000-00000001");
    CHECK(s.head.find("Authorization: AWS4-HMAC-SHA256 Credential=S3RVER/") != std::string::npos);
  }
  // A PUT gets the same treatment.
  fake.then(test::http_action::answer(503, slow_down));
  fake.then(test::http_action::of(test::http_action::reset));
  REQUIRE(store.write("log-00000000-00000002", test::pattern(5000, 1)));
  const auto seen = fake.seen();
  REQUIRE(seen.size() == 9);
  CHECK(seen.back().method == "PUT");
  CHECK(seen.back().body.size() == 5000);
}

TEST_CASE("s3_store gives up after the configured attempts with the last error",
          "[remote][s3][faults]") {
  test::fake_http_server fake([](const test::http_request_seen&) {
    return test::http_action::answer(503, "<Error><Code>SlowDown</Code></Error>");
  });
  auto o = local_options(fake.endpoint());
  o.retries = {4, 1ms, 4ms};
  auto store = s3_store::open("b", "", o).value();
  CHECK(store.write("log-00000000-00000001", test::pattern(1, 1)).error() == errc::throttled);
  CHECK(fake.requests() == 4);
}

TEST_CASE("s3_store never returns part of a listing whose later page fails",
          "[remote][s3][faults]") {
  test::fake_http_server fake([](const test::http_request_seen&) {
    return test::http_action::answer(503, "<Error><Code>SlowDown</Code></Error>");
  });
  auto o = local_options(fake.endpoint());
  o.retries = {3, 1ms, 2ms};
  auto store = s3_store::open("b", "", o).value();
  fake.then(test::http_action::answer(
      200,
      "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>log-00000000-00000001"
      "</Key><Size>5</Size></Contents><NextContinuationToken>t1</NextContinuationToken>"
      "</ListBucketResult>"));
  CHECK(store.list(0).error() == errc::throttled);  // not one segment instead of all
  CHECK(fake.requests() == 4);
  CHECK(fake.seen()[1].target.find("continuation-token=t1") != std::string::npos);
  // A server that repeats its token would loop forever: a protocol error instead.
  const std::string page =
      "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>same"
      "</NextContinuationToken></ListBucketResult>";
  fake.then(test::http_action::answer(200, page));
  fake.then(test::http_action::answer(200, page));
  CHECK(store.list(0).error() == errc::protocol_error);
}

TEST_CASE("s3_store addresses a virtual host by its Host header", "[remote][s3]") {
  test::fake_http_server fake(
      [](const test::http_request_seen&) { return test::http_action::answer(200, "hi"); });
  auto o = local_options("http://localhost:" + fake.endpoint().substr(17));
  o.addressing = s3_addressing::virtual_host;
  auto store = s3_store::open("my-bucket", "p/", o).value();
  CHECK(as_chars(store.read("log-00000000-00000001", 0, whole_object).value()) == "hi");
  const auto seen = fake.seen().at(0);
  CHECK(seen.target == "/p/log-00000000-00000001");
  CHECK(seen.head.find("Host: my-bucket.localhost:") != std::string::npos);
}

TEST_CASE("s3_store does not retry 4xx other than throttling", "[remote][s3][faults]") {
  test::fake_http_server fake;
  auto o = local_options(fake.endpoint());
  auto store = s3_store::open("b", "", o).value();
  fake.then(test::http_action::answer(403, "<Error><Code>AccessDenied</Code></Error>"));
  CHECK(store.read("log-00000000-00000001", 0, 9).error() == errc::access_denied);
  fake.then(test::http_action::answer(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>"));
  CHECK(store.list(0).error() == errc::bad_credentials);
  fake.then(test::http_action::answer(404, "<Error><Code>NoSuchKey</Code></Error>"));
  CHECK(store.read("log-00000000-00000001", 0, 9).error() == errc::not_found);
  fake.then(test::http_action::answer(400, "<Error><Code>InvalidArgument</Code></Error>"));
  CHECK(store.remove("log-00000000-00000001").error() == errc::protocol_error);
  CHECK(fake.requests() == 4);
}

TEST_CASE("s3_store sends only the range asked for and reuses its connection", "[remote][s3]") {
  test::fake_http_server fake([](const test::http_request_seen&) {
    return test::http_action::answer(206, "abcd", "Content-Range: bytes 100-103/1000\r\n");
  });
  auto store = s3_store::open("b", "p/", local_options(fake.endpoint())).value();
  for (int i = 0; i < 5; ++i)
    CHECK(as_chars(store.read("log-00000000-00000001", 100, 4).value()) == "abcd");
  const auto seen = fake.seen();
  REQUIRE(seen.size() == 5);
  CHECK(seen[0].head.find("Range: bytes=100-103") != std::string::npos);
  CHECK(seen[0].target == "/b/p/log-00000000-00000001");
  CHECK(fake.connections() == 1);
}

TEST_CASE("s3_store read_many runs its reads in parallel", "[remote][s3]") {
  test::fake_http_server fake([](const test::http_request_seen&) {
    return test::http_action::answer(200, "x", "", 200ms);
  });
  auto o = local_options(fake.endpoint());
  o.parallelism = 8;
  auto store = s3_store::open("b", "", o).value();
  std::vector<read_request> reqs;
  for (std::uint32_t i = 0; i < 16; ++i) reqs.push_back({segment_name({0, i}).value()});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = store.read_many(reqs);
  const auto took = std::chrono::steady_clock::now() - t0;
  for (auto& x : r) CHECK(as_chars(x.value()) == "x");
  CHECK(took < 1500ms);  // 16 x 200 ms one after another would be 3.2 s
  CHECK(fake.connections() <= 8);
}

TEST_CASE("s3_store addresses buckets by path or by virtual host", "[remote][s3][unit]") {
  s3_options o;
  o.credentials = {"AKIDEXAMPLE", "secret", ""};
  o.region = "eu-west-1";
  auto aws_default = s3_store::open("my-bucket", "logs/", o).value();
  CHECK(aws_default.url_of("log-00000000-00000001") ==
        "https://my-bucket.s3.eu-west-1.amazonaws.com/logs/log-00000000-00000001");
  o.addressing = s3_addressing::path;
  CHECK(s3_store::open("my-bucket", "", o).value().url_of("log-00000000-00000001") ==
        "https://s3.eu-west-1.amazonaws.com/my-bucket/log-00000000-00000001");
  o.addressing = s3_addressing::automatic;
  o.endpoint = "http://127.0.0.1:9000/";
  auto local = s3_store::open("my-bucket", "", o).value();
  CHECK(local.url_of("log-00000000-00000001") ==
        "http://127.0.0.1:9000/my-bucket/log-00000000-00000001");
  CHECK(local.host() == "127.0.0.1:9000");
  o.addressing = s3_addressing::virtual_host;
  CHECK(s3_store::open("my-bucket", "", o).value().host() == "my-bucket.127.0.0.1:9000");
  o.endpoint = "ftp://example.com";
  CHECK(s3_store::open("my-bucket", "", o).error() == errc::invalid_argument);
  o.endpoint = "https://example.com/path";
  CHECK(s3_store::open("my-bucket", "", o).error() == errc::invalid_argument);
  CHECK(s3_store::open("a/b", "", s3_options{}).error() == errc::invalid_argument);
}

namespace {
// What on_failure heard last, and the store that reported it.
struct described {
  std::shared_ptr<std::string> text = std::make_shared<std::string>();
  s3_options with(s3_options o) const {
    o.on_failure = [t = text](const s3_failure& f) { *t = describe(f); };
    return o;
  }
};
}  // namespace

TEST_CASE("S3 errors show the server's Code and Message; a redirect names the region",
          "[remote][s3][errors]") {
  test::fake_http_server fake;
  described said;
  auto o = said.with(local_options(fake.endpoint()));
  auto store = s3_store::open("test-bucket", "", o).value();
  // 301 with the region in the header (a HEAD has no body to read it from).
  fake.then(test::http_action::answer(
      301,
      "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access "
      "must be addressed using the specified endpoint.</Message></Error>",
      "x-amz-bucket-region: eu-west-1\r\n"));
  CHECK(store.list(0).error() == errc::invalid_argument);
  CHECK(said.text->find("301 PermanentRedirect: The bucket you are attempting") !=
        std::string::npos);
  CHECK(said.text->find("--region eu-west-1") != std::string::npos);
  fake.then(test::http_action::answer(
      400,
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is "
      "malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'</Message>"
      "<Region>eu-central-1</Region></Error>"));
  CHECK(store.list(0).error() == errc::bad_credentials);
  CHECK(said.text->find("AuthorizationHeaderMalformed") != std::string::npos);
  CHECK(said.text->find("bucket is in region eu-central-1") != std::string::npos);
  // The region from the message alone.
  fake.then(test::http_action::answer(
      400,
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
      "wrong; expecting 'ap-southeast-2'</Message></Error>"));
  CHECK_FALSE(store.write("log-00000000-00000001", test::pattern(3, 1)));
  CHECK(said.text->find("--region ap-southeast-2") != std::string::npos);
  const std::pair<int, std::string> hinted[] = {{403, "AccessDenied"},
                                                {404, "NoSuchBucket"},
                                                {403, "SignatureDoesNotMatch"},
                                                {403, "RequestTimeTooSkewed"}};
  const std::string hints[] = {"lack permission", "create the bucket", "secret key",
                               "clock is off"};
  for (std::size_t i = 0; i < 4; ++i) {
    fake.then(test::http_action::answer(
        hinted[i].first,
        "<Error><Code>" + hinted[i].second + "</Code><Message>said the server</Message></Error>"));
    CHECK_FALSE(store.list(0));
    INFO(*said.text);
    CHECK(said.text->find(hinted[i].second + ": said the server") != std::string::npos);
    CHECK(said.text->find(hints[i]) != std::string::npos);
  }
  // A missing object is an answer callers expect: not described.
  *said.text = "";
  fake.then(test::http_action::answer(404, "<Error><Code>NoSuchKey</Code></Error>"));
  CHECK(store.read("log-00000000-00000001", 0, whole_object).error() == errc::not_found);
  CHECK(said.text->empty());
}

TEST_CASE("s3_store names itself in a User-Agent", "[remote][s3]") {
  test::fake_http_server fake(
      [](const test::http_request_seen&) { return test::http_action::answer(200, "x"); });
  auto store = s3_store::open("b", "", local_options(fake.endpoint())).value();
  REQUIRE(store.read("log-00000000-00000001", 0, whole_object));
  auto o = local_options(fake.endpoint());
  o.user_agent = "bluesky_cleaner/0.1.0 cloudlog/0.1.0";
  REQUIRE(s3_store::open("b", "", o).value().read("log-00000000-00000001", 0, whole_object));
  const auto seen = fake.seen();
  CHECK(seen.at(0).head.find("\r\nUser-Agent: cloudlog/0.1.0\r\n") != std::string::npos);
  CHECK(seen.at(1).head.find("\r\nUser-Agent: bluesky_cleaner/0.1.0 cloudlog/0.1.0\r\n") !=
        std::string::npos);
}

TEST_CASE("a stalled endpoint fails an attempt after the idle timeout, clearly",
          "[remote][s3][errors]") {
  test::fake_http_server fake([](const test::http_request_seen&) {
    return test::http_action::of(test::http_action::stall, 3s);  // past the 1 s idle timeout
  });
  described said;
  auto o = said.with(local_options(fake.endpoint()));
  o.request_timeout = 0ms;  // only the idle timeout bounds the attempt
  o.idle_timeout = 1s;
  o.retries.max_attempts = 1;
  CHECK(s3_options{}.idle_timeout == 10s);  // the default: one attempt in about 10 s
  auto store = s3_store::open("b", "", o).value();
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(store.list(0).error() == errc::timeout);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(said.text->find("no answer from " + fake.endpoint()) != std::string::npos);
  CHECK(said.text->find("--idle-timeout") != std::string::npos);
}

TEST_CASE("a private CA is trusted through ca_file, and only then", "[remote][s3][tls]") {
  test::s3rver_process tls({"secure"}, true, true);
  auto o = local_options(tls.endpoint());
  described said;
  auto refused = s3_store::open("secure", "", said.with(o)).value();
  CHECK(refused.list(0).error() == errc::tls_failure);
  CHECK(said.text->find("--ca-bundle") != std::string::npos);
  o.ca_file = tls.ca_file().string();
  auto trusting = s3_store::open("secure", "ca/", o).value();
  REQUIRE(trusting.write("log-00000000-00000001", test::pattern(100, 1)));
  CHECK(trusting.read("log-00000000-00000001", 0, whole_object).value() == test::pattern(100, 1));
}
