#include "app/watch_command.hpp"

#include <csignal>
#include <cstdio>

#include "app/arguments.hpp"
#include "app/command_output.hpp"
#include "app/exit_codes.hpp"
#include "app/janus_access.hpp"
#include "janus/streaming.hpp"
#include "janus/streaming_viewer.hpp"
#include "model/redaction.hpp"

namespace su::app {

namespace {

const std::string kUsage =
    std::string(
        "usage: streaming-utils watch MOUNTPOINT_ID [options]\n"
        "\n"
        "Watches a Janus Streaming mountpoint over WebRTC, as a browser would, decodes\n"
        "what arrives and prints every second the video's size and frame rate and the\n"
        "audio buffers decoded. Runs until Ctrl-C, or for --seconds.\n"
        "\n"
        "Options:\n") +
    kJanusOptionsHelp +
    "  --pin P           the mountpoint's pin, if it has one (default $SU_JANUS_PIN)\n"
    "  --seconds N       stop after N seconds (default: until Ctrl-C)\n"
    "  --display         show the video in a window and play the audio\n"
    "Exit status: 0 media was decoded, 1 nothing was (or Janus refused or could not be\n"
    "reached), 2 wrong arguments.\n";

const std::vector<OptionSpec> kOptions =
    withJanusOptions({{"pin"}, {"seconds"}, {"display", false}});

}  // namespace

int runWatch(int argc, char** argv) {
  auto arguments = Arguments::parse(argc, argv, kOptions);
  if (!arguments) return failUsage(arguments.error().message, kUsage.c_str());
  if (arguments->help()) {
    std::fputs(kUsage.c_str(), stdout);
    return kExitOk;
  }
  gint64 mountpoint = 0;
  if (arguments->positional().size() != 1 ||
      !g_ascii_string_to_signed(arguments->positional()[0].c_str(), 10, 1, G_MAXINT64, &mountpoint,
                                nullptr)) {
    return failUsage("watch takes one mountpoint id", kUsage.c_str());
  }
  gint64 seconds = 0;
  if (const auto text = arguments->value("seconds");
      text && !g_ascii_string_to_signed(text->c_str(), 10, 1, 86400, &seconds, nullptr)) {
    return failUsage("--seconds takes 1..86400", kUsage.c_str());
  }
  janus::SessionOptions options = janusSessionOptions(*arguments);
  options.reconnect = false;
  const std::string url = options.url;

  BlockingContext context;
  auto session = janus::Session::create(context.get(), options);
  if (!session) return fail(kExitFailure, session.error().message);
  auto connected = context.wait<void>([&](auto done) { (*session)->connect(done); });
  if (!connected) return fail(kExitFailure, connected.error().message);
  auto handle = context.wait<std::shared_ptr<janus::Handle>>(
      [&](auto done) { (*session)->attach(janus::kStreamingPlugin, done); });
  if (!handle) return fail(kExitFailure, handle.error().message);
  janus::StreamingViewer viewer(context.get(), *handle, {.display = arguments->has("display")});
  auto started = context.wait<void>(
      [&](auto done) { viewer.watch(mountpoint, done, arguments->value("pin", "SU_JANUS_PIN")); });
  if (!started) {
    return fail(kExitFailure, "cannot watch mountpoint " + std::to_string(mountpoint) + ": " +
                                  started.error().message);
  }
  std::printf("watching mountpoint %lld on %s\n", static_cast<long long>(mountpoint),
              model::redactText(url).c_str());
  std::fflush(stdout);

  bool stop = false;
  auto onSignal = [&] {
    stop = true;
    return true;
  };
  Source sigint = Source::unixSignal(context.get(), SIGINT, onSignal);
  Source sigterm = Source::unixSignal(context.get(), SIGTERM, onSignal);
  janus::ViewerStats last;
  gint64 elapsed = 0;
  Source report = Source::timeout(
      context.get(), std::chrono::seconds(1),
      [&] {
        const janus::ViewerStats now = viewer.stats();
        ++elapsed;
        std::string size =
            now.width ? std::to_string(*now.width) + "x" + std::to_string(now.height.value_or(0))
                      : "-";
        std::printf("%4llds  video %s %3llu fps (%llu frames)  audio %3llu buffers/s (%llu)\n",
                    static_cast<long long>(elapsed), size.c_str(),
                    static_cast<unsigned long long>(now.videoFrames - last.videoFrames),
                    static_cast<unsigned long long>(now.videoFrames),
                    static_cast<unsigned long long>(now.audioBuffers - last.audioBuffers),
                    static_cast<unsigned long long>(now.audioBuffers));
        std::fflush(stdout);
        last = now;
        if (seconds && elapsed >= seconds) stop = true;
        return true;
      },
      "su-watch-report");
  while (!stop)
    g_main_context_iteration(context.get(), TRUE);
  const janus::ViewerStats total = viewer.stats();
  if (total.videoFrames == 0 && total.audioBuffers == 0) {
    return fail(kExitFailure, "nothing was decoded from mountpoint " + std::to_string(mountpoint) +
                                  " (is media reaching it? `streaming-utils mountpoint info` shows "
                                  "its age_ms)");
  }
  return kExitOk;
}

}  // namespace su::app
