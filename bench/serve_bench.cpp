// serve-bench: the control plane of `streaming-utils serve`, driven over HTTP as its clients
// drive it, against a real Janus. See bench/README.md.
//
//   serve-bench [--starts 200] [--clients 1,8] [--relays 32] [--kinds gstreamer,ffmpeg]
//               [--requests 300] [--soak 0]
//
// 1. Starts per second: --starts frontend_owned broadcasts (a mountpoint each, no media) POSTed
//    by C clients at once (a thread and a libsoup session each); broadcasts per second and the
//    POST latency; then every one DELETEd and the time until the node lists none active and
//    Janus lists no mountpoint.
// 2. Request latency while relays run: --relays rtmp_external broadcasts of one relay kind (a
//    720p30 H.264 + AAC clip looped into nginx-rtmp; video passed through, audio transcoded),
//    then --requests sequential GETs of each endpoint, timed one by one. Once per relay kind in
//    the same run: with in-process relays the control loop shares its process with the media.
// 3. Soak (--soak MINUTES, off by default): with the --relays relays of each kind running, the API
//    polled (the list, one broadcast, /metrics, /healthz) and one more relay started and stopped
//    every few seconds around them for MINUTES; every 10 s the resident memory, threads and file
//    descriptors of serve and its children (the ffmpeg relays), and how many of the long-lived
//    broadcasts have media that is not fresh in Janus; at the end, what is left in Janus.
#include <glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "core/gref.hpp"
#include "support/janus_server.hpp"
#include "support/process.hpp"
#include "support/rtmp_server.hpp"
#include "support/service_process.hpp"

SU_GREF_GOBJECT(SoupSession);
SU_GREF_GOBJECT(SoupMessage);

namespace {

using namespace std::chrono_literals;

struct Settings {
  int starts = 200;
  std::vector<int> clients{1, 8};
  int relays = 32;
  std::vector<std::string> kinds{"gstreamer", "ffmpeg"};
  int requests = 300;
  int soakMinutes = 0;
};

bool parse(int argc, char** argv, Settings& settings) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--starts") {
      settings.starts = std::atoi(value.c_str());
    } else if (name == "--clients") {
      settings.clients.clear();
      for (const auto& part : su::bench::split(value))
        settings.clients.push_back(std::atoi(part.c_str()));
    } else if (name == "--relays") {
      settings.relays = std::atoi(value.c_str());
    } else if (name == "--kinds") {
      settings.kinds = su::bench::split(value);
    } else if (name == "--requests") {
      settings.requests = std::atoi(value.c_str());
    } else if (name == "--soak") {
      settings.soakMinutes = std::atoi(value.c_str());
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && settings.starts > 0 && settings.relays >= 0 && settings.requests > 0 &&
         std::all_of(settings.clients.begin(), settings.clients.end(),
                     [](int n) { return n > 0 && n <= 64; });
}

constexpr const char* kToken = "serve-bench-token";

// One HTTP client: its own session, used by one thread.
class Client {
 public:
  explicit Client(std::uint16_t port)
      : base_("http://127.0.0.1:" + std::to_string(port)),
        session_(su::GRef<SoupSession>::adopt(soup_session_new())) {}

  // The status, and the time it took in milliseconds.
  std::pair<int, double> send(const char* method, const std::string& path,
                              const std::string& body = "") {
    auto message = su::GRef<SoupMessage>::adopt(soup_message_new(method, (base_ + path).c_str()));
    soup_message_headers_append(soup_message_get_request_headers(message.get()), "Authorization",
                                (std::string("Bearer ") + kToken).c_str());
    if (!body.empty()) {
      GBytes* bytes = g_bytes_new(body.data(), body.size());
      soup_message_set_request_body_from_bytes(message.get(), "application/json", bytes);
      g_bytes_unref(bytes);
    }
    const std::int64_t start = g_get_monotonic_time();
    GError* error = nullptr;
    GBytes* reply = soup_session_send_and_read(session_.get(), message.get(), nullptr, &error);
    const double ms = static_cast<double>(g_get_monotonic_time() - start) / 1000.0;
    if (error) {
      last_ = error->message;  // no answer: why (shown for a failed start)
      g_error_free(error);
    }
    if (reply) {
      gsize size = 0;
      const auto* data = static_cast<const char*>(g_bytes_get_data(reply, &size));
      last_.assign(data ? data : "", size);
      g_bytes_unref(reply);
    }
    return {reply ? static_cast<int>(soup_message_get_status(message.get())) : 0, ms};
  }
  const std::string& lastBody() const { return last_; }

 private:
  std::string base_;
  su::GRef<SoupSession> session_;
  std::string last_;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// Active broadcasts as the node lists them.
std::size_t activeBroadcasts(Client& client) {
  client.send("GET", "/v1/broadcasts");
  const std::string& body = client.lastBody();
  return count(body, R"("state":"running")") + count(body, R"("state":"starting")") +
         count(body, R"("state":"stopping")") + count(body, R"("state":"retrying")");
}

std::size_t janusMountpoints(const su::test::JanusServer& janus) {
  auto listed = su::test::runArgv({SU_CLI_PATH, "mountpoint", "list", "--janus-url", janus.url()},
                                  std::nullopt);
  return count(listed.out, R"("id")");
}

struct StartRow {
  int clients = 0;
  double perSecond = 0;
  std::vector<double> postMs;
  int failed = 0;
  double stopAllMs = 0;
  std::size_t leftInJanus = 0;
};

StartRow startMany(std::uint16_t port, const su::test::JanusServer& janus, int starts, int clients,
                   int round) {
  StartRow row{.clients = clients};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<int> failures(clients, 0);
  const std::int64_t begin = g_get_monotonic_time();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Client client(port);
      for (int i = c; i < starts; i += clients) {
        const std::string id = "fo-" + std::to_string(round) + "-" + std::to_string(i);
        const std::string body = R"({"source_kind":"frontend_owned","broadcast_id":")" + id +
                                 R"(","mountpoint_spec":{"id":)" +
                                 std::to_string(700000 + round * 10000 + i) +
                                 R"(,"media":[{"type":"audio","codec":"opus"},)"
                                 R"({"type":"video","codec":"vp8"}]}})";
        auto [status, ms] = client.send("POST", "/v1/broadcasts", body);
        latencies[c].push_back(ms);
        if (status != 201 && ++failures[c] == 1) {
          std::fprintf(stderr, "  %s: %d %s\n", id.c_str(), status, client.lastBody().c_str());
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  row.perSecond = starts / (static_cast<double>(g_get_monotonic_time() - begin) / 1e6);
  for (int c = 0; c < clients; ++c) {
    row.postMs.insert(row.postMs.end(), latencies[c].begin(), latencies[c].end());
    row.failed += failures[c];
  }
  Client client(port);
  const std::int64_t stopBegin = g_get_monotonic_time();
  for (int i = 0; i < starts; ++i)
    client.send("DELETE", "/v1/broadcasts/fo-" + std::to_string(round) + "-" + std::to_string(i));
  while (activeBroadcasts(client) > 0)
    std::this_thread::sleep_for(5ms);
  row.stopAllMs = static_cast<double>(g_get_monotonic_time() - stopBegin) / 1000.0;
  row.leftInJanus = janusMountpoints(janus);
  return row;
}

struct GetRow {
  std::string kind;
  std::string path;
  std::vector<double> ms;
  int failed = 0;
};

// What a process tree holds: serve and its children (the ffmpeg relays), from /proc.
struct Usage {
  double rssMiB = 0;
  int threads = 0;
  int fds = 0;
};

Usage usageOf(int pid) {
  Usage usage;
  std::vector<int> tree{pid};
  if (GDir* proc = g_dir_open("/proc", 0, nullptr)) {
    while (const char* entry = g_dir_read_name(proc)) {
      const int child = std::atoi(entry);
      if (child <= 0) continue;
      // "pid (comm) state ppid ...": the parent is the second field after the command's ')'.
      const std::string stat = su::bench::readFile("/proc/" + std::string(entry) + "/stat");
      const auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      int parent = 0;
      if (std::sscanf(stat.c_str() + close + 1, " %*c %d", &parent) == 1 && parent == pid) {
        tree.push_back(child);
      }
    }
    g_dir_close(proc);
  }
  for (int member : tree) {
    const std::string dir = "/proc/" + std::to_string(member);
    std::istringstream status(su::bench::readFile(dir + "/status"));
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("VmRSS:")) usage.rssMiB += std::atof(line.c_str() + 6) / 1024;
      if (line.starts_with("Threads:")) usage.threads += std::atoi(line.c_str() + 8);
    }
    if (GDir* fds = g_dir_open((dir + "/fd").c_str(), 0, nullptr)) {
      while (g_dir_read_name(fds))
        ++usage.fds;
      g_dir_close(fds);
    }
  }
  return usage;
}

struct SoakSample {
  double minutes = 0;
  Usage usage;
  int stale = 0;  // long-lived broadcasts whose media is not fresh in Janus
};

struct SoakRow {
  std::string kind;
  std::vector<SoakSample> samples;
  int churned = 0;
  int churnFailed = 0;
  int requests = 0;
  int requestsFailed = 0;
};

std::string relayRequest(const std::string& id, const std::string& kind, const std::string& source);

// Phase 3 for one relay kind, its `relays` broadcasts running.
SoakRow soak(std::uint16_t port, int pid, const std::string& kind, int relays,
             const std::string& source, int minutes) {
  SoakRow row{.kind = kind};
  Client client(port);
  const auto started = std::chrono::steady_clock::now();
  const auto end = started + std::chrono::minutes(minutes);
  auto nextSample = started;
  while (std::chrono::steady_clock::now() < end) {
    const std::string churn = "churn-" + kind + "-" + std::to_string(row.churned++);
    row.churnFailed +=
        client.send("POST", "/v1/broadcasts", relayRequest(churn, kind, source)).first != 201;
    for (const std::string& path : {std::string("/v1/broadcasts"), "/v1/broadcasts/" + kind + "-0",
                                    std::string("/metrics"), std::string("/healthz")}) {
      ++row.requests;
      row.requestsFailed += client.send("GET", path).first != 200;
    }
    std::this_thread::sleep_for(2s);
    client.send("DELETE", "/v1/broadcasts/" + churn);
    if (std::chrono::steady_clock::now() < nextSample) continue;
    nextSample += 10s;
    SoakSample sample{
        .minutes =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / 60,
        .usage = usageOf(pid)};
    for (int i = 0; i < relays; ++i) {
      client.send("GET", "/v1/broadcasts/" + kind + "-" + std::to_string(i));
      sample.stale += client.lastBody().find(R"("fresh":false)") != std::string::npos;
    }
    std::fprintf(stderr, "  %.1f min: %.0f MiB, %d threads, %d fds, %d stale\n", sample.minutes,
                 sample.usage.rssMiB, sample.usage.threads, sample.usage.fds, sample.stale);
    row.samples.push_back(sample);
  }
  return row;
}

std::string relayRequest(const std::string& id, const std::string& kind,
                         const std::string& source) {
  return R"({"source_kind":"rtmp_external","relay_kind":")" + kind + R"(","broadcast_id":")" + id +
         R"(","srs":{"publish_url":")" + source +
         R"("},"mountpoint_spec":{"media":[{"type":"audio","codec":"opus"},)"
         R"({"type":"video","codec":"h264"}]}})";
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  if (!parse(argc, argv, settings)) {
    std::fprintf(stderr,
                 "usage: serve-bench [--starts N] [--clients 1,8] [--relays N] "
                 "[--kinds gstreamer,ffmpeg] [--requests N] [--soak MINUTES]\n");
    return 2;
  }
  auto dir = su::GUnique<char>::adopt(g_dir_make_tmp("su-serve-bench-XXXXXX", nullptr));
  const std::string clip = std::string(dir.get()) + "/clip.flv";
  const std::string tokenFile = std::string(dir.get()) + "/token";
  g_file_set_contents(tokenFile.c_str(), kToken, -1, nullptr);
  if (settings.relays > 0) {
    std::fprintf(stderr, "encoding a 20 s 720p30 H.264 + AAC clip...\n");
    if (!su::bench::makeClip(clip, 2)) return 1;
  }
  // Each mountpoint takes an RTP port per media from Janus's range: room for every start, as if
  // none were given back.
  const auto mountpoints =
      settings.starts * settings.clients.size() + settings.relays * settings.kinds.size();
  auto janus = su::test::JanusServer::start(
      {.debugLevel = 3, .rtpPorts = std::max(1000, 2 * static_cast<int>(mountpoints) + 100)});
  if (!janus) return 1;
  const std::uint16_t port = su::test::freeTcpPort();
  su::test::ServiceProcess serve("serve");
  // No admission limits: the bench asks for more than a node would take.
  if (!serve.start(
          {SU_CLI_PATH, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--janus-url",
           janus->url(), "--admin-key", janus->streamingAdminKey(), "--token-file", tokenFile,
           "--local-janus", "false", "--cpu-budget", "0", "--log-level", "1"},
          port)) {
    std::fprintf(stderr, "serve did not start: %s\n", serve.logTail().c_str());
    return 1;
  }
  Client probe(port);
  while (probe.send("GET", "/readyz").first != 200)
    std::this_thread::sleep_for(50ms);

  std::vector<StartRow> starts;
  for (std::size_t round = 0; round < settings.clients.size(); ++round) {
    std::fprintf(stderr, "%d frontend_owned starts, %d client(s)...\n", settings.starts,
                 settings.clients[round]);
    starts.push_back(
        startMany(port, *janus, settings.starts, settings.clients[round], static_cast<int>(round)));
  }

  std::vector<GetRow> gets;
  std::vector<SoakRow> soaks;
  if (settings.relays > 0) {
    auto rtmp = su::test::RtmpServer::start();
    if (!rtmp) return 1;
    const std::string source = rtmp->url("bench");
    auto publisher = su::test::RtmpPublisher::start(source, {.loopFile = clip});
    if (!publisher) return 1;
    std::this_thread::sleep_for(3s);
    for (const std::string& kind : settings.kinds) {
      std::fprintf(stderr, "%d %s relays running, %d GETs per endpoint...\n", settings.relays,
                   kind.c_str(), settings.requests);
      // Started in parallel (one client each), as a scheduler would place them.
      std::vector<std::thread> threads;
      std::vector<int> statuses(settings.relays, 0);
      for (int i = 0; i < settings.relays; ++i) {
        threads.emplace_back([&, i] {
          Client client(port);
          statuses[i] = client
                            .send("POST", "/v1/broadcasts",
                                  relayRequest(kind + "-" + std::to_string(i), kind, source))
                            .first;
          if (statuses[i] != 201) {
            const std::string& body = client.lastBody();
            const auto error = body.find(R"("error")");
            std::fprintf(stderr, "  %s-%d: %d %s\n", kind.c_str(), i, statuses[i],
                         body.substr(error == std::string::npos ? 0 : error, 300).c_str());
          }
        });
      }
      for (auto& thread : threads)
        thread.join();
      const int running = static_cast<int>(std::count(statuses.begin(), statuses.end(), 201));
      std::fprintf(stderr, "  %d of %d running\n", running, settings.relays);
      std::this_thread::sleep_for(3s);
      Client client(port);
      const std::vector<std::string> paths{"/healthz", "/v1/broadcasts",
                                           "/v1/broadcasts/" + kind + "-0", "/metrics"};
      for (const std::string& path : paths) {
        GetRow row{.kind = kind + " x " + std::to_string(running), .path = path};
        for (int r = 0; r < settings.requests; ++r) {
          auto [status, ms] = client.send("GET", path);
          row.ms.push_back(ms);
          row.failed += status != 200;
        }
        gets.push_back(row);
      }
      if (settings.soakMinutes > 0) {
        std::fprintf(stderr, "soaking %d minute(s) with %d %s relays...\n", settings.soakMinutes,
                     running, kind.c_str());
        soaks.push_back(
            soak(port, serve.pid(), kind, settings.relays, source, settings.soakMinutes));
      }
      for (int i = 0; i < settings.relays; ++i)
        client.send("DELETE", "/v1/broadcasts/" + kind + "-" + std::to_string(i));
      while (activeBroadcasts(client) > 0)
        std::this_thread::sleep_for(20ms);
    }
  }
  const auto drained = serve.interrupt(60s, SIGTERM);
  const std::size_t left = janusMountpoints(*janus);

  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  std::printf("command: %s\nmachine: %s\n\n", command.c_str(), su::bench::machine().c_str());
  std::printf(
      "| clients | frontend_owned starts/s | POST p50 ms | POST p99 ms | failed | stop all ms | "
      "left in Janus |\n| --- | --- | --- | --- | --- | --- | --- |\n");
  for (const StartRow& row : starts) {
    std::printf("| %d | %.0f | %.2f | %.2f | %d | %.0f | %zu |\n", row.clients, row.perSecond,
                percentile(row.postMs, 0.5), percentile(row.postMs, 0.99), row.failed,
                row.stopAllMs, row.leftInJanus);
  }
  if (!gets.empty()) {
    std::printf(
        "\n| relays | GET | p50 ms | p99 ms | max ms | failed |\n| --- | --- | --- | --- | --- | "
        "--- |\n");
    for (const GetRow& row : gets) {
      std::printf("| %s | %s | %.2f | %.2f | %.2f | %d |\n", row.kind.c_str(), row.path.c_str(),
                  percentile(row.ms, 0.5), percentile(row.ms, 0.99),
                  *std::max_element(row.ms.begin(), row.ms.end()), row.failed);
    }
  }
  for (const SoakRow& row : soaks) {
    // From the first sample after a minute (the churn's first relays warm up what stays: caches,
    // thread pools) to the last.
    const auto first = std::find_if(row.samples.begin(), row.samples.end(),
                                    [](const SoakSample& sample) { return sample.minutes >= 1; });
    if (first == row.samples.end()) continue;
    const SoakSample& last = row.samples.back();
    int worstStale = 0;
    for (const SoakSample& sample : row.samples)
      worstStale = std::max(worstStale, sample.stale);
    std::printf(
        "\nsoak, %s: %d churned broadcasts (%d refused), %d GETs (%d failed), worst stale %d\n"
        "| minute | RSS MiB | threads | fds | stale |\n| --- | --- | --- | --- | --- |\n",
        row.kind.c_str(), row.churned, row.churnFailed, row.requests, row.requestsFailed,
        worstStale);
    double nextMinute = 1;
    for (const SoakSample& sample : row.samples) {
      if (sample.minutes < nextMinute && &sample != &last) continue;
      nextMinute = std::floor(sample.minutes) + 1;
      std::printf("| %.1f | %.0f | %d | %d | %d |\n", sample.minutes, sample.usage.rssMiB,
                  sample.usage.threads, sample.usage.fds, sample.stale);
    }
    std::printf("growth from minute %.1f to %.1f: RSS %+.1f MiB, threads %+d, fds %+d\n",
                first->minutes, last.minutes, last.usage.rssMiB - first->usage.rssMiB,
                last.usage.threads - first->usage.threads, last.usage.fds - first->usage.fds);
  }
  std::printf("\nserve drained with status %d; mountpoints left in Janus: %zu\n",
              drained.value_or(-1), left);
  std::remove(clip.c_str());
  std::remove(tokenFile.c_str());
  g_rmdir(dir.get());
  return 0;
}
