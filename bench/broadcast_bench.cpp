// broadcast-bench: how long a broadcast takes to go live and to be gone again, through the
// orchestrator, with the in-process relay against the ffmpeg relay, in one run. See
// bench/README.md.
//
//   broadcast-bench [--broadcasts 1,8] [--kinds gstreamer,ffmpeg] [--rounds 3] [--gop 2]
//                   [--freeze S] [--stall-ms MS]
//
// It starts Janus and nginx-rtmp on loopback, publishes a 720p30 H.264 + AAC clip to the ingest
// (looped, copied), then per round starts N rtmp_external broadcasts at once through
// service::BroadcastService — each creating its mountpoint, starting its relay and waiting for
// Janus's own word that media arrives (age_ms fresh on every poll for 600 ms) — and stops them
// all at once, checking that Janus lists no mountpoint afterwards. With --freeze, before the
// stop the publisher is frozen (SIGSTOP: its connection stays open, nothing is sent) for S
// seconds, then thawed: per broadcast, the time from the freeze until it is `retrying` (its
// relay restarted by the stall watchdog: --stall-ms, or the node's default) and from the thaw
// until it is `running` again.
#include <glib.h>
#include <glib/gstdio.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "core/init.hpp"
#include "service/broadcast_service.hpp"
#include "support/janus_server.hpp"
#include "support/rtmp_server.hpp"

namespace {

using namespace std::chrono_literals;

struct Settings {
  std::vector<int> broadcasts{1, 8};
  std::vector<std::string> kinds{"gstreamer", "ffmpeg"};
  int rounds = 3;
  int gopSeconds = 2;
  int freezeSeconds = 0;
  std::optional<int> stallMs;
};

struct Row {
  int broadcasts = 0;
  std::string kind;
  std::vector<double> startMs;  // each broadcast's request -> running
  std::vector<double> stopMs;   // each round's stop of all -> all stopped
  int failed = 0;
  int leftInJanus = 0;
  std::vector<double> stallMs;    // freeze -> retrying
  std::vector<double> recoverMs;  // thaw -> running
  int notRecovered = 0;
};

bool parse(int argc, char** argv, Settings& settings) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--broadcasts") {
      settings.broadcasts.clear();
      for (const auto& part : su::bench::split(value))
        settings.broadcasts.push_back(std::atoi(part.c_str()));
    } else if (name == "--kinds") {
      settings.kinds = su::bench::split(value);
    } else if (name == "--rounds") {
      settings.rounds = std::atoi(value.c_str());
    } else if (name == "--gop") {
      settings.gopSeconds = std::atoi(value.c_str());
    } else if (name == "--freeze") {
      settings.freezeSeconds = std::atoi(value.c_str());
    } else if (name == "--stall-ms") {
      settings.stallMs = std::atoi(value.c_str());
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && settings.rounds > 0 && settings.gopSeconds > 0 &&
         std::all_of(settings.broadcasts.begin(), settings.broadcasts.end(),
                     [](int n) { return n > 0 && n <= 32; });
}

std::string request(const std::string& id, const std::string& kind, const std::string& source,
                    const std::string& adminKey, std::optional<int> stallMs) {
  return R"({"source_kind":"rtmp_external","relay_kind":")" + kind + R"(","broadcast_id":")" + id +
         (stallMs ? R"(","stall_timeout_ms":)" + std::to_string(*stallMs) + "," : R"(",)") +
         R"("srs":{"publish_url":")" + source + R"("},"mountpoint_spec":{"admin_key":")" +
         adminKey +
         R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})";
}

double since(std::int64_t startUs) {
  return static_cast<double>(g_get_monotonic_time() - startUs) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  if (!parse(argc, argv, settings)) {
    std::fprintf(stderr,
                 "usage: broadcast-bench [--broadcasts 1,8] [--kinds gstreamer,ffmpeg] "
                 "[--rounds N] [--gop S] [--freeze S] [--stall-ms MS]\n");
    return 2;
  }
  if (auto initialised = su::init(); !initialised) return 1;
  auto dir = su::GUnique<char>::adopt(g_dir_make_tmp("su-broadcast-bench-XXXXXX", nullptr));
  const std::string clip = std::string(dir.get()) + "/clip.flv";
  std::fprintf(stderr, "encoding a 20 s 720p30 H.264 + AAC clip...\n");
  if (!su::bench::makeClip(clip, settings.gopSeconds)) return 1;
  auto janus = su::test::JanusServer::start();
  auto rtmp = su::test::RtmpServer::start();
  if (!janus || !rtmp) return 1;
  const std::string source = rtmp->url("bench");
  auto publisher = su::test::RtmpPublisher::start(source, {.loopFile = clip});
  if (!publisher) return 1;
  std::this_thread::sleep_for(3s);

  su::BlockingContext context;
  // When each broadcast last turned retrying and running (for --freeze).
  std::map<std::string, std::int64_t> retryingUs;
  std::map<std::string, std::int64_t> runningUs;
  su::orchestrator::Observer observer;
  observer.onState = [&](const std::string& id, su::model::RunState state) {
    if (state == su::model::RunState::Retrying) retryingUs[id] = g_get_monotonic_time();
    if (state == su::model::RunState::Running) runningUs[id] = g_get_monotonic_time();
  };
  su::service::BroadcastService service(context.get(), {.janus = {.url = janus->url()}}, observer);
  auto connected = context.wait<void>([&](auto done) { service.connect(done); });
  if (!connected) {
    std::fprintf(stderr, "%s\n", connected.error().message.c_str());
    return 1;
  }
  auto iterateUntil = [&](const std::function<bool()>& done) {
    while (!done())
      g_main_context_iteration(context.get(), TRUE);
  };

  // Iterates the context for up to `seconds`, or until `done`.
  auto iterateFor = [&](double seconds, const std::function<bool()>& done) {
    const std::int64_t until = g_get_monotonic_time() + static_cast<std::int64_t>(seconds * 1e6);
    while (!done() && g_get_monotonic_time() < until) {
      if (!g_main_context_iteration(context.get(), FALSE)) g_usleep(1000);
    }
  };
  auto freezeAndThaw = [&](Row& row, int count) {
    auto ids = [&] {
      std::vector<std::string> all;
      for (int i = 0; i < count; ++i)
        all.push_back(row.kind + "-" + std::to_string(i));
      return all;
    }();
    retryingUs.clear();
    publisher->freeze();
    const std::int64_t frozenUs = g_get_monotonic_time();
    iterateFor(settings.freezeSeconds, [] { return false; });
    runningUs.clear();
    publisher->thaw();
    const std::int64_t thawedUs = g_get_monotonic_time();
    iterateFor(30, [&] {
      return std::all_of(ids.begin(), ids.end(),
                         [&](const auto& id) { return runningUs.contains(id); });
    });
    for (const std::string& id : ids) {
      if (retryingUs.contains(id)) row.stallMs.push_back((retryingUs[id] - frozenUs) / 1000.0);
      if (runningUs.contains(id)) {
        row.recoverMs.push_back((runningUs[id] - thawedUs) / 1000.0);
      } else {
        ++row.notRecovered;
      }
    }
  };

  std::vector<Row> rows;
  for (int count : settings.broadcasts) {
    for (const std::string& kind : settings.kinds) {
      Row row{.broadcasts = count, .kind = kind};
      for (int round = 0; round < settings.rounds; ++round) {
        std::fprintf(stderr, "%s x %d, round %d...\n", kind.c_str(), count, round + 1);
        int answered = 0;
        for (int i = 0; i < count; ++i) {
          const std::int64_t startUs = g_get_monotonic_time();
          service.start(request(kind + "-" + std::to_string(i), kind, source,
                                janus->streamingAdminKey(), settings.stallMs),
                        [&, startUs](su::Result<su::model::BroadcastResult> result) {
                          ++answered;
                          if (result && result->state == su::model::RunState::Running) {
                            row.startMs.push_back(since(startUs));
                          } else {
                            ++row.failed;
                            std::fprintf(
                                stderr, "  failed: %s\n",
                                result ? (result->error ? result->error->message.c_str() : "?")
                                       : result.error().message.c_str());
                          }
                        });
        }
        iterateUntil([&] { return answered == count; });
        if (settings.freezeSeconds > 0) freezeAndThaw(row, count);
        const std::int64_t stopUs = g_get_monotonic_time();
        bool stopped = false;
        service.stopAll([&] { stopped = true; });
        iterateUntil([&] { return stopped; });
        row.stopMs.push_back(since(stopUs));
        auto listed = context.wait<std::vector<su::janus::MountPointInfo>>(
            [&](auto done) { service.janus()->streaming().list(done); });
        row.leftInJanus += listed ? static_cast<int>(listed->size()) : -1;
      }
      rows.push_back(row);
    }
  }

  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  std::printf(
      "command: %s\nmachine: %s\nsource: RTMP, 720p30 H.264 baseline 3 Mbit/s, keyframe every %d "
      "s, AAC 128 kbit/s stereo (to Opus); %d rounds\n\n",
      command.c_str(), su::bench::machine().c_str(), settings.gopSeconds, settings.rounds);
  std::printf(
      "| N at once | relay | start → running ms (median / max) | stop all ms (median) | failed | "
      "left in Janus |\n| --- | --- | --- | --- | --- | --- |\n");
  for (const Row& row : rows) {
    const auto baseline = std::find_if(rows.begin(), rows.end(), [&](const Row& b) {
      return b.kind == "ffmpeg" && b.broadcasts == row.broadcasts;
    });
    const bool compare = row.kind != "ffmpeg" && baseline != rows.end();
    const double start = su::bench::median(row.startMs);
    const double stop = su::bench::median(row.stopMs);
    const double maxStart =
        row.startMs.empty() ? 0 : *std::max_element(row.startMs.begin(), row.startMs.end());
    std::printf(
        "| %d | %s | %.0f%s / %.0f | %.0f%s | %d | %d |\n", row.broadcasts, row.kind.c_str(), start,
        compare
            ? (" (" + su::bench::ratio(start, su::bench::median(baseline->startMs)) + ")").c_str()
            : "",
        maxStart, stop,
        compare ? (" (" + su::bench::ratio(stop, su::bench::median(baseline->stopMs)) + ")").c_str()
                : "",
        row.failed, row.leftInJanus);
  }
  if (settings.freezeSeconds > 0) {
    std::printf(
        "\nPublisher frozen for %d s, then thawed (stall timeout: %s):\n\n"
        "| N at once | relay | freeze → retrying ms (median / max) | thaw → running ms (median / "
        "max) | not back |\n| --- | --- | --- | --- | --- |\n",
        settings.freezeSeconds,
        settings.stallMs ? (std::to_string(*settings.stallMs) + " ms").c_str() : "the default");
    auto maxOf = [](const std::vector<double>& values) {
      return values.empty() ? 0.0 : *std::max_element(values.begin(), values.end());
    };
    for (const Row& row : rows) {
      std::printf("| %d | %s | %.0f / %.0f | %.0f / %.0f | %d |\n", row.broadcasts,
                  row.kind.c_str(), su::bench::median(row.stallMs), maxOf(row.stallMs),
                  su::bench::median(row.recoverMs), maxOf(row.recoverMs), row.notRecovered);
    }
  }
  publisher.reset();
  rtmp.reset();
  std::remove(clip.c_str());
  g_rmdir(dir.get());
  return 0;
}
