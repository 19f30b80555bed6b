#pragma once

// Schemas of value types, and reading a value laid out as its type was when
// a savepoint was taken (DESIGN.md "Operations": a field added with a
// default, a field removed). Included at the end of eddy/codec.hpp.
//
// A schema is text: `bool`, `i8`..`i64`, `u8`..`u64`, `f32`, `f64`,
// `string`, `enum<S>`, `vector<S>`, `optional<S>`, `map<K,V>`,
// `tuple<S,...>`, `variant<S,...>`, and `struct NAME{field:S,...}` with
// NAME the type's typeid name and each field named by eddy::field() or by
// its position (`_0`, `_1`, ...).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

namespace eddy {

class reader;

namespace detail {

/// A parsed schema.
struct schema_node {
  enum kind_t { primitive, vector, optional, map, tuple, variant, enumeration, structure } kind = primitive;
  std::string name;  ///< a primitive's name, a struct's type name
  std::vector<std::pair<std::string, schema_node>> children; ///< fields (named) or element types
};

/// Parses schema text; throws decode_error naming what is wrong.
schema_node parse_schema(std::string_view text);

/// Reads past one value laid out by `s`.
void skip_value(reader& r, const schema_node& s);

/// Why a value of schema `old` cannot be read as `now` ("" if it can:
/// equal, or structs of the same type whose common fields can, with fields
/// added or removed). `path` names the field in the answer ("" for the
/// whole value).
std::string evolution_problem(const schema_node& old, const schema_node& now, const std::string& path);

/// The old layouts of the struct types a restore reads, by type name.
struct evolution {
  std::map<std::string, schema_node> structs;
  /// Adds the structs of `old` that differ from their counterparts in `now`.
  void add(const schema_node& old, const schema_node& now);
};

/// Makes `e` the evolution that readers on this thread apply while it lives.
class evolution_scope {
public:
  explicit evolution_scope(const evolution* e);
  ~evolution_scope();
  evolution_scope(const evolution_scope&) = delete;
  evolution_scope& operator=(const evolution_scope&) = delete;

private:
  const evolution* previous_;
};

/// The evolution in force on this thread (nullptr: none, the common case).
const evolution* active_evolution() noexcept;

/// The fields of one struct value as its inspect overload lists them.
struct field_collector {
  using result_type = void;
  struct entry {
    std::string name;
    std::function<void(reader&)> read;
  };
  std::vector<entry> fields;

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (add(xs), ...);
  }

private:
  template <class T>
  void add(T& x) {
    if constexpr (is_field_ref<std::remove_cvref_t<T>>::value)
      fields.push_back({x.name, [&v = x.value](reader& r) { r.read(v); }});
    else
      fields.push_back({"_" + std::to_string(fields.size()), [&x](reader& r) { r.read(x); }});
  }
};

template <class T>
bool read_evolved(reader& r, T& x) {
  auto* e = active_evolution();
  if (e == nullptr) [[likely]]
    return false;
  auto it = e->structs.find(typeid(T).name());
  if (it == e->structs.end())
    return false;
  field_collector now;
  inspect(now, x);
  for (auto& [name, schema] : it->second.children) {
    auto f = std::find_if(now.fields.begin(), now.fields.end(), [&](auto& c) { return c.name == name; });
    if (f != now.fields.end())
      f->read(r);
    else
      skip_value(r, schema); // removed: its value is dropped
  }
  return true; // fields the old layout lacks keep the value they were constructed with
}

template <class T>
void schema_into(std::string& out);

/// Writes the schema of the fields of a struct's inspect overload.
struct schema_collector {
  using result_type = void;
  std::string* out;
  size_t n = 0;

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (add(xs), ...);
  }

private:
  template <class T>
  void add(T& x) {
    using U = std::remove_cvref_t<T>;
    *out += n == 0 ? "" : ",";
    if constexpr (is_field_ref<U>::value) {
      *out += std::string{x.name} + ":";
      schema_into<std::remove_cvref_t<decltype(x.value)>>(*out);
    } else {
      *out += "_" + std::to_string(n) + ":";
      schema_into<U>(*out);
    }
    ++n;
  }
};

template <class... Ts>
void schema_list(std::string& out) {
  size_t i = 0;
  ((out += i++ == 0 ? "" : ",", schema_into<Ts>(out)), ...);
}

template <class T>
struct tuple_schema;
template <class... Ts>
struct tuple_schema<std::tuple<Ts...>> {
  static void into(std::string& out) {
    schema_list<Ts...>(out);
  }
};
template <class A, class B>
struct tuple_schema<std::pair<A, B>> {
  static void into(std::string& out) {
    schema_list<A, B>(out);
  }
};
template <class... Ts>
struct tuple_schema<std::variant<Ts...>> {
  static void into(std::string& out) {
    schema_list<Ts...>(out);
  }
};

template <class T>
void schema_into(std::string& out) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    out += "bool";
  } else if constexpr (std::is_floating_point_v<U>) {
    out += "f" + std::to_string(8 * sizeof(U));
  } else if constexpr (std::is_integral_v<U>) {
    out += (std::is_signed_v<U> ? "i" : "u") + std::to_string(8 * sizeof(U));
  } else if constexpr (std::is_enum_v<U>) {
    out += "enum<";
    schema_into<std::underlying_type_t<U>>(out);
    out += ">";
  } else if constexpr (std::is_same_v<U, std::string> || std::is_same_v<U, std::string_view>) {
    out += "string";
  } else if constexpr (is_vector<U>::value) {
    out += "vector<";
    schema_into<typename U::value_type>(out);
    out += ">";
  } else if constexpr (is_map<U>::value) {
    out += "map<";
    schema_list<typename U::key_type, typename U::mapped_type>(out);
    out += ">";
  } else if constexpr (is_optional<U>::value) {
    out += "optional<";
    schema_into<typename U::value_type>(out);
    out += ">";
  } else if constexpr (is_variant<U>::value) {
    out += "variant<";
    tuple_schema<U>::into(out);
    out += ">";
  } else if constexpr (is_pair_or_tuple<U>::value) {
    out += "tuple<";
    tuple_schema<U>::into(out);
    out += ">";
  } else if constexpr (inspectable<U>) {
    out += std::string{"struct "} + typeid(U).name() + "{";
    U x{};
    schema_collector c{&out};
    inspect(c, x);
    out += "}";
  } else {
    static_assert(sizeof(U) == 0, "eddy::schema_of: type has no encoding");
  }
}

} // namespace detail

/// The schema of `T` (see eddy/detail/evolution.hpp).
template <class T>
std::string schema_of() {
  std::string out;
  detail::schema_into<T>(out);
  return out;
}

} // namespace eddy
