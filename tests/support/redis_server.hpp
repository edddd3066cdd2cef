// A real redis-server on a free loopback port, in a private folder. With `persistent`, every
// write is on disk before Redis answers (appendonly, fsync always), so a killed and restarted
// server still has everything it acknowledged: what "nothing enqueued is lost" needs. With `tls`,
// it speaks only TLS (Redis's own, OpenSSL) with tests/data/tls/server.pem, and asks every client
// for a certificate of the test CA (tls-auth-clients).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "queue/redis_connection.hpp"
#include "support/service_process.hpp"

namespace su::test {

class RedisServer {
 public:
  struct Options {
    bool persistent = false;
    std::optional<std::string> password;  // requirepass
    bool tls = false;
    std::string host = "127.0.0.1";  // where clients reach it (bound too, with 127.0.0.1)
  };
  static std::unique_ptr<RedisServer> start(Options options);
  static std::unique_ptr<RedisServer> start() { return start(Options{}); }

  std::uint16_t port() const noexcept { return port_; }
  // redis://[:password@]127.0.0.1:PORT/0?stream=STREAM&group=GROUP (rediss://...&tls_ca=...
  // with the test CA and client pair, for a TLS server)
  std::string url(const std::string& stream, const std::string& group = "streaming-utils") const;
  // The server alone (the cluster's store): redis[s]://127.0.0.1:PORT/0[?tls_ca=...]
  std::string serverUrl() const;
  // Its address as the library takes it (with the test CA and client pair, for TLS).
  queue::RedisAddress address() const;
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
