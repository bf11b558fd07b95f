#pragma once
// Writes the Prometheus text exposition format 0.0.4: for each metric of metrics_table.h, in
// table order, its # HELP and # TYPE lines and then its samples. Samples are added in any
// order; label values are escaped here.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin-api/metrics_table.h"

namespace gatehouse::admin {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  PrometheusText() : samples_(kMetricCount) {}

  void add(Metric metric, Labels labels, uint64_t value) {
    line(metric, "", labels, number(value));
  }
  void add(Metric metric, Labels labels, int64_t value) { line(metric, "", labels, number(value)); }
  void add(Metric metric, Labels labels, double value) { line(metric, "", labels, number(value)); }

  // A histogram from per-bucket counts (NOT cumulative: each observation counted once, in the
  // first bucket whose bound holds it; the last bucket is +Inf). `bounds` are the finite upper
  // bounds, one fewer than `counts`. Writes the cumulative _bucket lines, _sum and _count.
  void addHistogram(Metric metric, Labels labels, const std::vector<double>& bounds,
                    const std::vector<uint64_t>& counts, double sum);

  std::string render() const;

 private:
  static std::string number(uint64_t v);
  static std::string number(int64_t v);
  static std::string number(double v);
  void line(Metric metric, std::string_view suffix, Labels labels, const std::string& value,
            std::pair<std::string_view, std::string_view> extra_label = {});

  std::vector<std::string> samples_;  // per metric, its sample lines
};

}  // namespace gatehouse::admin
