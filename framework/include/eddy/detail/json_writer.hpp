#pragma once

// Renders state values as JSON text, for queries of a running job's state
// (actors/src/query/). Walks the same types as the codec (eddy/codec.hpp)
// the same way: built-in types by their shape, user structs through their
// `inspect` overload.
//
//   bool, integers    true / 42          floats    1.5 (NaN, inf: null)
//   enum              its underlying number
//   string            "text" (control characters and quotes escaped)
//   vector, tuple     [ ... ]            optional  the value or null
//   variant           the held alternative's value
//   map               {"k": v, ...} when its keys are strings or integers,
//                     else [[k, v], ...]
//   struct            {"name": v, ...} when every field is an
//                     eddy::field("name", x); [v, ...] when none is; mixed:
//                     unnamed fields as "_0", "_1", ... (their schema names)

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "eddy/codec.hpp"

namespace eddy::detail {

/// Appends `s` as a JSON string literal (quoted and escaped); bytes from
/// 0x80 up pass through unchanged.
void append_json_string(std::string& out, std::string_view s);

/// Appends the JSON rendering of values to a string. Not thread-safe.
class json_writer {
public:
  using result_type = void;

  explicit json_writer(std::string& out) : out_(&out) {
  }

  /// What an inspect overload calls with a struct's fields.
  template <class... Ts>
  void operator()(Ts&&... xs) {
    constexpr bool all_named = (is_field_ref<std::remove_cvref_t<Ts>>::value && ...);
    constexpr bool none_named = (!is_field_ref<std::remove_cvref_t<Ts>>::value && ...);
    size_t i = 0;
    if constexpr (none_named && sizeof...(Ts) > 0) {
      out_->push_back('[');
      ((*out_ += i++ == 0 ? "" : ",", write(xs)), ...);
      out_->push_back(']');
    } else {
      (void) all_named;
      out_->push_back('{');
      ((*out_ += i == 0 ? "" : ",", named(i++, xs)), ...);
      out_->push_back('}');
    }
  }

  template <class T>
  void write(const T& x) {
    using U = std::remove_cvref_t<T>;
    if constexpr (is_field_ref<U>::value) {
      write(x.value);
    } else if constexpr (std::is_same_v<U, bool>) {
      *out_ += x ? "true" : "false";
    } else if constexpr (std::is_floating_point_v<U>) {
      if (!std::isfinite(x)) {
        *out_ += "null"; // JSON has no NaN or infinity
        return;
      }
      number(x);
    } else if constexpr (std::is_integral_v<U>) {
      number(x);
    } else if constexpr (std::is_enum_v<U>) {
      write(static_cast<std::underlying_type_t<U>>(x));
    } else if constexpr (std::is_same_v<U, std::string> || std::is_same_v<U, std::string_view>) {
      append_json_string(*out_, x);
    } else if constexpr (is_vector<U>::value) {
      out_->push_back('[');
      size_t i = 0;
      for (const auto& e : x) {
        *out_ += i++ == 0 ? "" : ",";
        write(e);
      }
      out_->push_back(']');
    } else if constexpr (is_map<U>::value) {
      map(x);
    } else if constexpr (is_optional<U>::value) {
      if (x)
        write(*x);
      else
        *out_ += "null";
    } else if constexpr (is_variant<U>::value) {
      std::visit([this](const auto& alt) { write(alt); }, x);
    } else if constexpr (is_pair_or_tuple<U>::value) {
      out_->push_back('[');
      size_t i = 0;
      std::apply([&](const auto&... es) { ((*out_ += i++ == 0 ? "" : ",", write(es)), ...); }, x);
      out_->push_back(']');
    } else if constexpr (inspectable<U>) {
      inspect(*this, const_cast<U&>(x)); // inspect takes T&; rendering does not modify
    } else {
      static_assert(sizeof(U) == 0, "eddy::json_writer: type has no rendering; add an inspect overload");
    }
  }

private:
  template <class T>
  void named(size_t i, const T& x) {
    if constexpr (is_field_ref<std::remove_cvref_t<T>>::value)
      append_json_string(*out_, x.name);
    else
      append_json_string(*out_, "_" + std::to_string(i));
    out_->push_back(':');
    write(x);
  }

  template <class N>
  void number(N x) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
    out_->append(buf, end);
  }

  template <class M>
  void map(const M& m) {
    using K = typename M::key_type;
    constexpr bool textual = std::is_same_v<K, std::string> || (std::is_integral_v<K> && !std::is_same_v<K, bool>);
    out_->push_back(textual ? '{' : '[');
    size_t i = 0;
    for (const auto& [k, v] : m) {
      *out_ += i++ == 0 ? "" : ",";
      if constexpr (std::is_same_v<K, std::string>) {
        append_json_string(*out_, k);
        out_->push_back(':');
      } else if constexpr (textual) {
        append_json_string(*out_, std::to_string(k));
        out_->push_back(':');
      } else {
        out_->push_back('[');
        write(k);
        out_->push_back(',');
      }
      write(v);
      if constexpr (!textual)
        out_->push_back(']');
    }
    out_->push_back(textual ? '}' : ']');
  }

  std::string* out_;
};

/// The JSON text of `x`.
template <class T>
std::string to_json(const T& x) {
  std::string out;
  json_writer{out}.write(x);
  return out;
}

} // namespace eddy::detail
