#pragma once
// The states of an Http1ServerConnection: three small machines, one per concern, whose
// transitions are written here and nowhere else. Each next() maps a state and an event to the
// state the event leads to, or to nullopt where the diagram has no such arrow: the connection
// then ignores the event (a pause after the body is in, a second end). Pure and constexpr, so
// the unit test walks every arrow; the connection applies them with advance().
//
// The request of the current exchange, what the client sends:
//   Idle --head without a body--> Complete
//   Idle --head with a body--> AwaitingResume --resume--> Receiving <--resume / pause--> Paused
//   Receiving | Paused --body ends--> Complete --next request--> Idle
//   AwaitingResume | Receiving | Paused --response ends first, connection kept--> Discarding
//   Discarding --body ends--> Complete   (past its budget, malformed or too slow, the body is not
//                                         read on: the connection closes, and never writes a
//                                         second response for the request)
//   AwaitingResume | Receiving | Paused | Complete --101 sent--> Receiving (the tunnel's bytes;
//                                                                the client's FIN ends them)
//   any --input refused (400, 413, 431)--> Refused
//
// The response, what the handler sends through us:
//   None --head--> Streaming --end--> Done --next request--> None
//   None --101--> Tunnel --end--> Done;   None --end--> Done;   None --next request--> None
//
// The connection:
//   Open --beginShutdown()--> ShuttingDown (the exchange in progress is the last one)
//   Open | ShuttingDown | Closing --close after flush--> Closing (input dropped, output flushed)
//   Closing --flushed, the client may still send--> Lingering (FIN sent, input drained a while)
//   Open | ShuttingDown | Closing | Lingering --closed--> Closed

#include <cstdint>
#include <optional>

namespace gatehouse::http {

enum class RequestState : uint8_t {
  Idle,            // no exchange: the next bytes are a request head
  AwaitingResume,  // a body follows, not yet asked for: unread, and no 100 Continue sent
  Receiving,       // the handler takes the body (or the tunnel's bytes) as they arrive
  Paused,          // the handler paused the body: it waits in the socket
  Complete,        // the whole request is in; its response is still to finish
  Discarding,      // the response ended first: the rest of the body is read and dropped
  Refused,         // input was refused (a bad head or body): what the client still sends is dropped
};
enum class RequestEvent : uint8_t {
  HeadWithoutBody,
  HeadWithBody,
  Resume,
  Pause,
  BodyEnd,
  ResponseEndedFirst,  // with the connection kept: the body's rest is dropped
  Upgrade,             // 101 sent
  NextRequest,
  Refuse,
};

enum class ResponseState : uint8_t {
  None,       // no head sent yet
  Streaming,  // head sent; body (if any) going out
  Tunnel,     // 101 sent: opaque bytes both ways
  Done,       // ended
};
enum class ResponseEvent : uint8_t { Head, Upgrade, End, NextRequest };

enum class ConnectionState : uint8_t {
  Open,
  ShuttingDown,  // graceful stop: no keep-alive is offered from now on
  Closing,       // no more input is processed; closes once output is flushed
  Lingering,     // FIN sent; reading and dropping input until the client's EOF or a deadline
  Closed,
};
enum class ConnectionEvent : uint8_t { Shutdown, Close, Linger, Closed };

// One line per arrow (or bundle of arrows) of the diagrams above.
constexpr std::optional<RequestState> next(RequestState from, RequestEvent event) {
  using S = RequestState;
  using E = RequestEvent;
  const bool unfinished = from == S::AwaitingResume || from == S::Receiving || from == S::Paused;
  if (event == E::HeadWithoutBody && from == S::Idle) return S::Complete;
  if (event == E::HeadWithBody && from == S::Idle) return S::AwaitingResume;
  if (event == E::Resume && (from == S::AwaitingResume || from == S::Paused)) return S::Receiving;
  if (event == E::Pause && from == S::Receiving) return S::Paused;
  if (event == E::BodyEnd && (from == S::Receiving || from == S::Paused)) return S::Complete;
  if (event == E::NextRequest && from == S::Complete) return S::Idle;
  if (event == E::ResponseEndedFirst && unfinished) return S::Discarding;
  if (event == E::BodyEnd && from == S::Discarding) return S::Complete;
  if (event == E::Upgrade && (unfinished || from == S::Complete)) return S::Receiving;
  if (event == E::Refuse) return S::Refused;
  return std::nullopt;
}

constexpr std::optional<ResponseState> next(ResponseState from, ResponseEvent event) {
  using S = ResponseState;
  using E = ResponseEvent;
  if (event == E::Head && from == S::None) return S::Streaming;
  if (event == E::Upgrade && from == S::None) return S::Tunnel;
  if (event == E::End && from != S::Done) return S::Done;
  if (event == E::NextRequest && (from == S::None || from == S::Done)) return S::None;
  return std::nullopt;
}

constexpr std::optional<ConnectionState> next(ConnectionState from, ConnectionEvent event) {
  using S = ConnectionState;
  using E = ConnectionEvent;
  const bool open = from == S::Open || from == S::ShuttingDown;
  if (event == E::Shutdown && from == S::Open) return S::ShuttingDown;
  if (event == E::Close && (open || from == S::Closing)) return S::Closing;
  if (event == E::Linger && from == S::Closing) return S::Lingering;
  if (event == E::Closed && from != S::Closed) return S::Closed;
  return std::nullopt;
}

// Applies `event` to `state` if the diagram has that arrow; returns whether it had.
template <typename State, typename Event>
constexpr bool advance(State& state, Event event) {
  std::optional<State> to = next(state, event);
  if (!to) return false;
  state = *to;
  return true;
}

// The client may still be sending bytes of its request: closing now could make the kernel
// reset the connection and destroy the response before the client reads it.
constexpr bool clientMayStillSend(RequestState s) {
  return s == RequestState::AwaitingResume || s == RequestState::Receiving ||
         s == RequestState::Paused || s == RequestState::Discarding || s == RequestState::Refused;
}

// Requests are read and responses written (Closing and later only flush and drop).
constexpr bool isOpen(ConnectionState s) {
  return s == ConnectionState::Open || s == ConnectionState::ShuttingDown;
}

}  // namespace gatehouse::http
