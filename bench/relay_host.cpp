// relay-host: N relays from one RTMP URL into UDP ports, in this process (`gstreamer`, the
// PipelineRelay) or as one ffmpeg per relay (`ffmpeg`, the FfmpegRelay), until SIGTERM or
// SIGINT. The process whose cost relay-bench measures.
//
//   relay-host --kind gstreamer|ffmpeg --relays N --source rtmp://... --base-port P
//              [--work passthrough|audio|video] [--rtcp] [--outputs K]
//
// Relay i sends Opus (pt 111) to P + 4i and H.264 (pt 96, passed through) to P + 4i + 2 on
// 127.0.0.1 (`--work audio`, the default: the audio is transcoded). `--work passthrough`: the
// video alone, passed through. `--work video`: VP8 (pt 96) instead of H.264, so both kinds
// decode and encode the video too (vp8enc / libvpx with the relays' realtime settings).
// `--rtcp`: the video goes through an rtpbin session with sender reports to P + 4i + 3 (as an
// orchestrated in-process relay's video does; the ffmpeg relay ignores it). With
// --stagger-ms, relay i starts MS after relay i-1. Prints "start I US" when relay I starts and
// "running I US" when its media flows (US: CLOCK_MONOTONIC microseconds, as
// g_get_monotonic_time()), "ready" once all started. `--outputs K`: each relay feeds K
// destinations (a broadcast's outputs on K Janus servers: encoded once, sent K times); relay i's
// output o takes the ports of relay i*K + o.
#include <glib-unix.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/init.hpp"
#include "core/main_context.hpp"
#include "media/output.hpp"
#include "supervisor/ffmpeg_relay.hpp"
#include "supervisor/relay.hpp"

namespace {

using namespace su;

struct Options {
  std::string kind = "gstreamer";
  int relays = 1;
  std::string source;
  int basePort = 40000;
  int staggerMs = 0;           // between one relay's start and the next
  std::string work = "audio";  // passthrough, audio (transcoded) or video (and audio) transcoded
  bool rtcp = false;
  int outputs = 1;  // destinations per relay
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--rtcp") {
      options.rtcp = true;
      --i;  // a flag without a value
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string value = argv[i + 1];
    if (name == "--kind") {
      options.kind = value;
    } else if (name == "--relays") {
      options.relays = std::atoi(value.c_str());
    } else if (name == "--source") {
      options.source = value;
    } else if (name == "--base-port") {
      options.basePort = std::atoi(value.c_str());
    } else if (name == "--stagger-ms") {
      options.staggerMs = std::atoi(value.c_str());
    } else if (name == "--work") {
      options.work = value;
    } else if (name == "--outputs") {
      options.outputs = std::atoi(value.c_str());
    } else {
      return false;
    }
  }
  return (options.kind == "gstreamer" || options.kind == "ffmpeg") &&
         (options.work == "passthrough" || options.work == "audio" || options.work == "video") &&
         options.relays > 0 && options.outputs > 0 && !options.source.empty() &&
         options.basePort > 0 && options.basePort + 4 * options.relays * options.outputs < 65536;
}

std::vector<media::OutputTrack> destinationTracks(int relay, int basePort, const std::string& name,
                                                  const std::string& work, bool rtcp) {
  std::vector<media::OutputTrack> tracks{{.mid = "a",
                                          .type = model::MediaType::Audio,
                                          .codec = "opus",
                                          .payloadType = 111,
                                          .host = "127.0.0.1",
                                          .port = basePort + 4 * relay,
                                          .ssrc = media::stableSsrc(name, "a")},
                                         {.mid = "v",
                                          .type = model::MediaType::Video,
                                          .codec = "h264",
                                          .payloadType = 96,
                                          .host = "127.0.0.1",
                                          .port = basePort + 4 * relay + 2,
                                          .fmtp = "profile-level-id=42e01f;packetization-mode=1",
                                          .ssrc = media::stableSsrc(name, "v")}};
  if (rtcp) tracks.back().rtcpPort = basePort + 4 * relay + 3;
  if (work == "passthrough") tracks.erase(tracks.begin());
  if (work == "video") {
    tracks.back().codec = "vp8";
    tracks.back().fmtp.reset();
  }
  return tracks;
}

std::vector<media::OutputTrack> tracksFor(int relay, const Options& options,
                                          const std::string& name) {
  std::vector<media::OutputTrack> tracks;
  for (int output = 0; output < options.outputs; ++output) {
    for (media::OutputTrack& track :
         destinationTracks(relay * options.outputs + output, options.basePort, name, options.work,
                           options.rtcp)) {
      track.output = output;
      tracks.push_back(std::move(track));
    }
  }
  return tracks;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: relay-host --kind gstreamer|ffmpeg --relays N --source URL "
                 "[--base-port P] [--stagger-ms MS] [--work passthrough|audio|video] [--rtcp] "
                 "[--outputs K]\n");
    return 2;
  }
  if (auto initialized = init(); !initialized) {
    std::fprintf(stderr, "error: %s\n", initialized.error().message.c_str());
    return 1;
  }
  auto context = GRef<GMainContext>::adopt(g_main_context_new());
  g_main_context_push_thread_default(context.get());
  auto loop = GRef<GMainLoop>::adopt(g_main_loop_new(context.get(), FALSE));
  for (int signal : {SIGTERM, SIGINT}) {
    GSource* source = g_unix_signal_source_new(signal);
    g_source_set_callback(
        source,
        [](gpointer data) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop*>(data));
          return G_SOURCE_REMOVE;
        },
        loop.get(), nullptr);
    g_source_attach(source, context.get());
    g_source_unref(source);
  }

  std::vector<std::unique_ptr<supervisor::Relay>> relays;
  for (int i = 0; i < options.relays; ++i) {
    const std::string name = "bench-" + std::to_string(i);
    auto onState = [i](model::RunState state, const std::optional<Error>& error) {
      if (state == model::RunState::Running) {
        std::printf("running %d %lld\n", i, static_cast<long long>(g_get_monotonic_time()));
      }
      if (error) std::fprintf(stderr, "relay %d: %s\n", i, error->message.c_str());
      std::fflush(stdout);
    };
    auto tracks = tracksFor(i, options, name);
    auto relay = [&]() -> Result<std::unique_ptr<supervisor::Relay>> {
      if (options.kind == "gstreamer") {
        auto created = supervisor::PipelineRelay::create(
            context.get(), name, media::RtmpSource{options.source}, tracks, {}, onState);
        if (!created) return created.error();
        return std::unique_ptr<supervisor::Relay>(std::move(created).value());
      }
      auto created = supervisor::FfmpegRelay::create(context.get(), name, {.url = options.source},
                                                     tracks, {}, onState);
      if (!created) return created.error();
      return std::unique_ptr<supervisor::Relay>(std::move(created).value());
    }();
    if (!relay) {
      std::fprintf(stderr, "error: %s\n", relay.error().message.c_str());
      return 1;
    }
    relays.push_back(std::move(relay).value());
  }
  // Started one after the other, staggerMs apart, on the loop.
  std::size_t started = 0;
  auto startNext = [&] {
    std::printf("start %zu %lld\n", started, static_cast<long long>(g_get_monotonic_time()));
    relays[started++]->start();
    if (started == relays.size()) std::printf("ready\n");
    std::fflush(stdout);
    return started < relays.size();
  };
  Source starter = options.staggerMs > 0
                       ? Source::timeout(context.get(), Milliseconds(options.staggerMs), startNext)
                       : Source::idle(context.get(), [&] {
                           while (startNext()) {
                           }
                           return false;
                         });
  g_main_loop_run(loop.get());
  starter.cancel();

  int stopping = static_cast<int>(relays.size());
  for (auto& relay : relays)
    relay->stop([&] { --stopping; });
  while (stopping > 0)
    g_main_context_iteration(context.get(), TRUE);
  relays.clear();
  g_main_context_pop_thread_default(context.get());
  return 0;
}
