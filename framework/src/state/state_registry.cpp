#include "eddy/detail/state_registry.hpp"

#include "eddy/detail/json_writer.hpp"

#include <algorithm>
#include <stdexcept>

namespace eddy::detail {

namespace {

thread_local state_registry* filling_registry = nullptr;

} // namespace

state_registry* state_registry::filling() noexcept {
  return filling_registry;
}

state_registry::scope::scope(state_registry* r) : previous_(filling_registry) {
  filling_registry = r;
}

state_registry::scope::~scope() {
  filling_registry = previous_;
}

uint32_t state_registry::add(state_base* handle) {
  handles_.push_back(handle);
  return static_cast<uint32_t>(handles_.size() - 1);
}

void state_registry::apply_log(std::string_view log) {
  reader r{log};
  while (!r.at_end()) {
    auto id = r.varint();
    auto op = static_cast<state_op>(r.read<uint8_t>());
    auto key = r.bytes(r.varint());
    if (id >= handles_.size())
      throw decode_error("state log names state " + std::to_string(id) + " of "
                         + std::to_string(handles_.size()));
    handles_[id]->apply(op, key, r);
  }
}

void state_registry::snapshot(std::string& out) const {
  writer w{out};
  w.varint(handles_.size());
  for (auto* h : handles_)
    h->snapshot(w);
}

void state_registry::restore(std::string_view bytes) {
  reader r{bytes};
  auto n = r.varint();
  if (n != handles_.size())
    throw decode_error("snapshot holds " + std::to_string(n) + " states, the function declares "
                       + std::to_string(handles_.size()));
  for (auto* h : handles_)
    h->restore(r);
}

size_t state_registry::key_count() const {
  size_t n = 0;
  for (auto* h : handles_)
    n += h->key_count();
  return n;
}

std::vector<std::pair<std::string, std::string>> state_registry::states() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < handles_.size(); ++i)
    out.emplace_back(handles_[i]->name().empty() ? "#" + std::to_string(i) : handles_[i]->name(),
                     handles_[i]->schema());
  return out;
}

size_t state_registry::cleanup_expired(int64_t now, size_t budget) {
  size_t erased = 0;
  // Each handle at most once per call, so a small state with a large budget
  // is walked once rather than in circles.
  for (size_t n = 0; n < handles_.size() && budget > 0; ++n) {
    auto r = handles_[cleanup_handle_]->cleanup_expired(now, budget);
    erased += r.erased;
    budget -= std::min(budget, r.visited);
    if (!r.wrapped)
      break; // the budget ran out inside this handle: continue there next time
    cleanup_handle_ = (cleanup_handle_ + 1) % handles_.size();
  }
  return erased;
}

std::string state_registry::state_json(std::string_view key) const {
  std::string out = "{";
  for (size_t i = 0; i < handles_.size(); ++i) {
    std::string value;
    if (!handles_[i]->render_json(key, value))
      continue;
    out += out.size() == 1 ? "" : ",";
    append_json_string(out, handles_[i]->name().empty() ? "#" + std::to_string(i) : handles_[i]->name());
    out += ":" + value;
  }
  return out + "}";
}

state_base::state_base() : registry_(state_registry::filling()) {
  if (!registry_)
    throw std::logic_error("eddy state handles live in a keyed function built by the runtime");
  id_ = registry_->add(this);
}

} // namespace eddy::detail
