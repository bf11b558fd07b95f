// `forward:` which of a client's fields gatehouse passes to backends that it strips by default
// (allow_headers), and which Upgrade protocols it relays (upgrade_tokens).
#include <fmt/format.h>

#include "config/forward_fields.h"
#include "config/sections.h"
#include "proxy/base/ascii.h"

namespace gatehouse::config {
namespace {

std::string strippedNames() {
  std::string names;
  for (const ClientControlledField& f : kClientControlledFields)
    names += (names.empty() ? "" : ", ") + std::string(f.name);
  return names;
}

void readAllowedHeader(const Value& item, ForwardConfig& out, Diagnostics& diag) {
  auto name = readString(item, diag);
  if (!name) return;
  for (const ClientControlledField& f : kClientControlledFields) {
    if (ascii::iequals(*name, f.name)) {
      out.allow_headers.push_back(std::string(f.name));
      return;
    }
  }
  // Anything else already reaches backends untouched: listing it would promise a change that
  // does not happen (or hide a typo).
  diag.error(
      item.mark, item.path,
      fmt::format("\"{}\" is not a field gatehouse strips; these are: {}", *name, strippedNames()));
}

void readUpgradeToken(const Value& item, ForwardConfig& out, Diagnostics& diag) {
  auto token = readString(item, diag);
  if (!token) return;
  if (!ascii::isToken(*token)) {
    diag.error(item.mark, item.path, fmt::format("\"{}\" is not a protocol token", *token));
    return;
  }
  std::string lower;
  for (char c : *token)
    lower += ascii::toLower(c);
  for (const std::string& t : out.upgrade_tokens)
    if (t == lower) return;
  out.upgrade_tokens.push_back(std::move(lower));
}

}  // namespace

void readForward(const Value& v, ForwardConfig& out, Diagnostics& diag) {
  readMap(v,
          {
              {"allow_headers",
               [&](const Value& list) {
                 readList(
                     list, [&](const Value& item) { readAllowedHeader(item, out, diag); }, diag);
               }},
              {"upgrade_tokens",
               [&](const Value& list) {
                 readList(
                     list, [&](const Value& item) { readUpgradeToken(item, out, diag); }, diag);
               }},
          },
          {}, diag);
}

}  // namespace gatehouse::config
