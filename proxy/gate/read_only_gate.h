#pragma once
// The gate of DESIGN.md (route -> gate -> handler): read-only mode on the data path.
//
// While read-only mode is on, for a request whose path is not under read_only.allow:
//   - an unsafe method (anything but GET, HEAD, OPTIONS) is Blocked: the caller answers it with
//     respondBlocked() — 503, Retry-After and the configured page (or JSON when the client
//     prefers it) — and nothing reaches a handler or a backend;
//   - any other request passes anonymised: Cookie and Authorization are dropped, so that the
//     cache and the backend see every visitor as logged out;
//   - its response loses Set-Cookie (filterResponse()), so nobody is logged back in.
// A path under read_only.allow passes untouched (webhooks, a staff login), but only when it holds
// no dot-segment, raw or encoded, that a backend could resolve outside the prefix; prefixes match
// on segment boundaries. Both rules are routing's too (http/request_path.h).
//
// admit() is called at dispatch and again, through BackendAdmission, just before a queued
// exchange's request goes to a backend (upstream_handler.cc), so a switch applies to requests
// already waiting too.

#include <string_view>

#include "proxy/gate/backend_admission.h"
#include "proxy/gate/read_only_state.h"
#include "proxy/http/exchange.h"

namespace gatehouse::gate {

// Where admit() is asked: at dispatch, or again just before the request goes to a backend
// (counters count each request once, at its first look).
enum class Stage { Dispatch, BeforeBackend };

class ReadOnlyGate final : public BackendAdmission {
 public:
  explicit ReadOnlyGate(ReadOnlyState& state = ReadOnlyState::process()) : state_(state) {}
  // The gate over the process's read-only state, for upstreams to ask.
  static const ReadOnlyGate& process();

  // Pass (the request anonymised when the mode is on) or Blocked (counted; nothing changed).
  Admission admit(http::RequestHead& request, Stage stage = Stage::Dispatch) const;
  // The 503 for a Blocked exchange.
  void respondBlocked(http::Exchange& exchange) const override;
  // admit(), answering a Blocked exchange at once. True when the exchange may go on.
  bool pass(http::Exchange& exchange) const;
  // Drops Set-Cookie from a backend response while the mode is on (path not allowed).
  void filterResponse(const http::RequestHead& request, http::ResponseHead& head) const override;
  // BackendAdmission: admit() at Stage::BeforeBackend.
  Admission admitBeforeBackend(http::RequestHead& request) const override {
    return admit(request, Stage::BeforeBackend);
  }

  // Pure helpers, public for tests.
  static bool isSafeMethod(std::string_view method);
  // `path` is under one of the prefixes (http::pathHasPrefix) and has no dot-segment
  // (http::hasDotSegment), so it cannot be resolved outside it.
  static bool isAllowed(std::string_view path, const config::ReadOnlyConfig& settings);
  // The Accept field prefers application/json over text/html (q-values, then the more specific
  // match on a tie: "application/json, */*" is JSON, "*/*" and "text/html, */*" are HTML).
  static bool prefersJson(std::string_view accept);

 private:
  ReadOnlyState& state_;
};

}  // namespace gatehouse::gate
