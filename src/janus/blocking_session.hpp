// A Janus session driven synchronously on a private context, for one-off work where blocking is
// right: a command-line call, an element's state change. Every wait runs the private context
// until the callback completes; requests are bounded by the session's timeouts, so none waits
// forever. Open, use and destroy it on one thread.
#pragma once

#include <memory>
#include <optional>

#include "janus/session.hpp"

namespace su::janus {

class BlockingSession {
 public:
  // Connects and creates the session. Keepalives and reconnection are off: a one-off session
  // lives for a few requests.
  static Result<std::unique_ptr<BlockingSession>> open(SessionOptions options);
  ~BlockingSession();  // destroys the Janus session, if it exists

  // Starts an asynchronous call, `start(done)`, and runs the private context until `done`.
  template <typename T, typename Start>
  Result<T> wait(Start start) {
    return context_.template wait<T>(std::move(start));
  }

  // Attaches a plugin client: StreamingClient, VideoRoomClient.
  template <typename Client>
  Result<std::unique_ptr<Client>> attach() {
    return wait<std::unique_ptr<Client>>([&](auto done) { Client::attach(*session_, done); });
  }

  Session& session() { return *session_; }

  BlockingSession(const BlockingSession&) = delete;
  BlockingSession& operator=(const BlockingSession&) = delete;

 private:
  BlockingSession() = default;
  BlockingContext context_;  // declared first: it outlives the session
  std::unique_ptr<Session> session_;
};

}  // namespace su::janus
