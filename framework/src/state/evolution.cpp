#include "eddy/codec.hpp"

#include <cctype>
#include <set>

namespace eddy::detail {

namespace {

thread_local const evolution* active = nullptr;

class schema_parser {
public:
  explicit schema_parser(std::string_view text) : text_(text) {
  }

  schema_node parse() {
    auto node = type();
    if (pos_ != text_.size())
      fail("unexpected '" + std::string{text_.substr(pos_)} + "'");
    return node;
  }

private:
  [[noreturn]] void fail(const std::string& what) const {
    throw decode_error("schema '" + std::string{text_} + "': " + what);
  }

  std::string word() {
    auto start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    if (start == pos_)
      fail("a name expected at " + std::to_string(pos_));
    return std::string{text_.substr(start, pos_ - start)};
  }

  void expect(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c)
      fail(std::string{"'"} + c + "' expected at " + std::to_string(pos_));
    ++pos_;
  }

  bool next_is(char c) const {
    return pos_ < text_.size() && text_[pos_] == c;
  }

  std::vector<std::pair<std::string, schema_node>> arguments() {
    std::vector<std::pair<std::string, schema_node>> args;
    expect('<');
    do {
      if (!args.empty())
        ++pos_;
      args.emplace_back("", type());
    } while (next_is(','));
    expect('>');
    return args;
  }

  schema_node type() {
    schema_node n;
    auto w = word();
    if (w == "struct") {
      expect(' ');
      n.kind = schema_node::structure;
      n.name = word();
      expect('{');
      while (!next_is('}')) {
        if (!n.children.empty())
          expect(',');
        auto field = word();
        expect(':');
        n.children.emplace_back(field, type());
      }
      expect('}');
      return n;
    }
    static const std::map<std::string, schema_node::kind_t> generic = {
      {"vector", schema_node::vector}, {"optional", schema_node::optional}, {"map", schema_node::map},
      {"tuple", schema_node::tuple},   {"variant", schema_node::variant},   {"enum", schema_node::enumeration}};
    if (auto g = generic.find(w); g != generic.end()) {
      n.kind = g->second;
      n.children = arguments();
      return n;
    }
    static const std::set<std::string> primitives = {"bool", "i8",  "i16", "i32", "i64", "u8", "u16",
                                                     "u32",  "u64", "f32", "f64", "string"};
    if (!primitives.count(w))
      fail("unknown type '" + w + "'");
    n.name = w;
    return n;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

size_t width_of(const std::string& primitive) {
  if (primitive == "bool")
    return 1;
  return static_cast<size_t>(std::stoi(primitive.substr(1))) / 8;
}

std::string text_of(const schema_node& s) {
  switch (s.kind) {
    case schema_node::primitive:
      return s.name;
    case schema_node::structure:
      return "struct " + s.name;
    default: {
      static const char* names[] = {"", "vector", "optional", "map", "tuple", "variant", "enum"};
      std::string t = std::string{names[s.kind]} + "<";
      for (size_t i = 0; i < s.children.size(); ++i)
        t += (i ? "," : "") + text_of(s.children[i].second);
      return t + ">";
    }
  }
}

} // namespace

schema_node parse_schema(std::string_view text) {
  return schema_parser{text}.parse();
}

void skip_value(reader& r, const schema_node& s) {
  switch (s.kind) {
    case schema_node::primitive:
      if (s.name == "string")
        r.bytes(r.varint());
      else
        r.bytes(width_of(s.name));
      return;
    case schema_node::enumeration:
      return skip_value(r, s.children.at(0).second);
    case schema_node::vector:
      for (auto n = r.varint(); n > 0; --n)
        skip_value(r, s.children.at(0).second);
      return;
    case schema_node::map:
      for (auto n = r.varint(); n > 0; --n) {
        skip_value(r, s.children.at(0).second);
        skip_value(r, s.children.at(1).second);
      }
      return;
    case schema_node::optional:
      if (r.read<bool>())
        skip_value(r, s.children.at(0).second);
      return;
    case schema_node::variant: {
      auto i = r.varint();
      if (i >= s.children.size())
        throw decode_error("variant index out of range");
      return skip_value(r, s.children[i].second);
    }
    case schema_node::tuple:
    case schema_node::structure:
      for (auto& [name, c] : s.children)
        skip_value(r, c);
      return;
  }
}

std::string evolution_problem(const schema_node& old, const schema_node& now, const std::string& path) {
  if (old.kind != now.kind || old.name != now.name
      || (old.kind != schema_node::structure && old.children.size() != now.children.size()))
    return (path.empty() ? std::string{"the value"} : "field " + path) + " was " + text_of(old) + " and is "
           + text_of(now) + " now";
  if (old.kind == schema_node::structure) {
    for (auto& [name, o] : old.children)
      for (auto& [name2, n] : now.children)
        if (name == name2)
          if (auto p = evolution_problem(o, n, path.empty() ? name : path + "." + name); !p.empty())
            return p;
    return {};
  }
  for (size_t i = 0; i < old.children.size(); ++i)
    if (auto p = evolution_problem(old.children[i].second, now.children[i].second, path); !p.empty())
      return p;
  return {};
}

void evolution::add(const schema_node& old, const schema_node& now) {
  if (old.kind == schema_node::structure) {
    bool same = old.children.size() == now.children.size();
    for (size_t i = 0; same && i < old.children.size(); ++i)
      same = old.children[i].first == now.children[i].first;
    if (!same)
      structs[old.name] = old;
    for (auto& [name, o] : old.children)
      for (auto& [name2, n] : now.children)
        if (name == name2)
          add(o, n);
    return;
  }
  for (size_t i = 0; i < old.children.size() && i < now.children.size(); ++i)
    add(old.children[i].second, now.children[i].second);
}

evolution_scope::evolution_scope(const evolution* e) : previous_(active) {
  active = e;
}

evolution_scope::~evolution_scope() {
  active = previous_;
}

const evolution* active_evolution() noexcept {
  return active;
}

} // namespace eddy::detail
