// An RTSP camera for tests, on gst-rtsp-server: H.264 + Opus from test sources at
// rtsp://HOST:PORT/camera (127.0.0.1 unless set), optionally behind Basic authentication. Served from the
// test's context (never the global default).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/gref.hpp"
#include "core/main_context.hpp"

namespace su::test {

class RtspTestServer {
 public:
  struct Options {
    std::optional<std::string> user;
    std::optional<std::string> password;
    bool udpOnly = false;  // refuses RTP over the RTSP connection (TCP interleaved)
    std::string host = "127.0.0.1";  // where it listens (url())
  };
  static std::unique_ptr<RtspTestServer> start(GMainContext* context, Options options);
  std::string url() const;

 private:
  GRef<GObject> server_;
  Source source_;
  std::string host_;
  int port_ = 0;
};

}  // namespace su::test
