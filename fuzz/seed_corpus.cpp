// SPDX-License-Identifier: BSL-1.0
// Writes the fuzz targets' seed corpora into OUT_DIR/<target>/, generated from the
// shared BlueSky fixtures (read in place, never copied into the repository) and
// from the library's own encoders: usage `make_seed_corpus OUT_DIR`.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cloudlog/cleaner/lease.hpp"
#include "cloudlog/formats/bluesky/crypto.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/formats/bluesky/payload.hpp"
#include "cloudlog/log/segment.hpp"

using namespace cloudlog;
using namespace cloudlog::bluesky;
namespace fs = std::filesystem;

namespace {

// The largest segment_fuzz input fuzz/run.sh allows (-max_len): fixture segments
// past it are cut there, and also seeded by their small items, in order (a clean
// segment that fits; the 32 KiB data items are
// item_fuzz's seeds).
constexpr std::size_t segment_max_len = 8192;

struct corpus {
  fs::path dir;
  std::set<std::string> seen;
  void add(std::string_view bytes) {
    if (!seen.insert(std::string(bytes)).second) return;
    std::ofstream out(dir / ("seed-" + std::to_string(seen.size())), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  void add(byte_view b) { add(as_chars(b)); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seed_corpus OUT_DIR\n");
    return 2;
  }
  const fs::path out = argv[1];
  const char* env = std::getenv("CLOUDLOG_SHARED_DIR");
  const fs::path fixtures = fs::path(env ? env : CLOUDLOG_SHARED_DIR) / "fixtures" / "bluesky-real";
  std::map<std::string, corpus> c;
  for (const char* t : {"item", "segment", "checkpoint", "inode", "imap", "lease", "s3_xml",
                        "aws_config", "simple_protocol", "store"}) {
    fs::create_directories(out / t);
    c[t].dir = out / t;
  }
  auto key = bluesky::cipher::from_master(as_bytes("bluesky-fixture-passphrase"));
  if (!key) return 1;

  // Every fixture segment, item and (clear or decrypted) payload.
  std::vector<std::pair<std::string, std::uint64_t>> listing;
  std::string smallest;
  for (const auto& group : fs::directory_iterator(fixtures)) {
    if (!group.is_directory()) continue;
    for (const auto& stage : fs::directory_iterator(group.path())) {
      if (!stage.is_directory()) continue;
      for (const auto& f : fs::directory_iterator(stage.path())) {
        const auto seg = slurp(f.path());
        c["segment"].add(seg);  // cut to segment_max_len when fuzzed: a truncated item
        listing.emplace_back(f.path().filename().string(), seg.size());
        if (smallest.empty() || seg.size() < smallest.size()) smallest = seg;
        const auto bytes_of = to_bytes(seg);
        std::string small;  // the segment's small items, in order: a clean segment
        for (const auto& it : segment_items<layout>(bytes_of)) {
          if (!it) {
            std::fprintf(stderr, "%s: corrupt fixture\n", f.path().c_str());
            return 1;
          }
          c["item"].add(it->bytes());
          if (small.size() + it->size() <= segment_max_len) small += as_chars(it->bytes());
          bytes clear(it->bytes().begin(), it->bytes().end());
          if (it->header().magic == magic_encrypted && !key->open(clear)) continue;
          const auto v = parse_item<layout>(clear, 0);
          const auto payload = v->payload();
          switch (v->type()) {
            case type_byte(item_type::checkpoint):
              c["checkpoint"].add(payload);
              break;
            case type_byte(item_type::inode_map):
              c["imap"].add(payload);
              break;
            case type_byte(item_type::inode):
              c["inode"].add(payload);
              break;
            default:
              break;
          }
        }
        if (!small.empty()) c["segment"].add(small);
      }
    }
  }
  if (c["checkpoint"].seen.empty() || c["inode"].seen.empty() || c["imap"].seen.empty()) {
    std::fprintf(stderr, "no payload seeds: are the fixtures at %s?\n", fixtures.c_str());
    return 1;
  }

  // Lease records.
  for (auto r : {lease_record{"host:123:456", 1764000000000}, lease_record{"", 0},
                 lease_record{"a b c", 9223372036854775807}})
    c["lease"].add(encode_lease(r));

  // S3 documents: ListObjectsV2 pages of the fixture names, errors, DeleteObjects results.
  std::string page =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bucket</Name>"
      "<Prefix>store/log-00000000-</Prefix><KeyCount>3</KeyCount>";
  std::string page_end = "</ListBucketResult>";
  for (std::size_t i = 0; i < listing.size() && i < 8; ++i)
    page += "<Contents><Key>store/" + listing[i].first +
            "</Key><LastModified>2026-11-28T18:00:00.000Z</LastModified><ETag>&quot;"
            "d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>" +
            std::to_string(listing[i].second) +
            "</Size><StorageClass>STANDARD</StorageClass>"
            "</Contents>";
  c["s3_xml"].add(page + "<IsTruncated>false</IsTruncated>" + page_end);
  c["s3_xml"].add(page +
                  "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/"
                  "XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>" +
                  page_end);
  c["s3_xml"].add(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code><Message>The "
      "specified bucket does not "
      "exist</Message><BucketName>b</BucketName><RequestId>4442587FB7D0A2F9"
      "</RequestId></Error>");
  c["s3_xml"].add(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult><Deleted><Key>store/"
      "log-00000001-00000004</Key></Deleted><Error><Key>store/log-00000001-00000006</Key><Code>"
      "AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>");
  c["s3_xml"].add("<Key>a&amp;b&lt;c&gt;&quot;&apos;&#65;&#x42;&#x10FFFF;&#233;</Key>");

  // AWS shared files: config, then a NUL, then credentials.
  c["aws_config"].add(
      std::string("[default]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:4568\n"
                  "\n[profile fuzz]\nregion=us-east-2\n# comment\n; comment\n") +
      '\0' +
      "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = "
      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n[fuzz]\naws_access_key_id=x\n"
      "aws_secret_access_key=y\naws_session_token=z\n");
  c["aws_config"].add("[profile fuzz]\r\naws_access_key_id = a\r\naws_secret_access_key = b\r\n");

  // Simple-protocol request streams (a PUT carries the smallest fixture segment).
  c["simple_protocol"].add(
      "LIST log-00000000-\nSTAT log-00000000-00000001\n"
      "GET log-00000000-00000001 0 0\nDELETE log-00000001-00000004\n");
  c["simple_protocol"].add("PUT log-00000001-00000006 " + std::to_string(smallest.size()) + "\n" +
                           smallest + "STAT log-00000001-00000006\nLIST\n");
  c["simple_protocol"].add("GET ../etc/passwd 0 100\nPUT .hidden 3\nabcBOGUS\n");
  // The longest request line allowed: max_line bytes, '\n' included.
  c["simple_protocol"].add("LIST " + std::string(4090, 'a') + "\nSTAT x\n");

  // Store edits: a stage selector byte, then 8-byte edits (see store_fuzz.cpp).
  for (char stage = 0; stage < 4; ++stage) {
    c["store"].add(std::string(1, stage));
    for (char kind = 0; kind < 6; ++kind)
      c["store"].add(std::string{stage, 0, kind, 0x10, 0x02, 0, 0, 0x21, 0x00});
  }
  std::printf("seed corpora written to %s\n", out.c_str());
  return 0;
}
