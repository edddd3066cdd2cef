// Real OBS Studio for the tests, headless: Xvfb on a free display, then `obs` with a private
// HOME whose config (data/obs/) enables obs-websocket on a free port with a password, a small
// canvas and x264 with a keyframe every 2 s. Killed with the object.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "support/service_process.hpp"

namespace su::test {

class ObsServer {
 public:
  struct Options {
    std::string password = "obs-test-password";
  };
  static std::unique_ptr<ObsServer> start(Options options);
  static std::unique_ptr<ObsServer> start() { return start(Options{}); }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const noexcept { return port_; }
  const std::string& password() const noexcept { return password_; }
  // From launching obs to its websocket accepting connections, for the last (re)start.
  std::chrono::milliseconds startupTime() const noexcept { return startupTime_; }

  // SIGKILL, as a crash would; restart() brings OBS back on the same port with the same config.
  void kill() { obs_.kill(); }
  bool restart() { return launchObs(); }
  bool running() const { return obs_.running(); }
  std::string logTail() const { return obs_.logTail(); }

 private:
  ObsServer() : xvfb_("xvfb"), obs_("obs") {}
  bool launchDisplay();
  bool launchObs();

  ServiceProcess xvfb_;
  ServiceProcess obs_;
  int display_ = 0;
  std::uint16_t port_ = 0;
  std::string password_;
  std::chrono::milliseconds startupTime_{0};
};

}  // namespace su::test
