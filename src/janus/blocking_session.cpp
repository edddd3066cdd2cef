#include "janus/blocking_session.hpp"

namespace su::janus {

BlockingSession::~BlockingSession() {
  if (session_ && session_->ready()) {
    static_cast<void>(wait<void>([&](auto done) { session_->destroy(done); }));
  }
  session_.reset();
}

Result<std::unique_ptr<BlockingSession>> BlockingSession::open(SessionOptions options) {
  std::unique_ptr<BlockingSession> blocking(new BlockingSession);
  options.keepaliveInterval = Milliseconds(0);
  options.reconnect = false;
  auto session = Session::create(blocking->context_.get(), std::move(options));
  if (!session) return session.error();
  blocking->session_ = std::move(session).value();
  auto connected = blocking->wait<void>([&](auto done) { blocking->session_->connect(done); });
  if (!connected) return connected.error();
  return blocking;
}

}  // namespace su::janus
