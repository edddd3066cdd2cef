// A real redis-server on a free loopback port, in a private folder. With `persistent`, every
// write is on disk before Redis answers (appendonly, fsync always), so a killed and restarted
// server still has everything it acknowledged: what "nothing enqueued is lost" needs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "support/service_process.hpp"

namespace su::test {

class RedisServer {
 public:
  struct Options {
    bool persistent = false;
    std::optional<std::string> password;  // requirepass
  };
  static std::unique_ptr<RedisServer> start(Options options);
  static std::unique_ptr<RedisServer> start() { return start(Options{}); }

  std::uint16_t port() const noexcept { return port_; }
  // redis://[:password@]127.0.0.1:PORT/0?stream=STREAM&group=GROUP
  std::string url(const std::string& stream, const std::string& group = "streaming-utils") const;
  // SIGKILL, as a crash would.
  void kill() { process_.kill(); }
  bool restart() { return launch(); }
  std::string logTail() const { return process_.logTail(); }
  // redis-cli's answer to `args` (raw output), for checks from outside the library.
  std::string cli(const std::vector<std::string>& args) const;

 private:
  RedisServer() : process_("redis") {}
  bool launch();
  ServiceProcess process_;
  Options options_;
  std::uint16_t port_ = 0;
};

}  // namespace su::test
