// A Janus of our own on loopback, for the demo and for tests: the config templates under
// data/janus filled in, in a private folder, and the Debian `janus` run in the foreground with
// its output in a log file there. Only the Streaming and VideoRoom plugins and the WebSockets
// transport load.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/gref.hpp"
#include "core/result.hpp"

namespace su::service {

struct JanusConfig {
  std::uint16_t wsPort = 8188;
  std::string wsIp = "127.0.0.1";  // the address its WebSocket API listens on
  std::uint16_t adminWsPort = 0;   // 0: a free one
  std::string adminSecret;         // the admin API's; empty: a random one
  std::string streamingAdminKey;   // empty: a random one
  std::string videoRoomAdminKey;   // empty: a random one
  std::string rtpPortRange = "20000-40000";
  int sessionTimeoutSeconds = 60;
  int debugLevel = 4;
};

enum class LocalJanusError { Config = 1, Launch, NotListening };
GQuark errorDomainOf(LocalJanusError);

// Where the data/janus templates are: $SU_DATA_DIR/janus, else the installed copy, else the
// source tree this was built from.
std::string janusTemplatesDir();

// Writes janus.jcfg and the plugin and transport configs for `config` into `dir`. Random
// secrets and free ports are filled into `config`.
Result<void> writeJanusConfig(const std::string& templatesDir, const std::string& dir,
                              JanusConfig& config);

class LocalJanus {
 public:
  // Starts Janus and waits until its WebSocket port accepts connections.
  static Result<std::unique_ptr<LocalJanus>> start(
      JanusConfig config, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Interrupts it (as Ctrl-C would), waits for it, and removes its folder.
  ~LocalJanus();

  std::string url() const;
  const JanusConfig& config() const noexcept { return config_; }
  const std::string& logPath() const noexcept { return logPath_; }
  std::string logTail(std::size_t bytes = 4000) const;
  bool running() const;

  LocalJanus(const LocalJanus&) = delete;
  LocalJanus& operator=(const LocalJanus&) = delete;

 private:
  LocalJanus() = default;

  JanusConfig config_;
  std::string dir_;
  std::string logPath_;
  GRef<GSubprocess> process_;
};

}  // namespace su::service
