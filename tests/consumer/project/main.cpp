// SPDX-License-Identifier: BSL-1.0
// A downstream program: reads a BlueSky store with the installed package.
#include <cstdio>

#include "cloudlog/backend/file_store.hpp"
#include "cloudlog/crypto/random.hpp"
#include "cloudlog/formats/bluesky/header.hpp"
#include "cloudlog/log/segment.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto store = cloudlog::file_store::open(argv[1]);
  if (!store) return 1;
  auto segments = store->list(0);
  if (!segments || segments->empty()) return 1;
  auto data = store->read(segments->front().name, 0, cloudlog::whole_object);
  if (!data) return 1;
  auto items = cloudlog::parse_segment<cloudlog::bluesky::layout>(*data);
  if (!items || items->size() != 14) return 1;
  if (!cloudlog::random_object_id()) return 1;
  std::printf("%zu items\n", items->size());
  return 0;
}
