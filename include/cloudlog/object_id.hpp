// SPDX-License-Identifier: BSL-1.0
// object_id: the 16-byte name of one item version; all zero means "null link".
#ifndef CLOUDLOG_OBJECT_ID_HPP
#define CLOUDLOG_OBJECT_ID_HPP

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlog/bytes.hpp"
#include "cloudlog/packed.hpp"

namespace cloudlog {

// A 16-byte object id. Ids are minted at random (crypto/random.hpp) for every
// new item version and survive relocation. The all-zero id is the null link.
struct object_id {
  static constexpr std::size_t size = 16;
  std::array<std::byte, size> value{};

  // True for the all-zero id (a null link).
  constexpr bool is_null() const noexcept {
    return std::all_of(value.begin(), value.end(), [](std::byte b) { return b == std::byte{0}; });
  }
  // The 32 lowercase hex characters of the id.
  std::string hex() const { return to_hex(value); }
  // Parses 32 hex characters; nullopt for anything else.
  static std::optional<object_id> from_hex(std::string_view text) {
    bytes b;
    if (text.size() != 2 * size || !cloudlog::from_hex(text, b)) return std::nullopt;
    object_id id;
    std::copy(b.begin(), b.end(), id.value.begin());
    return id;
  }
  // Reads an id from exactly 16 bytes at IN.
  static constexpr object_id from_bytes(const std::byte* in) noexcept {
    object_id id;
    for (std::size_t i = 0; i < size; ++i) id.value[i] = in[i];
    return id;
  }

  friend constexpr auto operator<=>(const object_id&, const object_id&) = default;
};

template <>
struct field_codec<object_id> {
  static constexpr std::size_t size = object_id::size;
  static constexpr void encode(const object_id& v, std::byte* out) noexcept {
    field_codec<std::array<std::byte, size>>::encode(v.value, out);
  }
  static constexpr object_id decode(const std::byte* in) noexcept {
    return object_id::from_bytes(in);
  }
};

}  // namespace cloudlog

template <>
struct std::hash<cloudlog::object_id> {
  std::size_t operator()(const cloudlog::object_id& id) const noexcept {
    // Ids are uniformly random: the first 8 bytes are already a good hash.
    return static_cast<std::size_t>(cloudlog::load_le<std::uint64_t>(id.value.data()));
  }
};

#endif  // CLOUDLOG_OBJECT_ID_HPP
