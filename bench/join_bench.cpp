// join-bench: how long a WebRTC viewer joining mid-stream waits for its first decoded frame when
// the source's keyframes are far apart (OBS's default is 8 s or more). See bench/README.md.
//
//   join-bench [--joins 5] [--gop 10]
//
// It starts Janus and nginx-rtmp on loopback, publishes a 640x360 H.264 + AAC test pattern with a
// keyframe every --gop seconds, and runs one rtmp_external broadcast per way of relaying it:
//   ffmpeg          the original's way: one ffmpeg, video copied
//   passthrough     in-process, video passed through
//   buffer_keyframe in-process, passed through, and Janus keeps the latest keyframe for new
//                   viewers (the media's buffer_keyframe, Janus's bufferkf)
//   transcode       in-process, H.264 to VP8 with keyframes --gop seconds apart too; a viewer's
//                   keyframe request reaches the encoder over RTCP
// Then, per broadcast, --joins viewers one after the other, each after a random pause of up to
// --gop seconds: the time from its `watch` to its first decoded video frame.
#include <glib.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "core/init.hpp"
#include "janus/streaming.hpp"
#include "janus/streaming_viewer.hpp"
#include "service/broadcast_service.hpp"
#include "support/janus_server.hpp"
#include "support/rtmp_server.hpp"

namespace {

using namespace std::chrono_literals;

struct Mode {
  std::string name;
  std::string relayKind;
  std::string videoMedia;  // the mountpoint's video media
};

std::string request(const Mode& mode, int index, const std::string& source,
                    const std::string& adminKey) {
  return R"({"source_kind":"rtmp_external","relay_kind":")" + mode.relayKind +
         R"(","broadcast_id":")" + mode.name + R"(","srs":{"publish_url":")" + source +
         R"("},"mountpoint_spec":{"id":)" + std::to_string(9700 + index) + R"(,"admin_key":")" +
         adminKey + R"(","media":[{"type":"audio","codec":"opus"},)" + mode.videoMedia + "]}}";
}

}  // namespace

int main(int argc, char** argv) {
  int joins = 5;
  int gop = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--joins") {
      joins = std::atoi(argv[i + 1]);
    } else if (name == "--gop") {
      gop = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: join-bench [--joins N] [--gop S]\n");
      return 2;
    }
  }
  if (argc % 2 == 0 || joins < 1 || gop < 1) {
    std::fprintf(stderr, "usage: join-bench [--joins N] [--gop S]\n");
    return 2;
  }
  if (auto initialised = su::init(); !initialised) return 1;
  auto janus = su::test::JanusServer::start();
  auto rtmp = su::test::RtmpServer::start();
  if (!janus || !rtmp) return 1;
  const std::string source = rtmp->url("long-gop");
  auto publisher = su::test::RtmpPublisher::start(source, {.gopFrames = 30 * gop});
  if (!publisher) return 1;
  std::this_thread::sleep_for(2s);

  su::BlockingContext context;
  su::service::ServiceOptions options{.janus = {.url = janus->url()}};
  options.relay.video.keyframeIntervalSeconds = gop;  // the transcode keeps the source's spacing
  su::service::BroadcastService service(context.get(), options);
  if (auto connected = context.wait<void>([&](auto done) { service.connect(done); }); !connected) {
    std::fprintf(stderr, "%s\n", connected.error().message.c_str());
    return 1;
  }
  const std::string h264 = R"({"type":"video","codec":"h264"})";
  const std::vector<Mode> modes{
      {"ffmpeg", "ffmpeg", h264},
      {"passthrough", "gstreamer", h264},
      {"buffer_keyframe", "gstreamer", R"({"type":"video","codec":"h264","buffer_keyframe":true})"},
      {"transcode", "gstreamer", R"({"type":"video","codec":"vp8"})"},
  };
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pauseMs(0, gop * 1000);
  std::vector<std::vector<double>> waits(modes.size());
  std::vector<int> missed(modes.size(), 0);
  for (std::size_t m = 0; m < modes.size(); ++m) {
    const Mode& mode = modes[m];
    std::fprintf(stderr, "%s...\n", mode.name.c_str());
    auto started = context.wait<su::model::BroadcastResult>([&](auto done) {
      service.start(request(mode, static_cast<int>(m), source, janus->streamingAdminKey()), done);
    });
    if (!started || started->state != su::model::RunState::Running) {
      std::fprintf(stderr, "  did not run: %s\n",
                   started ? (started->error ? started->error->message.c_str() : "?")
                           : started.error().message.c_str());
      return 1;
    }
    for (int j = 0; j < joins; ++j) {
      su::Source pause;
      (void)context.wait<bool>([&](auto done) {
        pause =
            su::Source::timeout(context.get(), std::chrono::milliseconds(pauseMs(random)), [done] {
              done(true);
              return false;
            });
      });
      auto handle = context.wait<std::shared_ptr<su::janus::Handle>>(
          [&](auto done) { service.janus()->session().attach(su::janus::kStreamingPlugin, done); });
      if (!handle) return 1;
      su::janus::StreamingViewer viewer(context.get(), *handle);
      const std::int64_t joinedUs = g_get_monotonic_time();
      if (auto watching =
              context.wait<void>([&](auto done) { viewer.watch(started->mountpoint->id, done); });
          !watching) {
        std::fprintf(stderr, "  watch: %s\n", watching.error().message.c_str());
        return 1;
      }
      const std::int64_t deadline = joinedUs + (gop + 10) * 1'000'000LL;
      while (viewer.videoFrames() == 0 && g_get_monotonic_time() < deadline) {
        if (!g_main_context_iteration(context.get(), FALSE)) g_usleep(1000);
      }
      if (viewer.videoFrames() > 0) {
        waits[m].push_back((g_get_monotonic_time() - joinedUs) / 1000.0);
      } else {
        ++missed[m];
      }
      std::fprintf(stderr, "  join %d: %s\n", j + 1,
                   viewer.videoFrames() > 0
                       ? (std::to_string(static_cast<int>(waits[m].back())) + " ms").c_str()
                       : "no frame");
    }
    (void)context.wait<su::model::BroadcastResult>(
        [&](auto done) { service.stop(mode.name, done); });
  }

  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  std::printf(
      "command: %s\nmachine: %s\nsource: RTMP, 640x360 H.264 baseline, a keyframe every %d s, "
      "AAC\n\n| relay | join → first frame ms (median / max) | joins | no frame |\n"
      "| --- | --- | --- | --- |\n",
      command.c_str(), su::bench::machine().c_str(), gop);
  for (std::size_t m = 0; m < modes.size(); ++m) {
    const double worst = waits[m].empty() ? 0 : *std::max_element(waits[m].begin(), waits[m].end());
    std::printf("| %s | %.0f / %.0f | %d | %d |\n", modes[m].name.c_str(),
                su::bench::median(waits[m]), worst, joins, missed[m]);
  }
  return 0;
}
