#include "support/rtmp_server.hpp"

#include "support/janus_server.hpp"

namespace su::test {

std::unique_ptr<RtmpServer> RtmpServer::start(Options options) {
  std::unique_ptr<RtmpServer> server(new RtmpServer);
  server->rtmpPort_ = freeTcpPort();
  server->host_ = options.host;
  server->process_.setReadyHost(options.host);
  if (!server->process_.writeConfig(dataPath("nginx/nginx-rtmp.conf.in"), "nginx.conf",
                                    {{"@PREFIX@", server->process_.dir()},
                                     {"@RTMP_HOST@", options.host},
                                     {"@RTMP_PORT@", std::to_string(server->rtmpPort_)},
                                     {"@HTTP_PORT@", std::to_string(freeTcpPort())},
                                     {"@WAIT@", options.waitForVideo ? "on" : "off"}}) ||
      !server->launch()) {
    return nullptr;
  }
  return server;
}

bool RtmpServer::launch() {
  const std::string& dir = process_.dir();
  return process_.start({"nginx", "-p", dir, "-c", dir + "/nginx.conf"}, rtmpPort_);
}

bool RtmpServer::restart() {
  process_.kill();
  return launch();
}

std::string RtmpServer::url(const std::string& key) const {
  return "rtmp://" + host_ + ":" + std::to_string(rtmpPort_) + "/live/" + key;
}

std::unique_ptr<RtmpPublisher> RtmpPublisher::start(const std::string& url, Options options) {
  std::unique_ptr<RtmpPublisher> publisher(new RtmpPublisher);
  if (!options.loopFile.empty()) {
    if (!publisher->process_.start({"ffmpeg", "-hide_banner", "-loglevel", "warning", "-re",
                                    "-stream_loop", "-1", "-i", options.loopFile, "-c", "copy",
                                    // Sent as read: no holding audio back until video comes.
                                    "-max_interleave_delta", "100000", "-f", "flv", url})) {
      return nullptr;
    }
    return publisher;
  }
  std::vector<std::string> argv{
      "ffmpeg",
      "-hide_banner",
      "-loglevel",
      "warning",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=" + options.size + ":rate=" + std::to_string(options.framerate)};
  if (options.audio) {
    argv.insert(argv.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"});
  }
  argv.insert(argv.end(),
              {"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v",
               "baseline", "-g", std::to_string(options.gopFrames), "-pix_fmt", "yuv420p"});
  if (options.audio) argv.insert(argv.end(), {"-c:a", "aac", "-b:a", "96k"});
  argv.insert(argv.end(), {"-f", "flv", url});
  if (!publisher->process_.start(argv)) return nullptr;
  return publisher;
}

}  // namespace su::test
