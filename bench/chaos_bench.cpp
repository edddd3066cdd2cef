// chaos: a cluster of `serve` nodes kept busy under seeded random faults for a long while, then
// checked against what must always hold. See bench/README.md, "chaos".
//
//   sudo build/bench/chaos [--nodes 3] [--broadcasts 24] [--minutes 30] [--seed N]
//                          [--every-min 20] [--every-max 40] [--lease-ms 3000]
//
// The nodes are test hosts of their own (network namespaces on a bridge, tests/support/
// test_network.hpp) sharing one Redis (their job queue and cluster store) and one Janus on the
// bridge. The broadcasts are of three kinds: a test pattern, an RTMP stream (one ffmpeg
// publisher into nginx-rtmp, played by every RTMP broadcast) and an RTSP camera (one shared
// gst-rtsp-server mount, on a thread of its own), started and stopped through the queue. Every
// 20–40 s one fault: a node SIGKILLed and started again, a node frozen (SIGSTOP, sometimes past its
// lease) and thawed, Janus restarted, Redis restarted, a node's network cut (Redis and Janus out of
// reach) and mended, the RTMP publisher killed and started again; from time to time a broadcast
// stopped and a new one started. Health is sampled through the fault and after: every broadcast
// running on exactly one live owner with fresh media in Janus (every media under 1 s old). A
// fault's outage is from its injection until health came back for good (0 when no sample saw it
// lost); its recovery is from its repair until healthy.
//
// At the end: every broadcast runs on exactly one owner, Janus holds exactly its mountpoints
// (one per broadcast, nothing of the stopped ones), the queue has no job left and no dead letter.
// Exit 1 (with the seed, to replay it) when one does not hold.
#include <glib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "cluster/cluster_key.hpp"
#include "core/init.hpp"
#include "core/main_context.hpp"
#include "json/parse.hpp"
#include "json/reader.hpp"
#include "support/janus_server.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/rtmp_server.hpp"
#include "support/rtsp_server.hpp"
#include "support/service_process.hpp"
#include "support/test_network.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using su::test::ProcessRun;

struct Settings {
  int nodes = 3;
  int broadcasts = 24;
  int minutes = 30;
  std::uint32_t seed = std::random_device{}();
  int everyMin = 20;
  int everyMax = 40;
  int leaseMs = 3000;
};

bool parse(int argc, char** argv, Settings& settings) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const long value = std::strtol(argv[i + 1], nullptr, 10);
    if (name == "--nodes") {
      settings.nodes = static_cast<int>(value);
    } else if (name == "--broadcasts") {
      settings.broadcasts = static_cast<int>(value);
    } else if (name == "--minutes") {
      settings.minutes = static_cast<int>(value);
    } else if (name == "--seed") {
      settings.seed = static_cast<std::uint32_t>(value);
    } else if (name == "--every-min") {
      settings.everyMin = static_cast<int>(value);
    } else if (name == "--every-max") {
      settings.everyMax = static_cast<int>(value);
    } else if (name == "--lease-ms") {
      settings.leaseMs = static_cast<int>(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && settings.nodes >= 2 && settings.broadcasts > 0 && settings.minutes >= 0 &&
         settings.everyMin > 0 && settings.everyMax >= settings.everyMin && settings.leaseMs >= 600;
}

enum class Fault { KillNode, FreezeNode, RestartJanus, RestartRedis, CutNode, KillPublisher };
constexpr Fault kFaults[] = {Fault::KillNode,     Fault::FreezeNode, Fault::RestartJanus,
                             Fault::RestartRedis, Fault::CutNode,    Fault::KillPublisher};

const char* nameOf(Fault fault) {
  switch (fault) {
    case Fault::KillNode:
      return "node SIGKILLed, started again";
    case Fault::FreezeNode:
      return "node frozen (SIGSTOP), thawed";
    case Fault::RestartJanus:
      return "Janus restarted";
    case Fault::RestartRedis:
      return "Redis restarted";
    case Fault::CutNode:
      return "node's network cut, mended";
    case Fault::KillPublisher:
      return "RTMP publisher killed, started again";
  }
  return "?";
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(
                                                p * static_cast<double>(values.size() - 1) + 0.5))];
}

// The RTSP camera, served on a context and thread of its own: the bench's context also waits on
// the command-line calls it samples with, and a camera served only between them stalls its
// clients. RTP over UDP only: Debian's gst-rtsp-server 1.22 deadlocked its shared media sending
// over TCP (interleaved) to clients that vanished — killed or cut nodes — and every camera
// broadcast starved from then on (a 30-minute run, bench/README "chaos").
class CameraThread {
 public:
  explicit CameraThread(const std::string& host)
      : context_(su::GRef<GMainContext>::adopt(g_main_context_new())),
        camera_(su::test::RtspTestServer::start(context_.get(), {.udpOnly = true, .host = host})) {
    if (!camera_) return;
    thread_ = std::thread([this] {
      while (!stopping_)
        g_main_context_iteration(context_.get(), TRUE);
    });
  }
  ~CameraThread() {
    stopping_ = true;
    g_main_context_wakeup(context_.get());
    if (thread_.joinable()) thread_.join();
  }
  CameraThread(const CameraThread&) = delete;
  CameraThread& operator=(const CameraThread&) = delete;

  const su::test::RtspTestServer* camera() const { return camera_.get(); }

 private:
  su::GRef<GMainContext> context_;
  std::unique_ptr<su::test::RtspTestServer> camera_;
  std::atomic<bool> stopping_ = false;
  std::thread thread_;
};

// What the cluster and Janus say now.
struct Snapshot {
  std::map<std::string, std::vector<std::string>> owners;  // broadcast -> live owners running it
  std::set<std::string> records;                           // every broadcast with a record
  std::map<std::int64_t, bool> mountpoints;                // id -> every media fresh
};

class Chaos {
 public:
  Chaos(Settings settings, GMainContext* context)
      : settings_(settings), context_(context), random_(settings.seed) {}

  bool setUp();
  void run();
  // The invariants at the end: true when every one holds.
  bool check();
  void report() const;

 private:
  struct Node {
    std::string id;
    std::uint16_t port = 0;
    std::unique_ptr<su::test::ServiceProcess> process;
  };
  struct Broadcast {
    std::string id;
    std::int64_t mountpoint = 0;
    std::string kind;
  };

  void startNode(Node& node);
  std::string request(const Broadcast& broadcast) const;
  void enqueue(const std::string& json);
  void startBroadcast(const std::string& kind);
  void stopBroadcast();
  Snapshot snapshot();
  bool healthy(const Snapshot& now) const;
  // A health sample, noted in the running fault's outage.
  bool sample();
  // Samples until healthy (or `timeout`): the time it took, nothing if it never was.
  std::optional<double> recover(std::chrono::seconds timeout);
  void inject(Fault fault);
  // Samples health for `duration` (a fault held).
  void hold(std::chrono::milliseconds duration);
  void pause(std::chrono::milliseconds duration);
  std::string logs() const;

  Settings settings_;
  GMainContext* context_;
  std::mt19937 random_;
  std::unique_ptr<su::test::TestNetwork> network_;
  std::unique_ptr<su::test::JanusServer> janus_;
  std::unique_ptr<su::test::RedisServer> redis_;
  std::unique_ptr<su::test::RtmpServer> rtmp_;
  std::unique_ptr<su::test::RtmpPublisher> publisher_;
  std::unique_ptr<CameraThread> camera_;
  std::unique_ptr<su::test::TempFile> keyFile_;
  su::test::TempFile tokenFile_{"chaos-token\n"};
  std::vector<Node> nodes_;
  std::vector<Broadcast> running_;
  std::vector<Broadcast> stopped_;
  int nextBroadcast_ = 0;
  std::map<Fault, std::vector<double>> recoveries_;
  std::map<Fault, std::vector<double>> outages_;
  std::map<Fault, int> unrecovered_;
  // The running fault's outage: when it began, whether a sample saw health lost, when it came
  // back last.
  Clock::time_point injectedAt_;
  bool lost_ = false;
  std::optional<Clock::time_point> backAt_;
  int injected_ = 0;
};

bool Chaos::setUp() {
  std::vector<std::string> hosts;
  for (int i = 1; i <= settings_.nodes; ++i)
    hosts.push_back("node-" + std::to_string(i));
  std::string why;
  network_ = su::test::TestNetwork::create(hosts, why);
  if (!network_) {
    std::fprintf(stderr, "chaos: %s\n", why.c_str());
    return false;
  }
  janus_ = su::test::JanusServer::start({.rtpPorts = 400, .host = network_->self()});
  redis_ = su::test::RedisServer::start({.persistent = true, .host = network_->selfSecond()});
  rtmp_ = su::test::RtmpServer::start({.waitForVideo = true, .host = network_->self()});
  camera_ = std::make_unique<CameraThread>(network_->self());
  if (!janus_ || !redis_ || !rtmp_ || !camera_->camera()) return false;
  publisher_ = su::test::RtmpPublisher::start(rtmp_->url("chaos"), {.size = "640x360"});
  keyFile_ = std::make_unique<su::test::TempFile>(*su::cluster::ClusterKey::generate() + "\n");
  for (const std::string& host : hosts) {
    nodes_.push_back(Node{.id = host});
    startNode(nodes_.back());
  }
  const char* kinds[] = {"pattern", "rtmp", "rtmp", "rtsp", "rtsp", "rtmp"};
  for (int i = 0; i < settings_.broadcasts; ++i)
    startBroadcast(kinds[i % std::size(kinds)]);
  std::printf("chaos: %d nodes, %d broadcasts, seed %u; waiting for them to run\n", settings_.nodes,
              settings_.broadcasts, settings_.seed);
  std::fflush(stdout);
  if (!recover(180s)) {
    std::fprintf(stderr, "chaos: the broadcasts never all ran\n%s", logs().c_str());
    return false;
  }
  return true;
}

void Chaos::startNode(Node& node) {
  if (node.port == 0) node.port = su::test::freeTcpPort();
  const std::string address = network_->address(node.id);
  node.process = std::make_unique<su::test::ServiceProcess>("serve-" + node.id);
  node.process->setReadyHost(address);
  node.process->start(
      network_->inHost(node.id, {su::test::cliPath(),
                                 "serve",
                                 "--listen",
                                 address + ":" + std::to_string(node.port),
                                 "--token-file",
                                 tokenFile_.path(),
                                 "--janus-url",
                                 janus_->url(),
                                 "--admin-key",
                                 janus_->streamingAdminKey(),
                                 "--local-janus",
                                 "false",
                                 "--queue",
                                 redis_->url("chaos-jobs", "ingest") + "&visibility_ms=10000",
                                 "--consumer",
                                 node.id,
                                 "--cluster",
                                 redis_->serverUrl(),
                                 "--cluster-name",
                                 "chaos",
                                 "--cluster-key-file",
                                 keyFile_->path(),
                                 "--node-id",
                                 node.id,
                                 "--lease-ms",
                                 std::to_string(settings_.leaseMs),
                                 "--cpu-budget",
                                 "0"}),
      node.port, 30s);
}

std::string Chaos::request(const Broadcast& broadcast) const {
  const std::string media =
      R"("media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}])";
  std::string source;
  if (broadcast.kind == "pattern") {
    source = R"("source_kind":"test_pattern")";
  } else if (broadcast.kind == "rtmp") {
    source =
        R"("source_kind":"rtmp_external","srs":{"publish_url":")" + rtmp_->url("chaos") + R"("})";
  } else {
    source = R"("source_kind":"rtsp_camera","rtsp_camera":{"url":")" + camera_->camera()->url() +
             R"(","transport":"udp"})";
  }
  return "{" + source + R"(,"broadcast_id":")" + broadcast.id + R"(","host":")" + network_->self() +
         R"(","mountpoint_spec":{"id":)" + std::to_string(broadcast.mountpoint) + "," + media +
         "}}";
}

void Chaos::enqueue(const std::string& json) {
  su::test::TempFile file(json);
  su::test::runCli({"enqueue", "--queue", redis_->url("chaos-jobs", "ingest"), file.path()});
}

void Chaos::startBroadcast(const std::string& kind) {
  Broadcast broadcast{.id = "chaos-" + std::to_string(nextBroadcast_),
                      .mountpoint = 7700 + nextBroadcast_,
                      .kind = kind};
  ++nextBroadcast_;
  enqueue(request(broadcast));
  running_.push_back(broadcast);
}

void Chaos::stopBroadcast() {
  if (running_.empty()) return;
  std::uniform_int_distribution<std::size_t> pick(0, running_.size() - 1);
  const std::size_t at = pick(random_);
  const Broadcast gone = running_[at];
  running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(at));
  su::test::runCli({"enqueue", "--queue", redis_->url("chaos-jobs", "ingest"), "--stop", gone.id});
  stopped_.push_back(gone);
}

Snapshot Chaos::snapshot() {
  Snapshot now;
  const ProcessRun cluster =
      su::test::runCli({"cluster", "status", "--redis", redis_->serverUrl(), "--name", "chaos"});
  if (auto parsed = su::json::parse(cluster.out)) {
    JsonObject* root = json_node_get_object(parsed->get());
    JsonArray* broadcasts = json_object_get_array_member(root, "broadcasts");
    for (guint i = 0; broadcasts && i < json_array_get_length(broadcasts); ++i) {
      JsonObject* entry = json_array_get_object_element(broadcasts, i);
      const std::string id = json_object_get_string_member(entry, "broadcast_id");
      now.records.insert(id);
      if (std::string_view(json_object_get_string_member(entry, "state")) == "running" &&
          json_object_get_boolean_member(entry, "owner_alive")) {
        now.owners[id].push_back(json_object_get_string_member(entry, "node"));
      }
    }
  }
  const ProcessRun listed =
      su::test::runCli({"mountpoint", "list", "--janus-url", janus_->url(), "--timeout", "3000"});
  if (auto parsed = su::json::parse(listed.out)) {
    JsonArray* mountpoints =
        json_object_get_array_member(json_node_get_object(parsed->get()), "mountpoints");
    for (guint i = 0; mountpoints && i < json_array_get_length(mountpoints); ++i) {
      JsonObject* entry = json_array_get_object_element(mountpoints, i);
      JsonArray* media = json_object_get_array_member(entry, "media");
      bool fresh = media && json_array_get_length(media) > 0;
      for (guint m = 0; media && m < json_array_get_length(media); ++m) {
        // No age_ms (null) until the media's first packet.
        JsonNode* age = json_object_get_member(json_array_get_object_element(media, m), "age_ms");
        fresh = fresh && age && JSON_NODE_HOLDS_VALUE(age) &&
                json_node_get_value_type(age) == G_TYPE_INT64 && json_node_get_int(age) < 1000;
      }
      now.mountpoints[json_object_get_int_member(entry, "id")] = fresh;
    }
  }
  return now;
}

bool Chaos::healthy(const Snapshot& now) const {
  for (const Broadcast& broadcast : running_) {
    auto owners = now.owners.find(broadcast.id);
    auto mountpoint = now.mountpoints.find(broadcast.mountpoint);
    if (owners == now.owners.end() || owners->second.size() != 1) return false;
    if (mountpoint == now.mountpoints.end() || !mountpoint->second) return false;
  }
  return true;
}

bool Chaos::sample() {
  const bool now = healthy(snapshot());
  if (!now) {
    lost_ = true;
    backAt_.reset();
  } else if (lost_ && !backAt_) {
    backAt_ = Clock::now();
  }
  return now;
}

std::optional<double> Chaos::recover(std::chrono::seconds timeout) {
  const auto from = Clock::now();
  while (Clock::now() - from < timeout) {
    if (sample()) return std::chrono::duration<double>(Clock::now() - from).count();
    pause(250ms);
  }
  return std::nullopt;
}

void Chaos::hold(std::chrono::milliseconds duration) {
  const auto until = Clock::now() + duration;
  while (Clock::now() < until) {
    sample();
    pause(std::min<std::chrono::milliseconds>(
        250ms, std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now())));
  }
}

void Chaos::pause(std::chrono::milliseconds duration) {
  const auto until = Clock::now() + duration;
  while (Clock::now() < until) {
    while (g_main_context_iteration(context_, FALSE)) {
    }
    std::this_thread::sleep_for(20ms);
  }
}

void Chaos::inject(Fault fault) {
  std::uniform_int_distribution<std::size_t> pickNode(0, nodes_.size() - 1);
  std::uniform_int_distribution<int> holdMs(2000, 12000);
  Node& node = nodes_[pickNode(random_)];
  const auto held = std::chrono::milliseconds(holdMs(random_));
  switch (fault) {
    case Fault::KillNode:
      node.process->kill();
      hold(held);
      startNode(node);
      break;
    case Fault::FreezeNode:
      node.process->signal(SIGSTOP);
      hold(held);  // past the lease, or not
      node.process->signal(SIGCONT);
      break;
    case Fault::RestartJanus:
      janus_->kill();
      hold(held / 4);
      janus_->restart();
      break;
    case Fault::RestartRedis:
      redis_->kill();
      hold(held / 4);
      redis_->restart();
      break;
    case Fault::CutNode:
      network_->cut(node.id, network_->self());
      network_->cut(node.id, network_->selfSecond());
      hold(held);
      network_->mend(node.id, network_->self());
      network_->mend(node.id, network_->selfSecond());
      break;
    case Fault::KillPublisher:
      publisher_.reset();
      hold(held / 2);
      publisher_ = su::test::RtmpPublisher::start(rtmp_->url("chaos"), {.size = "640x360"});
      break;
  }
}

void Chaos::run() {
  std::uniform_int_distribution<int> every(settings_.everyMin, settings_.everyMax);
  std::uniform_int_distribution<std::size_t> pickFault(0, std::size(kFaults) - 1);
  const auto begin = Clock::now();
  const auto end = begin + std::chrono::minutes(settings_.minutes);
  auto ms = [](double seconds) { return std::to_string(static_cast<long long>(seconds * 1000)); };
  while (Clock::now() < end) {
    const auto next = Clock::now() + std::chrono::seconds(every(random_));
    const Fault fault = kFaults[pickFault(random_)];
    ++injected_;
    injectedAt_ = Clock::now();
    lost_ = false;
    backAt_.reset();
    inject(fault);
    const auto recovered = recover(120s);
    std::string outcome = "NEVER healthy again within 120 s of the repair";
    if (recovered) {
      recoveries_[fault].push_back(*recovered);
      const double outage =
          lost_ ? std::chrono::duration<double>(*backAt_ - injectedAt_).count() : 0.0;
      outages_[fault].push_back(outage);
      outcome = "outage " + ms(outage) + " ms, healthy " + ms(*recovered) + " ms after the repair";
    } else {
      ++unrecovered_[fault];
    }
    std::printf("[%4lld s] %-38s %s\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::seconds>(injectedAt_ - begin).count()),
                nameOf(fault), outcome.c_str());
    std::fflush(stdout);
    // The workload moves too: every third fault, one broadcast stopped and another started (and
    // waited for, outside any fault's outage).
    if (injected_ % 3 == 0) {
      stopBroadcast();
      startBroadcast(running_.empty() ? "pattern" : running_[random_() % running_.size()].kind);
      if (!recover(120s)) std::printf("         the new broadcast did not run within 120 s\n");
    }
    if (Clock::now() < next)
      pause(std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()));
  }
}

bool Chaos::check() {
  std::printf("\nsettling (up to 180 s), then checking\n");
  const bool settled = recover(180s).has_value();
  const Snapshot now = snapshot();
  bool holds = settled;
  auto fail = [&](const std::string& what) {
    std::printf("  FAILED: %s\n", what.c_str());
    holds = false;
  };
  if (!settled) fail("the broadcasts did not all run again with fresh media");
  for (const Broadcast& broadcast : running_) {
    auto owners = now.owners.find(broadcast.id);
    const std::size_t count = owners == now.owners.end() ? 0 : owners->second.size();
    if (count != 1)
      fail(broadcast.id + " runs on " + std::to_string(count) + " live owners, not one");
    if (!now.mountpoints.contains(broadcast.mountpoint))
      fail(broadcast.id + ": no mountpoint " + std::to_string(broadcast.mountpoint) + " in Janus");
  }
  std::set<std::int64_t> expected;
  for (const Broadcast& broadcast : running_)
    expected.insert(broadcast.mountpoint);
  for (const auto& [id, fresh] : now.mountpoints) {
    if (!expected.contains(id))
      fail("Janus holds mountpoint " + std::to_string(id) + " of no running broadcast");
  }
  for (const Broadcast& broadcast : stopped_) {
    if (now.records.contains(broadcast.id)) fail(broadcast.id + " was stopped but has a record");
  }
  const ProcessRun stats =
      su::test::runCli({"queue", "stats", "--queue", redis_->url("chaos-jobs", "ingest")});
  auto parsed = su::json::parse(stats.out);
  if (!parsed) {
    fail("queue stats: " + stats.err);
  } else {
    JsonObject* root = json_node_get_object(parsed->get());
    const auto waiting = json_object_get_int_member(root, "waiting");
    const auto pending = json_object_get_int_member(root, "pending");
    const auto dead = json_object_get_int_member(root, "dead_letters");
    if (waiting + pending != 0) {
      // Which, and held by whom, for the replay.
      fail(std::to_string(waiting + pending) + " jobs still waiting or pending; pending: " +
           redis_->cli({"XPENDING", "chaos-jobs", "ingest", "-", "+", "10"}) +
           "; group: " + redis_->cli({"XINFO", "GROUPS", "chaos-jobs"}));
    }
    if (dead != 0) fail(std::to_string(dead) + " jobs dead-lettered");
  }
  std::printf("invariants: %s\n", holds ? "all hold" : "BROKEN");
  if (!holds) std::printf("replay with --seed %u\n%s", settings_.seed, logs().c_str());
  return holds;
}

void Chaos::report() const {
  std::printf("\n%s\n", su::bench::machine().c_str());
  std::printf(
      "nodes %d, broadcasts %d (kinds: test pattern, RTMP, RTSP), %d min, lease %d ms, "
      "seed %u: %d faults injected\n\n",
      settings_.nodes, settings_.broadcasts, settings_.minutes, settings_.leaseMs, settings_.seed,
      injected_);
  std::printf(
      "outage: from the fault until every broadcast ran again with fresh media (0 when "
      "no sample saw it lost); recovery: from the repair\n\n");
  std::printf(
      "| fault | injected | recovered | outage p50 s | p95 s | max s | after repair "
      "p50 s | max s |\n|---|---|---|---|---|---|---|---|\n");
  for (Fault fault : kFaults) {
    auto times = [](const std::map<Fault, std::vector<double>>& all, Fault which) {
      auto found = all.find(which);
      return found == all.end() ? std::vector<double>{} : found->second;
    };
    const std::vector<double> outages = times(outages_, fault);
    const std::vector<double> recoveries = times(recoveries_, fault);
    const int never = unrecovered_.contains(fault) ? unrecovered_.at(fault) : 0;
    auto max = [](const std::vector<double>& values) {
      return values.empty() ? 0.0 : *std::max_element(values.begin(), values.end());
    };
    std::printf("| %s | %zu | %zu | %.1f | %.1f | %.1f | %.1f | %.1f |\n", nameOf(fault),
                recoveries.size() + static_cast<std::size_t>(never), recoveries.size(),
                percentile(outages, 0.5), percentile(outages, 0.95), max(outages),
                percentile(recoveries, 0.5), max(recoveries));
  }
}

std::string Chaos::logs() const {
  std::string all;
  for (const Node& node : nodes_)
    all += "--- " + node.id + "\n" + (node.process ? node.process->logTail(3000) : "") + "\n";
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  if (!parse(argc, argv, settings)) {
    std::fprintf(stderr,
                 "usage: chaos [--nodes 3] [--broadcasts 24] [--minutes 30] [--seed N] "
                 "[--every-min 20] [--every-max 40] [--lease-ms 3000]\n");
    return 2;
  }
  if (!su::init()) return 1;
  if (!g_getenv("SU_CLI")) g_setenv("SU_CLI", SU_CLI_PATH, TRUE);
  su::BlockingContext context;
  Chaos chaos(settings, context.get());
  if (!chaos.setUp()) return 1;
  chaos.run();
  const bool holds = chaos.check();
  chaos.report();
  return holds ? 0 : 1;
}
