#pragma once

// The serialization seam for user values: records, keys, state and events.
//
// Built in: arithmetic types, enums, std::string, std::string_view (write
// only), std::vector, std::optional, std::variant, std::pair, std::tuple,
// std::map and std::unordered_map. A user struct opts in with an `inspect`
// overload of the form CAF 0.17 uses, so one overload serves both:
//
//   template <class Inspector>
//   auto inspect(Inspector& f, transaction& x) { return f(x.account, x.ts, x.amount); }
//
// Integers are little-endian fixed width; lengths are LEB128 varints. The
// encoding is stable: it is what journals and snapshots hold.
//
// Fields may be named, so that a savepoint can restore the type after a
// field was added or removed (eddy/schema.hpp): `f(eddy::field("count",
// x.count), ...)` encodes exactly like `f(x.count, ...)`. Unnamed fields
// are named by position ("_0", "_1", ...): appending one is fine, removing
// or reordering one is a type change.

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <algorithm>
#include <variant>
#include <vector>

namespace eddy {

/// Thrown by `reader` when bytes do not decode; converted to errc::corrupt at
/// the boundary that read the bytes (journal, channel).
class decode_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class writer;
class reader;

/// A named field of an inspected struct: `eddy::field("count", x.count)`.
template <class T>
struct field_ref {
  const char* name;
  T& value;
};

template <class T>
field_ref<T> field(const char* name, T& value) {
  return {name, value};
}

namespace detail {

template <class T>
struct is_field_ref : std::false_type {};
template <class T>
struct is_field_ref<field_ref<T>> : std::true_type {};

/// Savepoint restores of an evolved struct (eddy/schema.hpp): reads `x`
/// laid out as its type was when the savepoint was taken, if a restore
/// set an old layout for the type on this thread; false otherwise.
template <class T>
bool read_evolved(reader& r, T& x);

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_variant : std::false_type {};
template <class... Ts>
struct is_variant<std::variant<Ts...>> : std::true_type {};
template <class T>
struct is_pair_or_tuple : std::false_type {};
template <class A, class B>
struct is_pair_or_tuple<std::pair<A, B>> : std::true_type {};
template <class... Ts>
struct is_pair_or_tuple<std::tuple<Ts...>> : std::true_type {};
template <class T>
struct is_map : std::false_type {};
template <class K, class V, class C, class A>
struct is_map<std::map<K, V, C, A>> : std::true_type {};
template <class K, class V, class H, class E, class A>
struct is_map<std::unordered_map<K, V, H, E, A>> : std::true_type {};

struct inspect_probe {
  using result_type = void;
  template <class... Ts>
  void operator()(Ts&&...) {
  }
};

template <class T>
concept inspectable = requires(inspect_probe& f, T& x) { inspect(f, x); };

} // namespace detail

/// Appends the encoding of values to a byte string. Not thread-safe.
class writer {
public:
  using result_type = void;

  explicit writer(std::string& out) : out_(&out) {
  }

  void bytes(const void* data, size_t size) {
    out_->append(static_cast<const char*>(data), size);
  }

  void varint(uint64_t x) {
    char buf[10];
    size_t n = 0;
    while (x >= 0x80) {
      buf[n++] = static_cast<char>((x & 0x7f) | 0x80);
      x >>= 7;
    }
    buf[n++] = static_cast<char>(x);
    out_->append(buf, n);
  }

  template <class... Ts>
  void operator()(const Ts&... xs) {
    (write(xs), ...);
  }

  template <class T>
  void write(const T& x) {
    using U = std::remove_cvref_t<T>;
    if constexpr (detail::is_field_ref<U>::value) {
      write(x.value);
    } else if constexpr (std::is_same_v<U, bool>) {
      out_->push_back(x ? 1 : 0);
    } else if constexpr (std::is_arithmetic_v<U>) {
      bytes(&x, sizeof(U)); // every target of Eddy is little-endian
    } else if constexpr (std::is_enum_v<U>) {
      write(static_cast<std::underlying_type_t<U>>(x));
    } else if constexpr (std::is_same_v<U, std::string> || std::is_same_v<U, std::string_view>) {
      varint(x.size());
      bytes(x.data(), x.size());
    } else if constexpr (detail::is_vector<U>::value || detail::is_map<U>::value) {
      varint(x.size());
      for (const auto& e : x)
        write(e);
    } else if constexpr (detail::is_optional<U>::value) {
      write(x.has_value());
      if (x)
        write(*x);
    } else if constexpr (detail::is_variant<U>::value) {
      varint(x.index());
      std::visit([this](const auto& alt) { write(alt); }, x);
    } else if constexpr (detail::is_pair_or_tuple<U>::value) {
      std::apply([this](const auto&... es) { (write(es), ...); }, x);
    } else if constexpr (detail::inspectable<U>) {
      inspect(*this, const_cast<U&>(x)); // inspect takes T&; writing does not modify
    } else {
      static_assert(sizeof(U) == 0, "eddy::writer: type has no encoding; add an inspect overload");
    }
  }

private:
  std::string* out_;
};

/// Decodes values from a byte range written by `writer`. Throws decode_error on
/// truncated or malformed input. Not thread-safe.
class reader {
public:
  using result_type = void;

  explicit reader(std::string_view in) : in_(in) {
  }

  size_t remaining() const noexcept {
    return in_.size() - pos_;
  }
  bool at_end() const noexcept {
    return pos_ == in_.size();
  }

  std::string_view bytes(size_t size) {
    if (size > remaining())
      throw decode_error("truncated input: need " + std::to_string(size) + " bytes, have "
                         + std::to_string(remaining()));
    auto result = in_.substr(pos_, size);
    pos_ += size;
    return result;
  }

  uint64_t varint() {
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size())
        throw decode_error("truncated varint");
      auto b = static_cast<uint8_t>(in_[pos_++]);
      x |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0)
        return x;
    }
    throw decode_error("varint longer than 10 bytes");
  }

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (read(xs), ...);
  }

  template <class T>
  T read() {
    T x{};
    read(x);
    return x;
  }

  template <class T>
  void read(T& x) {
    using U = std::remove_cvref_t<T>;
    if constexpr (detail::is_field_ref<U>::value) {
      read(x.value);
    } else if constexpr (std::is_same_v<U, bool>) {
      x = bytes(1)[0] != 0;
    } else if constexpr (std::is_arithmetic_v<U>) {
      std::memcpy(&x, bytes(sizeof(U)).data(), sizeof(U));
    } else if constexpr (std::is_enum_v<U>) {
      x = static_cast<U>(read<std::underlying_type_t<U>>());
    } else if constexpr (std::is_same_v<U, std::string>) {
      auto n = varint();
      x.assign(bytes(n));
    } else if constexpr (detail::is_vector<U>::value) {
      auto n = varint();
      if (n > remaining())
        throw decode_error("vector length exceeds input");
      x.clear();
      x.resize(n);
      for (auto& e : x)
        read(e);
    } else if constexpr (detail::is_map<U>::value) {
      auto n = varint();
      x.clear();
      for (uint64_t i = 0; i < n; ++i) {
        typename U::key_type k{};
        typename U::mapped_type v{};
        read(k);
        read(v);
        x.emplace(std::move(k), std::move(v));
      }
    } else if constexpr (detail::is_optional<U>::value) {
      if (read<bool>()) {
        x.emplace();
        read(*x);
      } else {
        x.reset();
      }
    } else if constexpr (detail::is_variant<U>::value) {
      read_variant(x, varint(), std::make_index_sequence<std::variant_size_v<U>>{});
    } else if constexpr (detail::is_pair_or_tuple<U>::value) {
      std::apply([this](auto&... es) { (read(es), ...); }, x);
    } else if constexpr (detail::inspectable<U>) {
      if (!detail::read_evolved(*this, x))
        inspect(*this, x);
    } else {
      static_assert(sizeof(U) == 0, "eddy::reader: type has no encoding; add an inspect overload");
    }
  }

private:
  template <class V, size_t... Is>
  void read_variant(V& x, uint64_t index, std::index_sequence<Is...>) {
    if (index >= sizeof...(Is))
      throw decode_error("variant index out of range");
    ((index == Is ? (x.template emplace<Is>(), read(std::get<Is>(x)), true) : false) || ...);
  }

  std::string_view in_;
  size_t pos_ = 0;
};

/// Returns the encoding of `x`.
template <class T>
std::string encode(const T& x) {
  std::string out;
  writer{out}.write(x);
  return out;
}

/// Appends the encoding of `x` to `out`.
template <class T>
void encode_into(std::string& out, const T& x) {
  writer{out}.write(x);
}

/// Decodes a `T` that fills all of `bytes`; throws decode_error otherwise.
template <class T>
T decode(std::string_view bytes) {
  reader r{bytes};
  T x{};
  r.read(x);
  if (!r.at_end())
    throw decode_error("trailing bytes after value");
  return x;
}

/// Appends the canonical key bytes of `key`: the raw bytes of a string, the
/// codec encoding of anything else. Key groups hash these bytes.
template <class K>
void append_key_bytes(std::string& out, const K& key) {
  if constexpr (std::is_convertible_v<const K&, std::string_view>) {
    std::string_view s = key;
    out.append(s.data(), s.size());
  } else {
    writer{out}.write(key);
  }
}

/// Decodes a key from its canonical key bytes (the inverse of append_key_bytes).
template <class K>
K decode_key(std::string_view bytes) {
  if constexpr (std::is_same_v<K, std::string>)
    return std::string{bytes};
  else if constexpr (std::is_same_v<K, std::string_view>)
    return bytes;
  else
    return decode<K>(bytes);
}

} // namespace eddy

#include "eddy/detail/evolution.hpp"
