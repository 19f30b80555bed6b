#pragma once

// Keys given as text, for queries of a running job's state: a keyed stage
// turns the text into its key type's canonical bytes (the bytes records
// are routed and stored by, eddy/codec.hpp append_key_bytes).

#include <charconv>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

#include "eddy/codec.hpp"
#include "eddy/dataflow/traits.hpp"

namespace eddy::dataflow {

/// The canonical key bytes of the key `text` denotes, or nullopt if it
/// denotes none ("12x" for an integer key). Called from any thread.
using key_parser = std::function<std::optional<std::string>(std::string_view text)>;

/// How keys of type `K` are read from text: strings as they are, integers
/// in decimal (std::from_chars, the whole text); null for any other type,
/// whose keys cannot be given as text.
template <class K>
key_parser key_parser_of() {
  if constexpr (std::is_convertible_v<const K&, std::string_view>) {
    return [](std::string_view text) -> std::optional<std::string> { return std::string{text}; };
  } else if constexpr (std::is_integral_v<K> && !std::is_same_v<K, bool>) {
    return [](std::string_view text) -> std::optional<std::string> {
      K k{};
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
      if (ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
      std::string bytes;
      append_key_bytes(bytes, k);
      return bytes;
    };
  } else {
    return nullptr;
  }
}

/// The name of key type `K` in errors: `string`, `i64`, ..., else its C++ name.
template <class K>
std::string key_type_name() {
  if constexpr (std::is_convertible_v<const K&, std::string_view>)
    return "string";
  else if constexpr (std::is_arithmetic_v<K>)
    return schema_of<K>();
  else
    return demangle(typeid(K).name());
}

} // namespace eddy::dataflow
