// SPDX-License-Identifier: BSL-1.0
// The packed little-endian codec of Boost.Hana structs: size, offsets, encode, decode,
// all derived from the member list (never memcpy of a struct).
#ifndef CLOUDLOG_PACKED_HPP
#define CLOUDLOG_PACKED_HPP

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/hana.hpp>

#include "cloudlog/bytes.hpp"

namespace cloudlog {

// The codec of one field type: its packed size and how it is written and read.
// Specialized for unsigned integers (little-endian) and std::array<std::byte, N>
// (raw bytes); a user type becomes a field by specializing field_codec with
//   static constexpr std::size_t size;
//   static void encode(const T&, std::byte* out);   // writes exactly size bytes
//   static T decode(const std::byte* in);           // reads exactly size bytes
template <class T>
struct field_codec;

template <std::unsigned_integral T>
struct field_codec<T> {
  static constexpr std::size_t size = sizeof(T);
  static constexpr void encode(const T& v, std::byte* out) noexcept { store_le(out, v); }
  static constexpr T decode(const std::byte* in) noexcept { return load_le<T>(in); }
};

template <std::size_t N>
struct field_codec<std::array<std::byte, N>> {
  static constexpr std::size_t size = N;
  static constexpr void encode(const std::array<std::byte, N>& v, std::byte* out) noexcept {
    for (std::size_t i = 0; i < N; ++i) out[i] = v[i];
  }
  static constexpr std::array<std::byte, N> decode(const std::byte* in) noexcept {
    std::array<std::byte, N> v{};
    for (std::size_t i = 0; i < N; ++i) v[i] = in[i];
    return v;
  }
};

// A type the packed codec can write: field_codec<T> is specialized for it.
template <class T>
concept packed_field = requires(const T& v, std::byte* out, const std::byte* in) {
  // Its packed size in bytes, known at compile time.
  { field_codec<T>::size } -> std::convertible_to<std::size_t>;
  // Writes v into exactly size bytes at out.
  field_codec<T>::encode(v, out);
  // Reads a value back from exactly size bytes at in.
  { field_codec<T>::decode(in) } -> std::same_as<T>;
};

namespace detail {
template <class S, class Accessor>
using member_type_t = std::remove_cvref_t<decltype(boost::hana::second(std::declval<Accessor>())(
    std::declval<S&>()))>;

template <class S>
constexpr bool all_members_packed() {
  return boost::hana::unpack(boost::hana::accessors<S>(), [](auto... acc) {
    return (packed_field<member_type_t<S, decltype(acc)>> && ...);
  });
}
}  // namespace detail

// A Boost.Hana struct (BOOST_HANA_DEFINE_STRUCT) whose every member is a packed_field.
template <class S>
concept packed_struct = boost::hana::Struct<S>::value && std::default_initializable<S> &&
    detail::all_members_packed<S>();

// The number of members of S.
template <packed_struct S>
inline constexpr std::size_t member_count_v =
    decltype(boost::hana::length(boost::hana::accessors<S>()))::value;

// The type of the I-th member of S.
template <packed_struct S, std::size_t I>
using member_type_t =
    detail::member_type_t<S, decltype(boost::hana::at_c<I>(boost::hana::accessors<S>()))>;

// The name of the I-th member of S, as declared.
template <packed_struct S, std::size_t I>
constexpr std::string_view member_name() noexcept {
  return boost::hana::to<const char*>(
      boost::hana::first(boost::hana::at_c<I>(boost::hana::accessors<S>())));
}

// The I-th member of S (a reference into the struct).
template <std::size_t I, packed_struct S>
constexpr auto& member(S& s) noexcept {
  return boost::hana::second(boost::hana::at_c<I>(boost::hana::accessors<S>()))(s);
}
template <std::size_t I, packed_struct S>
constexpr const auto& member(const S& s) noexcept {
  return boost::hana::second(boost::hana::at_c<I>(boost::hana::accessors<S>()))(s);
}

// The byte offset of the I-th member in the packed form of S.
template <packed_struct S, std::size_t I>
inline constexpr std::size_t packed_offset_v = []<std::size_t... J>(std::index_sequence<J...>) {
  return (std::size_t{0} + ... + field_codec<member_type_t<S, J>>::size);
}
(std::make_index_sequence<I>{});

// The packed size of S: the sum of its members' sizes, no padding.
template <packed_struct S>
inline constexpr std::size_t packed_size_v = packed_offset_v<S, member_count_v<S>>;

// Writes S packed into exactly packed_size_v<S> bytes at OUT.
template <packed_struct S>
constexpr void encode_packed(const S& s, std::byte* out) noexcept {
  [&]<std::size_t... J>(std::index_sequence<J...>) {
    (field_codec<member_type_t<S, J>>::encode(member<J>(s), out + packed_offset_v<S, J>), ...);
  }
  (std::make_index_sequence<member_count_v<S>>{});
}

// Reads S from exactly packed_size_v<S> bytes at IN.
template <packed_struct S>
constexpr S decode_packed(const std::byte* in) noexcept {
  S s{};
  [&]<std::size_t... J>(std::index_sequence<J...>) {
    ((member<J>(s) = field_codec<member_type_t<S, J>>::decode(in + packed_offset_v<S, J>)), ...);
  }
  (std::make_index_sequence<member_count_v<S>>{});
  return s;
}

// Reads S's member I alone from the packed bytes of an S at IN: what a reader
// that needs one field (a size, a type) pays instead of decoding all of them.
template <packed_struct S, std::size_t I>
constexpr member_type_t<S, I> decode_packed_member(const std::byte* in) noexcept {
  return field_codec<member_type_t<S, I>>::decode(in + packed_offset_v<S, I>);
}

// Appends S packed to OUT.
template <packed_struct S>
void append_packed(bytes& out, const S& s) {
  const auto at = out.size();
  out.resize(at + packed_size_v<S>);
  encode_packed(s, out.data() + at);
}

}  // namespace cloudlog

#endif  // CLOUDLOG_PACKED_HPP
