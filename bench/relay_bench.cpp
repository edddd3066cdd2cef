// relay-bench: the cost of N relays, in-process GStreamer pipelines against one ffmpeg per relay,
// in one run on one machine. See bench/README.md.
//
//   relay-bench [--relays 1,8,16,32] [--kinds gstreamer,ffmpeg] [--warmup 5] [--window 20]
//               [--gop 2] [--work audio] [--rtcp 0,1] [--repeat 1] [--together 0]
//
// `--together 1` runs the kinds (and RTCP variants) of each N at the same time, measured over
// the same window: this machine's speed drifts by ±15 % from one minute to the next, which
// sequential runs see as differences between the kinds.
// `--repeat R` runs every configuration R times, interleaved (so that a slow minute of the
// machine hits all kinds alike), and reports the run of median CPU, with every run's CPU below.
//
// Kind `fanout`: one in-process relay feeding N destinations (a broadcast with outputs on N Janus
// servers: the source read and transcoded once, teed to each), against N ffmpeg processes
// reading the same source (the original's way) — "N" then counts destinations.
//
// `--work` lists what the relays do (relay-host's --work): passthrough (the video alone, passed
// through), audio (the video passed through, AAC transcoded to Opus: an RTMP broadcast), video
// (both transcoded, H.264 to VP8). The figures of admission's cost table come from these.
// `--rtcp 0,1` runs the in-process relays without and with RTCP on the video (an rtpbin session,
// as orchestrated relays have); ffmpeg runs once, without.
//
// It starts nginx-rtmp on loopback and publishes a 720p30 H.264 + AAC clip to it, looped and
// copied (so that the publisher costs next to nothing), then for each N and kind runs
// `relay-host` (N relays of that kind), receives every relay's UDP here, and measures the
// relay-host process tree: CPU over the window, RSS and PSS at its end, threads, packets per
// second received, time from each relay's start to its first video packet, and stalls (a gap of
// more than a second in a relay's video during the window).
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "support/rtmp_server.hpp"
#include "support/service_process.hpp"

namespace {

using namespace std::chrono_literals;
using su::bench::median;
using su::bench::ratio;
using su::bench::readFile;
using su::bench::split;

// ---------------------------------------------------------------------------------------------
// Receiving: one socket per port, one thread polling them all.

struct PortCounters {
  std::atomic<std::uint64_t> packets{0};
  std::atomic<std::int64_t> firstUs{0};
  std::atomic<std::int64_t> lastUs{0};
  std::atomic<std::int64_t> maxGapUs{0};  // since the last resetGaps()
};

class Receiver {
 public:
  explicit Receiver(const std::vector<int>& ports) : counters_(ports.size()) {
    for (int port : ports) {
      const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      const int size = 4 << 20;
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      const int on = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<std::uint16_t>(port));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::fprintf(stderr, "cannot bind UDP port %d\n", port);
        std::exit(1);
      }
      fds_.push_back(fd);
    }
    thread_ = std::thread([this] { run(); });
  }
  ~Receiver() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_)
      close(fd);
  }
  const PortCounters& port(std::size_t index) const { return counters_[index]; }
  void resetGaps() {
    for (auto& counters : counters_)
      counters.maxGapUs = 0;
  }

 private:
  void run() {
    std::vector<pollfd> polled;
    for (int fd : fds_)
      polled.push_back({fd, POLLIN, 0});
    char buffer[2048];
    while (!stop_) {
      if (poll(polled.data(), polled.size(), 100) <= 0) continue;
      const std::int64_t now = g_get_monotonic_time();
      for (std::size_t i = 0; i < polled.size(); ++i) {
        if (!(polled[i].revents & POLLIN)) continue;
        PortCounters& counters = counters_[i];
        while (recv(fds_[i], buffer, sizeof buffer, 0) > 0) {
          counters.packets.fetch_add(1, std::memory_order_relaxed);
          std::int64_t none = 0;
          counters.firstUs.compare_exchange_strong(none, now);
          const std::int64_t last = counters.lastUs.exchange(now);
          if (last && now - last > counters.maxGapUs) counters.maxGapUs = now - last;
        }
      }
    }
  }

  std::vector<int> fds_;
  std::vector<PortCounters> counters_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// The process tree under a pid, from /proc.

std::vector<pid_t> processTree(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  GDir* dir = g_dir_open("/proc", 0, nullptr);
  while (const char* name = g_dir_read_name(dir)) {
    if (!g_ascii_isdigit(name[0])) continue;
    const std::string stat = readFile(std::string("/proc/") + name + "/stat");
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string state;
    pid_t parent = 0;
    fields >> state >> parent;
    children.emplace(parent, std::atoi(name));
  }
  g_dir_close(dir);
  std::vector<pid_t> tree{root};
  for (std::size_t i = 0; i < tree.size(); ++i) {
    auto [begin, end] = children.equal_range(tree[i]);
    for (auto it = begin; it != end; ++it)
      tree.push_back(it->second);
  }
  return tree;
}

struct TreeSample {
  double cpuSeconds = 0;
  double rssMb = 0;
  double pssMb = 0;
  long threads = 0;
  std::size_t processes = 0;
};

long fieldOf(const std::string& text, const std::string& key) {
  const std::size_t at = text.find("\n" + key + ":");
  return at == std::string::npos ? 0 : std::atol(text.c_str() + at + key.size() + 2);
}

// The tree under `root`, or only its descendants: the ffmpeg relays are measured without the
// relay-host that supervises them (a generous baseline: their supervisor costs them nothing).
TreeSample sampleTree(pid_t root, bool includeRoot) {
  TreeSample sample;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (pid_t pid : processTree(root)) {
    if (pid == root && !includeRoot) continue;
    const std::string base = "/proc/" + std::to_string(pid);
    const std::string stat = readFile(base + "/stat");
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> values{std::istream_iterator<std::string>(fields), {}};
    if (values.size() < 13) continue;
    sample.cpuSeconds += (std::atof(values[11].c_str()) + std::atof(values[12].c_str())) / ticks;
    const std::string rollup = "\n" + readFile(base + "/smaps_rollup");
    sample.rssMb += fieldOf(rollup, "Rss") / 1024.0;
    sample.pssMb += fieldOf(rollup, "Pss") / 1024.0;
    sample.threads += fieldOf("\n" + readFile(base + "/status"), "Threads");
    ++sample.processes;
  }
  return sample;
}

// ---------------------------------------------------------------------------------------------
// One run: N relays of one kind.

struct RunResult {
  std::string kind;
  std::string work;
  bool rtcp = false;
  int relays = 0;
  double cpuPercentPerRelay = 0;  // of one core
  double rssMbPerRelay = 0;
  double pssMbPerRelay = 0;
  double rssMbTotal = 0;
  double pssMbTotal = 0;
  long threads = 0;
  std::size_t processes = 0;
  double packetsPerSecondPerRelay = 0;
  double firstVideoMsMedian = 0;
  double firstVideoMsMax = 0;
  int missingVideo = 0;         // relays that never sent video
  int stalled = 0;              // relays with a video gap over 1 s in the window
  std::vector<double> cpuRuns;  // with --repeat: every run's CPU %/relay, in order
};

struct Settings {
  std::vector<int> relays{1, 8, 16, 32};
  std::vector<std::string> kinds{"gstreamer", "ffmpeg"};
  int warmupSeconds = 5;
  int windowSeconds = 20;
  int basePort = 41000;
  int gopSeconds = 2;  // the clip's keyframe interval: OBS's recommended setting
  std::vector<std::string> works{"audio"};
  std::vector<int> rtcp{0};
  int repeat = 1;  // runs of each configuration, interleaved; the median CPU's run is reported
  bool together = false;  // the kinds of one configuration run at once, in one window
};

// One relay-host with its receivers, from its launch to its end.
struct Run {
  RunResult result;
  bool fanout = false;
  std::vector<int> ports;
  std::unique_ptr<Receiver> receiver;
  su::GRef<GSubprocess> host;
  su::GRef<GObject> lines;  // its stdout, kept open: relay-host dies of SIGPIPE otherwise
  pid_t pid = 0;
  std::vector<std::int64_t> startUs;
  TreeSample before;
  std::uint64_t packetsBefore = 0;

  bool inProcess() const { return result.kind != "ffmpeg"; }
  std::uint64_t packets() const {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < ports.size(); ++i)
      total += receiver->port(i).packets;
    return total;
  }
  ~Run() {
    if (!host) return;
    g_subprocess_send_signal(host.get(), SIGTERM);
    g_subprocess_wait(host.get(), nullptr, nullptr);
  }
};

// Starts relay-host with N relays of `kind` sending to ports from `basePort` on, and waits for
// every relay's first video packet (or 30 s).
std::unique_ptr<Run> launch(const std::string& kind, const std::string& work, bool rtcp, int relays,
                            const std::string& source, int basePort) {
  auto run = std::make_unique<Run>();
  run->result = RunResult{.kind = kind, .work = work, .rtcp = rtcp, .relays = relays};
  for (int i = 0; i < relays; ++i) {
    run->ports.push_back(basePort + 4 * i);      // audio
    run->ports.push_back(basePort + 4 * i + 2);  // video
  }
  run->receiver = std::make_unique<Receiver>(run->ports);

  run->fanout = kind == "fanout";
  std::vector<std::string> args{SU_RELAY_HOST,
                                "--kind",
                                run->fanout ? "gstreamer" : kind,
                                "--relays",
                                run->fanout ? "1" : std::to_string(relays),
                                "--outputs",
                                run->fanout ? std::to_string(relays) : "1",
                                "--source",
                                source,
                                "--base-port",
                                std::to_string(basePort),
                                "--work",
                                work};
  if (rtcp) args.push_back("--rtcp");
  std::vector<const char*> raw;
  for (const auto& arg : args)
    raw.push_back(arg.c_str());
  raw.push_back(nullptr);
  su::GUnique<GError> error;
  run->host = su::GRef<GSubprocess>::adopt(
      g_subprocess_newv(raw.data(), G_SUBPROCESS_FLAGS_STDOUT_PIPE, error.outPtr()));
  if (!run->host) {
    std::fprintf(stderr, "cannot start relay-host: %s\n", error->message);
    return nullptr;
  }
  run->pid = std::atoi(g_subprocess_get_identifier(run->host.get()));
  run->lines = su::GRef<GObject>::adopt(
      G_OBJECT(g_data_input_stream_new(g_subprocess_get_stdout_pipe(run->host.get()))));
  run->startUs.assign(relays, 0);
  while (char* line = g_data_input_stream_read_line(G_DATA_INPUT_STREAM(run->lines.get()), nullptr,
                                                    nullptr, nullptr)) {
    const std::string text = line;
    g_free(line);
    if (text == "ready") break;
    int index = 0;
    long long us = 0;
    if (std::sscanf(text.c_str(), "start %d %lld", &index, &us) == 2 && index < relays) {
      run->startUs[index] = us;
    }
  }
  // One relay feeds all of a fan-out's destinations.
  if (run->fanout) std::fill(run->startUs.begin(), run->startUs.end(), run->startUs[0]);
  return run;
}

void awaitFirstVideo(Run& run) {
  const int relays = run.result.relays;
  const std::int64_t deadline = g_get_monotonic_time() + 30'000'000;
  auto allVideo = [&] {
    for (int i = 0; i < relays; ++i)
      if (!run.receiver->port(2 * i + 1).firstUs) return false;
    return true;
  };
  while (!allVideo() && g_get_monotonic_time() < deadline)
    std::this_thread::sleep_for(20ms);
  std::vector<double> firstVideoMs;
  for (int i = 0; i < relays; ++i) {
    const std::int64_t first = run.receiver->port(2 * i + 1).firstUs;
    if (first) {
      firstVideoMs.push_back((first - run.startUs[i]) / 1000.0);
    } else {
      ++run.result.missingVideo;
    }
  }
  run.result.firstVideoMsMedian = median(firstVideoMs);
  run.result.firstVideoMsMax =
      firstVideoMs.empty() ? 0 : *std::max_element(firstVideoMs.begin(), firstVideoMs.end());
}

// Warm-up, then one window over every run in `runs` at once: each one's CPU, memory, packets
// and stalls in the same seconds. The ffmpeg relays are measured without their relay-host.
void measure(const Settings& settings, std::vector<std::unique_ptr<Run>>& runs) {
  std::this_thread::sleep_for(std::chrono::seconds(settings.warmupSeconds));
  for (auto& run : runs) {
    run->before = sampleTree(run->pid, run->inProcess());
    run->packetsBefore = run->packets();
    run->receiver->resetGaps();
  }
  const std::int64_t windowStart = g_get_monotonic_time();
  std::this_thread::sleep_for(std::chrono::seconds(settings.windowSeconds));
  for (auto& run : runs) {
    const TreeSample after = sampleTree(run->pid, run->inProcess());
    const std::uint64_t packetsAfter = run->packets();
    const double window = (g_get_monotonic_time() - windowStart) / 1e6;
    RunResult& result = run->result;
    const int relays = result.relays;
    for (int i = 0; i < relays; ++i) {
      const auto& video = run->receiver->port(2 * i + 1);
      const bool silentAtEnd = g_get_monotonic_time() - video.lastUs > 1'000'000;
      if (video.maxGapUs > 1'000'000 || silentAtEnd) ++result.stalled;
    }
    result.cpuPercentPerRelay = (after.cpuSeconds - run->before.cpuSeconds) / window / relays * 100;
    result.rssMbTotal = after.rssMb;
    result.pssMbTotal = after.pssMb;
    result.rssMbPerRelay = after.rssMb / relays;
    result.pssMbPerRelay = after.pssMb / relays;
    result.threads = after.threads;
    result.processes = after.processes;
    result.packetsPerSecondPerRelay = (packetsAfter - run->packetsBefore) / window / relays;
  }
}

// ---------------------------------------------------------------------------------------------
// Options.

bool parse(int argc, char** argv, Settings& settings) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--relays") {
      settings.relays.clear();
      for (const auto& part : split(value))
        settings.relays.push_back(std::atoi(part.c_str()));
    } else if (name == "--kinds") {
      settings.kinds = split(value);
    } else if (name == "--warmup") {
      settings.warmupSeconds = std::atoi(value.c_str());
    } else if (name == "--window") {
      settings.windowSeconds = std::atoi(value.c_str());
    } else if (name == "--gop") {
      settings.gopSeconds = std::atoi(value.c_str());
    } else if (name == "--base-port") {
      settings.basePort = std::atoi(value.c_str());
    } else if (name == "--work") {
      settings.works = split(value);
    } else if (name == "--together") {
      settings.together = value == "1";
    } else if (name == "--repeat") {
      settings.repeat = std::atoi(value.c_str());
    } else if (name == "--rtcp") {
      settings.rtcp.clear();
      for (const auto& part : split(value))
        settings.rtcp.push_back(std::atoi(part.c_str()));
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && settings.windowSeconds > 0 && settings.gopSeconds > 0 &&
         settings.repeat > 0 && settings.warmupSeconds >= 0 &&
         std::all_of(settings.relays.begin(), settings.relays.end(),
                     [](int n) { return n > 0 && n <= 64; });
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  if (!parse(argc, argv, settings)) {
    std::fprintf(stderr,
                 "usage: relay-bench [--relays 1,8,16,32] [--kinds gstreamer,ffmpeg] "
                 "[--warmup S] [--window S] [--gop S] [--base-port P] "
                 "[--work passthrough,audio,video] [--rtcp 0,1] [--repeat R] [--together 0|1] "
                 "(kinds: gstreamer, ffmpeg, fanout)\n");
    return 2;
  }
  auto dir = su::GUnique<char>::adopt(g_dir_make_tmp("su-relay-bench-XXXXXX", nullptr));
  const std::string clip = std::string(dir.get()) + "/clip.flv";
  std::fprintf(stderr, "encoding a 20 s 720p30 H.264 + AAC clip...\n");
  if (!su::bench::makeClip(clip, settings.gopSeconds)) {
    std::fprintf(stderr, "ffmpeg could not encode the clip\n");
    return 1;
  }
  auto rtmp = su::test::RtmpServer::start();
  if (!rtmp) return 1;
  const std::string source = rtmp->url("bench");
  auto publisher = su::test::RtmpPublisher::start(source, {.loopFile = clip});
  if (!publisher) return 1;
  std::this_thread::sleep_for(3s);

  std::vector<RunResult> runs;
  auto report = [&](const RunResult& r) {
    std::fprintf(stderr,
                 "  %s%s x %d: cpu %.2f %%/relay, rss %.1f MB/relay, pss %.1f MB/relay, %ld "
                 "threads, %.0f pps/relay, first video %.0f ms (max %.0f), %d stalled, %d no "
                 "video\n",
                 r.kind.c_str(), r.rtcp ? " + rtcp" : "", r.relays, r.cpuPercentPerRelay,
                 r.rssMbPerRelay, r.pssMbPerRelay, r.threads, r.packetsPerSecondPerRelay,
                 r.firstVideoMsMedian, r.firstVideoMsMax, r.stalled, r.missingVideo);
    runs.push_back(r);
  };
  for (int round = 0; round < settings.repeat; ++round) {
    for (const std::string& work : settings.works) {
      for (int relays : settings.relays) {
        // One configuration's kinds (and RTCP variants), one after the other or all at once.
        std::vector<std::pair<std::string, bool>> variants;
        for (const std::string& kind : settings.kinds) {
          if (kind == "ffmpeg") {
            variants.emplace_back(kind, false);  // once, without: ffmpeg sends no RTCP of ours
            continue;
          }
          for (int rtcp : settings.rtcp)
            variants.emplace_back(kind, rtcp != 0);
        }
        std::vector<std::unique_ptr<Run>> together;
        int basePort = settings.basePort;
        for (const auto& [kind, rtcp] : variants) {
          std::fprintf(stderr, "round %d: %s x %d, %s%s...\n", round + 1, kind.c_str(), relays,
                       work.c_str(), rtcp ? ", rtcp" : "");
          auto run = launch(kind, work, rtcp, relays, source, basePort);
          if (!run) return 1;
          if (!settings.together) {
            awaitFirstVideo(*run);
            std::vector<std::unique_ptr<Run>> alone;
            alone.push_back(std::move(run));
            measure(settings, alone);
            report(alone.front()->result);
            continue;
          }
          together.push_back(std::move(run));
          basePort += 4 * relays;
        }
        if (together.empty()) continue;
        for (auto& run : together)
          awaitFirstVideo(*run);
        measure(settings, together);
        for (auto& run : together)
          report(run->result);
      }
    }
  }
  // Per configuration, the run of median CPU, with every run's CPU beside it.
  std::vector<RunResult> results;
  for (const RunResult& run : runs) {
    auto same = [&](const RunResult& other) {
      return other.kind == run.kind && other.work == run.work && other.rtcp == run.rtcp &&
             other.relays == run.relays;
    };
    if (std::any_of(results.begin(), results.end(), same)) continue;
    std::vector<RunResult> alike;
    std::copy_if(runs.begin(), runs.end(), std::back_inserter(alike), same);
    std::vector<double> cpu;
    for (const RunResult& r : alike)
      cpu.push_back(r.cpuPercentPerRelay);
    std::sort(alike.begin(), alike.end(), [](const RunResult& a, const RunResult& b) {
      return a.cpuPercentPerRelay < b.cpuPercentPerRelay;
    });
    RunResult chosen = alike[(alike.size() - 1) / 2];
    chosen.cpuRuns = cpu;
    results.push_back(chosen);
  }
  publisher.reset();
  rtmp.reset();
  std::remove(clip.c_str());
  rmdir(dir.get());

  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  std::printf(
      "command: %s\nmachine: %s\nsource: 720p30 H.264 baseline 3 Mbit/s, keyframe every %d s, "
      "AAC 128 kbit/s stereo\nwindow: %d s after %d s of warm-up, %d run(s) of each, "
      "interleaved (the run of median CPU shown)%s\n\n",
      command.c_str(), su::bench::machine().c_str(), settings.gopSeconds, settings.windowSeconds,
      settings.warmupSeconds, settings.repeat,
      settings.together ? "; the kinds of each N ran at once, in one window" : "");
  std::printf(
      "| work | N | kind | CPU %%/relay | RSS MB/relay | PSS MB/relay | threads | packets/s/relay "
      "| "
      "first video ms (median / max) | stalled |\n"
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const RunResult& r : results) {
    const auto baseline = std::find_if(results.begin(), results.end(), [&](const RunResult& b) {
      return b.kind == "ffmpeg" && b.relays == r.relays && b.work == r.work;
    });
    const bool compare = r.kind != "ffmpeg" && baseline != results.end();
    auto withRatio = [&](double value, double base, const char* format) {
      char text[64];
      std::snprintf(text, sizeof text, format, value);
      return compare ? std::string(text) + " (" + ratio(value, base) + ")" : std::string(text);
    };
    std::printf(
        "| %s | %d | %s | %s | %s | %s | %s | %s | %s / %.0f | %d%s |\n", r.work.c_str(), r.relays,
        (r.kind + (r.rtcp ? " + rtcp" : "")).c_str(),
        withRatio(r.cpuPercentPerRelay, compare ? baseline->cpuPercentPerRelay : 0, "%.2f").c_str(),
        withRatio(r.rssMbPerRelay, compare ? baseline->rssMbPerRelay : 0, "%.1f").c_str(),
        withRatio(r.pssMbPerRelay, compare ? baseline->pssMbPerRelay : 0, "%.1f").c_str(),
        withRatio(static_cast<double>(r.threads),
                  compare ? static_cast<double>(baseline->threads) : 0, "%.0f")
            .c_str(),
        withRatio(r.packetsPerSecondPerRelay, compare ? baseline->packetsPerSecondPerRelay : 0,
                  "%.0f")
            .c_str(),
        withRatio(r.firstVideoMsMedian, compare ? baseline->firstVideoMsMedian : 0, "%.0f").c_str(),
        r.firstVideoMsMax, r.stalled,
        r.missingVideo ? (" (" + std::to_string(r.missingVideo) + " no video)").c_str() : "");
  }
  if (settings.repeat > 1) {
    std::printf("\nCPU %%/relay of every run, in order:\n");
    for (const RunResult& r : results) {
      std::string each;
      for (double cpu : r.cpuRuns) {
        char text[16];
        std::snprintf(text, sizeof text, "%s%.2f", each.empty() ? "" : ", ", cpu);
        each += text;
      }
      std::printf("  %s N=%d %s%s: %s\n", r.work.c_str(), r.relays, r.kind.c_str(),
                  r.rtcp ? " + rtcp" : "", each.c_str());
    }
  }
  // Memory for each relay after the first: the in-process relay shares one process.
  std::printf(
      "\nMemory added per relay beyond the first (total at N minus total at N=1, / N-1):\n");
  for (const RunResult& r : results) {
    const auto single = std::find_if(results.begin(), results.end(), [&](const RunResult& b) {
      return b.kind == r.kind && b.work == r.work && b.rtcp == r.rtcp && b.relays == 1;
    });
    if (r.relays == 1 || single == results.end()) continue;
    std::printf("  %s %s%s N=%d: RSS %.1f MB, PSS %.1f MB\n", r.work.c_str(), r.kind.c_str(),
                r.rtcp ? " + rtcp" : "", r.relays,
                (r.rssMbTotal - single->rssMbTotal) / (r.relays - 1),
                (r.pssMbTotal - single->pssMbTotal) / (r.relays - 1));
  }
  return 0;
}
