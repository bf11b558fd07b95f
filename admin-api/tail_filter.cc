#include "admin-api/tail_filter.h"

#include <fmt/format.h>

#include <charconv>

namespace gatehouse::admin {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "status>=500" (after "filter=") or the value of "status=" ("500", ">=500", "!=200").
Result<TailFilter::StatusTest> parseStatusTest(std::string_view text) {
  using Op = TailFilter::Op;
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {">=", Op::Ge}, {"<=", Op::Le}, {"!=", Op::Ne}, {"==", Op::Eq},
      {">", Op::Gt},  {"<", Op::Lt},  {"=", Op::Eq}};
  TailFilter::StatusTest test;
  for (const auto& [symbol, op] : kOps) {
    if (text.starts_with(symbol)) {
      test.op = op;
      text.remove_prefix(symbol.size());
      break;
    }
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), test.value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || test.value < 0 ||
      test.value > 999)
    return Error{
        fmt::format("status: expected a status with an optional comparison (>=500), "
                    "got \"{}\"",
                    text)};
  return test;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hexValue(text[i + 1]), lo = hexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Result<TailFilter> TailFilter::parse(std::string_view query) {
  TailFilter f;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    auto value = percentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!value) return Error{fmt::format("{}: a broken %-escape", name)};
    if (name == "status" || (name == "filter" && value->starts_with("status"))) {
      auto test = parseStatusTest(name == "status" ? *value : value->substr(6));
      if (!test) return test.error();
      f.status = *test;
    } else if (name == "path") {
      f.path = std::move(*value);
    } else if (name == "server") {
      f.server = std::move(*value);
    } else if (name == "cache") {
      f.cache = std::move(*value);
    } else if (name == "host") {
      f.host = std::move(*value);
    } else {
      return Error{fmt::format("unknown filter \"{}\" (status, path, server, cache, host)", name)};
    }
  }
  return f;
}

bool TailFilter::matches(const server::TapEntry& e) const {
  if (status) {
    const int s = e.status, v = status->value;
    bool ok = false;
    switch (status->op) {
      case Op::Eq:
        ok = s == v;
        break;
      case Op::Ne:
        ok = s != v;
        break;
      case Op::Lt:
        ok = s < v;
        break;
      case Op::Le:
        ok = s <= v;
        break;
      case Op::Gt:
        ok = s > v;
        break;
      case Op::Ge:
        ok = s >= v;
        break;
    }
    if (!ok) return false;
  }
  if (!path.empty() && !std::string_view(e.target).starts_with(path)) return false;
  if (!server.empty() && e.server != server) return false;
  if (!cache.empty() && e.cache.find(cache) == std::string::npos) return false;
  if (!host.empty() && e.host != host) return false;
  return true;
}

}  // namespace gatehouse::admin
