#include "admin-api/prometheus_text.h"

#include <fmt/format.h>

#include <cmath>

namespace gatehouse::admin {
namespace {

// Label values escape backslash, double quote and newline; help text backslash and newline.
void appendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::string_view typeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string PrometheusText::number(uint64_t v) {
  return fmt::format("{}", v);
}
std::string PrometheusText::number(int64_t v) {
  return fmt::format("{}", v);
}
std::string PrometheusText::number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // shortest form that reads back as the same double
}

void PrometheusText::line(Metric metric, std::string_view suffix, Labels labels,
                          const std::string& value,
                          std::pair<std::string_view, std::string_view> extra_label) {
  std::string& out = samples_[static_cast<size_t>(metric)];
  out += info(metric).name;
  out += suffix;
  bool first = true;
  auto label = [&](std::string_view name, std::string_view v) {
    out += first ? '{' : ',';
    first = false;
    out += name;
    out += "=\"";
    appendEscaped(out, v, true);
    out += '"';
  };
  for (const auto& [name, v] : labels)
    label(name, v);
  if (!extra_label.first.empty()) label(extra_label.first, extra_label.second);
  if (!first) out += '}';
  out += ' ';
  out += value;
  out += '\n';
}

void PrometheusText::addHistogram(Metric metric, Labels labels, const std::vector<double>& bounds,
                                  const std::vector<uint64_t>& counts, double sum) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
    line(metric, "_bucket", labels, number(cumulative), {"le", le});
  }
  line(metric, "_sum", labels, number(sum));
  line(metric, "_count", labels, number(cumulative));
}

std::string PrometheusText::render() const {
  std::string out;
  for (size_t i = 0; i < kMetricCount; ++i) {
    const MetricInfo& m = kMetricTable[i];
    out += "# HELP ";
    out += m.name;
    out += ' ';
    appendEscaped(out, m.help, false);
    out += "\n# TYPE ";
    out += m.name;
    out += ' ';
    out += typeName(m.type);
    out += '\n';
    out += samples_[i];
  }
  return out;
}

}  // namespace gatehouse::admin
