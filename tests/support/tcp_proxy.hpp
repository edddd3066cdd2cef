// A TCP proxy on loopback in front of a real server, for what the server cannot be made to do
// on cue: a network cut. cut() drops every connection and refuses new ones (the server itself
// keeps running and keeps its state); resume() accepts again on the same port. It runs on the
// thread-default main context it was created on.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <memory>

#include "core/gref.hpp"

namespace su::test {

class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t targetPort);
  ~TcpProxy();

  std::uint16_t port() const noexcept;
  // Closes every proxied connection and stops listening: a connect is refused.
  void cut();
  // Listens again, on the same port.
  void resume();
  // Connections proxied so far.
  int accepted() const noexcept;

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  struct State;  // shared with pending GIO calls (tcp_proxy.cpp)

 private:
  std::shared_ptr<State> state_;
};

// A loopback port that listens and never accepts: the kernel completes a client's TCP connect,
// then nothing ever answers (a server hung after accept). For handshakes that must not block.
class SilentListener {
 public:
  SilentListener();
  std::uint16_t port() const noexcept { return port_; }

 private:
  GRef<GSocket> socket_;
  std::uint16_t port_ = 0;
};

}  // namespace su::test
