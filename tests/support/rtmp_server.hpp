// nginx with the RTMP module on loopback (data/nginx/nginx-rtmp.conf.in), and an `ffmpeg`
// publisher sending a test stream to it: the RTMP side of the relay tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "support/service_process.hpp"

namespace su::test {

class RtmpServer {
 public:
  struct Options {
    // wait_key and wait_video: a new player starts at a keyframe, with video. Off, it gets
    // audio at once and video when it comes.
    bool waitForVideo = true;
    std::string host = "127.0.0.1";  // where it listens (url())
  };
  static std::unique_ptr<RtmpServer> start(Options options);
  static std::unique_ptr<RtmpServer> start() { return start(Options{}); }
  // rtmp://HOST:PORT/live/KEY
  std::string url(const std::string& key) const;
  std::uint16_t port() const noexcept { return rtmpPort_; }
  void kill() { process_.kill(); }
  bool restart();
  std::string logTail() const { return process_.logTail(); }

 private:
  RtmpServer() : process_("nginx-rtmp") {}
  bool launch();
  ServiceProcess process_;
  std::string host_;
  std::uint16_t rtmpPort_ = 0;
};

// `ffmpeg` publishing a test pattern (H.264 baseline, AAC) to an RTMP URL, as OBS or an encoder
// would; killed with the object.
class RtmpPublisher {
 public:
  struct Options {
    std::string size = "640x360";
    int framerate = 30;
    int gopFrames = 30;
    bool audio = true;
    // Instead of encoding a pattern: this file (FLV-compatible H.264 + AAC), looped, copied.
    std::string loopFile;
  };
  static std::unique_ptr<RtmpPublisher> start(const std::string& url, Options options);
  static std::unique_ptr<RtmpPublisher> start(const std::string& url) {
    return start(url, Options{});
  }
  bool running() const { return process_.running(); }
  std::string logTail() const { return process_.logTail(); }
  // SIGSTOP: a frozen encoder — its connection stays open, nothing more is sent. thaw() (SIGCONT)
  // lets it go on.
  void freeze() { process_.signal(SIGSTOP); }
  void thaw() { process_.signal(SIGCONT); }

 private:
  RtmpPublisher() : process_("ffmpeg-publisher") {}
  ServiceProcess process_;
};

}  // namespace su::test
