// An RTSP camera for tests, on gst-rtsp-server: H.264 + Opus from test sources at
// rtsp://127.0.0.1:PORT/camera, optionally behind Basic authentication. Served from the
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
  };
  static std::unique_ptr<RtspTestServer> start(GMainContext* context, Options options);
  std::string url() const;

 private:
  GRef<GObject> server_;
  Source source_;
  int port_ = 0;
};

}  // namespace su::test
