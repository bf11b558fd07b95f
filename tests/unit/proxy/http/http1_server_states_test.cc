// The Http1ServerConnection state machines: every (state, event) pair is checked against the
// arrows of the diagrams in http1_server_states.h, so an arrow added or lost shows up here.
#include "proxy/http/http1_server_states.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <utility>

namespace gatehouse::http {
namespace {

// Every pair of `State` x `Event` must lead where `arrows` says, and nowhere where it is silent.
template <typename State, typename Event>
void expectExactlyTheseArrows(int states, int events,
                              const std::map<std::pair<State, Event>, State>& arrows) {
  for (int s = 0; s < states; ++s) {
    for (int e = 0; e < events; ++e) {
      const auto state = static_cast<State>(s);
      const auto event = static_cast<Event>(e);
      auto it = arrows.find({state, event});
      std::optional<State> expected;
      if (it != arrows.end()) expected = it->second;
      EXPECT_EQ(next(state, event), expected) << "state " << s << ", event " << e;
    }
  }
}

TEST(Http1ServerStates, TheRequestMovesOnlyAlongItsDiagram) {
  using S = RequestState;
  using E = RequestEvent;
  std::map<std::pair<S, E>, S> arrows = {
      {{S::Idle, E::HeadWithoutBody}, S::Complete},
      {{S::Idle, E::HeadWithBody}, S::AwaitingResume},
      {{S::AwaitingResume, E::Resume}, S::Receiving},
      {{S::Receiving, E::Pause}, S::Paused},
      {{S::Paused, E::Resume}, S::Receiving},
      {{S::Receiving, E::BodyEnd}, S::Complete},
      {{S::Paused, E::BodyEnd}, S::Complete},
      {{S::Complete, E::NextRequest}, S::Idle},
      {{S::AwaitingResume, E::ResponseEndedFirst}, S::Discarding},
      {{S::Receiving, E::ResponseEndedFirst}, S::Discarding},
      {{S::Paused, E::ResponseEndedFirst}, S::Discarding},
      {{S::Discarding, E::BodyEnd}, S::Complete},
      {{S::AwaitingResume, E::Upgrade}, S::Receiving},
      {{S::Receiving, E::Upgrade}, S::Receiving},
      {{S::Paused, E::Upgrade}, S::Receiving},
      {{S::Complete, E::Upgrade}, S::Receiving},
  };
  constexpr int kStates = static_cast<int>(S::Refused) + 1;
  for (int s = 0; s < kStates; ++s)
    arrows[{static_cast<S>(s), E::Refuse}] = S::Refused;
  expectExactlyTheseArrows(kStates, static_cast<int>(E::Refuse) + 1, arrows);
}

TEST(Http1ServerStates, TheResponseMovesOnlyAlongItsDiagram) {
  using S = ResponseState;
  using E = ResponseEvent;
  expectExactlyTheseArrows<S, E>(static_cast<int>(S::Done) + 1,
                                 static_cast<int>(E::NextRequest) + 1,
                                 {
                                     {{S::None, E::Head}, S::Streaming},
                                     {{S::None, E::Upgrade}, S::Tunnel},
                                     {{S::None, E::End}, S::Done},
                                     {{S::Streaming, E::End}, S::Done},
                                     {{S::Tunnel, E::End}, S::Done},
                                     {{S::Done, E::NextRequest}, S::None},
                                     {{S::None, E::NextRequest}, S::None},
                                 });
}

TEST(Http1ServerStates, TheConnectionMovesOnlyAlongItsDiagram) {
  using S = ConnectionState;
  using E = ConnectionEvent;
  expectExactlyTheseArrows<S, E>(static_cast<int>(S::Closed) + 1, static_cast<int>(E::Closed) + 1,
                                 {
                                     {{S::Open, E::Shutdown}, S::ShuttingDown},
                                     {{S::Open, E::Close}, S::Closing},
                                     {{S::ShuttingDown, E::Close}, S::Closing},
                                     {{S::Closing, E::Close}, S::Closing},
                                     {{S::Closing, E::Linger}, S::Lingering},
                                     {{S::Open, E::Closed}, S::Closed},
                                     {{S::ShuttingDown, E::Closed}, S::Closed},
                                     {{S::Closing, E::Closed}, S::Closed},
                                     {{S::Lingering, E::Closed}, S::Closed},
                                 });
}

TEST(Http1ServerStates, AdvanceMovesAlongAnArrowAndIgnoresAnEventWithoutOne) {
  RequestState s = RequestState::Complete;
  EXPECT_FALSE(advance(s, RequestEvent::Pause)) << "a pause after the body is in does nothing";
  EXPECT_EQ(s, RequestState::Complete);
  EXPECT_TRUE(advance(s, RequestEvent::NextRequest));
  EXPECT_EQ(s, RequestState::Idle);

  ConnectionState c = ConnectionState::Lingering;
  EXPECT_FALSE(advance(c, ConnectionEvent::Close)) << "a lingering close is not restarted";
  EXPECT_EQ(c, ConnectionState::Lingering);
}

TEST(Http1ServerStates, TheClientMayStillSendWhileItsRequestIsUnfinishedOrRefused) {
  using S = RequestState;
  for (S s : {S::AwaitingResume, S::Receiving, S::Paused, S::Discarding, S::Refused})
    EXPECT_TRUE(clientMayStillSend(s));
  for (S s : {S::Idle, S::Complete})
    EXPECT_FALSE(clientMayStillSend(s));
}

TEST(Http1ServerStates, OnlyAnOpenOrShuttingDownConnectionTakesTraffic) {
  using S = ConnectionState;
  EXPECT_TRUE(isOpen(S::Open));
  EXPECT_TRUE(isOpen(S::ShuttingDown));
  for (S s : {S::Closing, S::Lingering, S::Closed})
    EXPECT_FALSE(isOpen(s));
}

// The machines are constexpr: a whole exchange can be walked at compile time.
static_assert([] {
  RequestState r = RequestState::Idle;
  return advance(r, RequestEvent::HeadWithBody) && advance(r, RequestEvent::Resume) &&
         advance(r, RequestEvent::BodyEnd) && advance(r, RequestEvent::NextRequest) &&
         r == RequestState::Idle;
}());

}  // namespace
}  // namespace gatehouse::http
