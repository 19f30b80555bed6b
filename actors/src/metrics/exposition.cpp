#include "metrics/exposition.hpp"

#include <cmath>

#include <fmt/format.h>

namespace eddy::actors::metrics {

namespace {

std::string escape_help(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

/// `{a="x",b="y"}` of the constant labels, the series' own and `extra`; empty if none.
std::string label_text(const labels& constant, const labels& own, const labels& extra = {}) {
  std::string out;
  for (auto* set : {&constant, &own, &extra})
    for (auto& [name, value] : *set)
      out += (out.empty() ? "{" : ",") + name + "=\"" + escape_label_value(value) + "\"";
  return out.empty() ? out : out + "}";
}

void sample(std::string& out, const std::string& name, const std::string& labels, double v) {
  out += name;
  out += labels;
  out += ' ';
  out += format_value(v);
  out += '\n';
}

const char* type_name(kind k) {
  switch (k) {
    case kind::counter:
      return "counter";
    case kind::gauge:
      return "gauge";
    case kind::histogram:
      return "histogram";
  }
  return "untyped";
}

} // namespace

std::string format_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string exposition(const registry& reg) {
  std::string out;
  reg.collect([&](const std::string& name, const family& f, const labels& constant) {
    std::string body;
    for (auto& [l, c] : f.counters)
      sample(body, name, label_text(constant, l), c->value());
    for (auto& [l, g] : f.gauges)
      if (!std::isnan(g->value()))
        sample(body, name, label_text(constant, l), g->value());
    for (auto& [l, fn] : f.gauge_fns)
      if (auto v = fn())
        sample(body, name, label_text(constant, l), *v);
    for (auto& [l, h] : f.histograms) {
      // Cumulative counts from one read of each bucket, so _count equals
      // the +Inf bucket even while observations come in.
      uint64_t total = 0;
      for (size_t i = 0; i <= h->bounds().size(); ++i) {
        total += h->in_bucket(i);
        auto le = i < h->bounds().size() ? format_value(h->bounds()[i]) : "+Inf";
        sample(body, name + "_bucket", label_text(constant, l, {{"le", le}}),
               static_cast<double>(total));
      }
      sample(body, name + "_sum", label_text(constant, l), h->sum());
      sample(body, name + "_count", label_text(constant, l), static_cast<double>(total));
    }
    if (body.empty())
      return;
    out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + name + " " + type_name(f.type) + "\n";
    out += body;
  });
  return out;
}

} // namespace eddy::actors::metrics
