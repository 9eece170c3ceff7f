// SPDX-License-Identifier: BSL-1.0
// A core-only downstream program: the memory store and segment names, no OpenSSL.
#include <cstdio>
#include <cstring>

#include "cloudlog/backend/memory_store.hpp"
#include "cloudlog/segment_name.hpp"
#include "cloudlog/version.hpp"

int main() {
  cloudlog::memory_store store;
  auto name = cloudlog::segment_name({0, 7});
  if (!name) return 1;
  const std::byte data[3] = {std::byte{1}, std::byte{2}, std::byte{3}};
  if (!store.write(*name, data)) return 1;
  auto listed = store.list(0);
  if (!listed || listed->size() != 1 || listed->front().name != *name) return 1;
  std::printf("cloudlog %s: %s\n", cloudlog::version_string, name->c_str());
  return std::strcmp(cloudlog::version_string, "0.1.0") == 0 ? 0 : 1;
}
