// SPDX-License-Identifier: BSL-1.0
// The segment_store law suite: run against every model (memory, file, S3, simple,
// and the decorators). REQUIRES: the store starts empty.
#ifndef CLOUDLOG_TESTS_BACKEND_CONFORMANCE_HPP
#define CLOUDLOG_TESTS_BACKEND_CONFORMANCE_HPP

#include <catch2/catch.hpp>

#include <span>
#include <string>
#include <vector>

#include "cloudlog/backend/segment_store.hpp"

namespace cloudlog::test {

inline bytes pattern(std::size_t n, unsigned seed) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = std::byte((i * 31 + seed) & 0xff);
  return b;
}

template <segment_store Store>
void check_segment_store_laws(Store& store) {
  const std::string a = "log-00000000-00000002", b = "log-00000000-00000010",
                    c = "log-00000001-00000000";
  SECTION("an empty store lists nothing") {
    auto l = store.list(0);
    REQUIRE(l);
    CHECK(l->empty());
  }
  SECTION("write then read returns the bytes, whole and by range") {
    const auto data = pattern(100'000, 1);
    REQUIRE(store.write(a, data));
    CHECK(store.read(a, 0, whole_object).value() == data);
    CHECK(store.read(a, 10, 20).value() == bytes(data.begin() + 10, data.begin() + 30));
    CHECK(store.read(a, 99'990, 100).value() == bytes(data.end() - 10, data.end()));
    CHECK(store.read(a, 100'000, 5).value().empty());
    CHECK(store.read(a, 100'001, 5).error() == errc::out_of_range);
  }
  SECTION("an empty object is an object") {
    REQUIRE(store.write(a, bytes{}));
    CHECK(store.read(a, 0, whole_object).value().empty());
    REQUIRE(store.list(0).value().size() == 1);
    CHECK(store.list(0).value()[0].size == 0);
  }
  SECTION("list gives each directory's segments in sequence order with exact sizes") {
    REQUIRE(store.write(b, pattern(7, 2)));
    REQUIRE(store.write(c, pattern(9, 3)));
    REQUIRE(store.write(a, pattern(5, 4)));
    auto l0 = store.list(0).value();
    REQUIRE(l0.size() == 2);
    CHECK(l0[0] == segment_info{{0, 2}, a, 5});
    CHECK(l0[1] == segment_info{{0, 10}, b, 7});
    auto l1 = store.list(1).value();
    REQUIRE(l1.size() == 1);
    CHECK(l1[0] == segment_info{{1, 0}, c, 9});
    CHECK(store.list(2).value().empty());
  }
  SECTION("write replaces a whole object") {
    REQUIRE(store.write(a, pattern(1000, 5)));
    REQUIRE(store.write(a, pattern(10, 6)));
    CHECK(store.read(a, 0, whole_object).value() == pattern(10, 6));
    CHECK(store.list(0).value().at(0).size == 10);
  }
  SECTION("a missing object is not_found, and removing it succeeds") {
    CHECK(store.read(a, 0, whole_object).error() == errc::not_found);
    CHECK(store.remove(a).has_value());
  }
  SECTION("remove deletes exactly the object named") {
    REQUIRE(store.write(a, pattern(3, 7)));
    REQUIRE(store.write(b, pattern(3, 8)));
    REQUIRE(store.remove(a));
    CHECK(store.read(a, 0, whole_object).error() == errc::not_found);
    auto l = store.list(0).value();
    REQUIRE(l.size() == 1);
    CHECK(l[0].name == b);
  }
  SECTION("names that are not segment names are refused by every operation") {
    for (std::string bad : std::initializer_list<std::string>{
             "a/b", "../log-00000000-00000001", "log-00000000-00000001/..", "..", "log-1-2",
             "notes.txt", "", std::string("log-00000000-0000000\0", 21),
             "log-00000000-00000001.tmp"}) {
      INFO(bad);
      CHECK(store.write(bad, pattern(1, 0)).error() == errc::invalid_name);
      CHECK(store.read(bad, 0, whole_object).error() == errc::invalid_name);
      CHECK(store.remove(bad).error() == errc::invalid_name);
    }
    CHECK(store.list(0).value().empty());
  }
  SECTION("a multi-megabyte segment round-trips") {
    const auto data = pattern(5 << 20, 9);
    REQUIRE(store.write(b, data));
    CHECK(store.read(b, 0, whole_object).value() == data);
    CHECK(store.read(b, 4 << 20, 16).value() ==
          bytes(data.begin() + (4 << 20), data.begin() + (4 << 20) + 16));
  }
  SECTION("a batch of reads returns each result in order") {
    const auto data = pattern(100, 10);
    REQUIRE(store.write(a, data));
    std::vector<read_request> reqs{{a, 0, 10}, {b, 0, whole_object}, {a, 90, whole_object}};
    auto r = read_batch(store, reqs);
    REQUIRE(r.size() == 3);
    CHECK(r[0].value() == bytes(data.begin(), data.begin() + 10));
    CHECK(r[1].error() == errc::not_found);
    CHECK(r[2].value().size() == 10);
  }
  SECTION("a batch read into the caller's buffers (read_batch_into) is the batch read") {
    // Through the store's read_many_into when it has one (readable_into), else
    // through read_batch with each result copied: either way each buffer holds
    // what read() returns, clamped to its size, failures in place.
    const auto data = pattern(100, 11);
    REQUIRE(store.write(a, data));
    const std::vector<read_request> reqs{{a, 0, 10},  {b, 0, whole_object}, {a, 90, whole_object},
                                         {a, 20, 50}, {a, 101, 1},          {a, 100, 5}};
    std::vector<bytes> buffers{bytes(10, std::byte{0xee}), bytes(4), bytes(64),
                               bytes(30, std::byte{0xee}), bytes(4), bytes(4)};
    std::vector<mutable_byte_view> into(buffers.begin(), buffers.end());
    auto r = read_batch_into(store, std::span<const read_request>(reqs),
                             std::span<const mutable_byte_view>(into));
    REQUIRE(r.size() == reqs.size());
    CHECK(r[0].value() == 10);
    CHECK(buffers[0] == bytes(data.begin(), data.begin() + 10));
    CHECK(r[1].error() == errc::not_found);
    CHECK(r[2].value() == 10);  // the object's end, in a larger buffer
    CHECK(bytes(buffers[2].begin(), buffers[2].begin() + 10) == bytes(data.end() - 10, data.end()));
    CHECK(r[3].value() == 30);  // clamped to the buffer
    CHECK(buffers[3] == bytes(data.begin() + 20, data.begin() + 50));
    CHECK(r[4].error() == errc::out_of_range);
    CHECK(r[5].value() == 0);
  }
  SECTION("a batch larger than any parallelism keeps its order, ranges and failures") {
    std::vector<read_request> reqs;
    for (std::uint32_t i = 0; i < 24; ++i) {
      const auto name = segment_name({0, i}).value();
      if (i % 5 != 3) REQUIRE(store.write(name, pattern(64 + i, i)));
      reqs.push_back({name, i % 7, i % 2 ? std::uint64_t{5} : whole_object});
    }
    auto r = read_batch(store, reqs);
    REQUIRE(r.size() == reqs.size());
    for (std::uint32_t i = 0; i < 24; ++i) {
      INFO(i);
      if (i % 5 == 3) {
        CHECK(r[i].error() == errc::not_found);
        continue;
      }
      const auto p = pattern(64 + i, i);
      const auto end = i % 2 ? (i % 7) + 5 : p.size();
      CHECK(r[i].value() ==
            bytes(p.begin() + (i % 7), p.begin() + static_cast<std::ptrdiff_t>(end)));
    }
  }
}

}  // namespace cloudlog::test

#endif  // CLOUDLOG_TESTS_BACKEND_CONFORMANCE_HPP
