// Round trip of a synchronous Janus request (Streaming `info`) through the client, against a
// local Janus that this program starts (or --janus-url). Next to it, the same request over a
// bare WebSocket with no session bookkeeping or parsing: the floor our client adds to.
//
//   build/bench/janus-info-rtt [--requests N] [--janus-url URL]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "core/init.hpp"
#include "janus/streaming.hpp"
#include "json/parse.hpp"
#include "support/janus_server.hpp"
#include "ws/client.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Microseconds = std::chrono::duration<double, std::micro>;

struct Stats {
  double median, p90, p99, max, mean;
};

Stats summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))];
  };
  return {at(0.5), at(0.9), at(0.99), samples.back(),
          std::accumulate(samples.begin(), samples.end(), 0.0) / samples.size()};
}

void print(const char* what, const Stats& s, std::size_t n) {
  std::printf(
      "%-28s n=%zu  median %7.1f us  p90 %7.1f us  p99 %7.1f us  max %8.1f us  mean %7.1f us\n",
      what, n, s.median, s.p90, s.p99, s.max, s.mean);
}

template <typename T, typename Start>
su::Result<T> wait(GMainContext* context, Start start) {
  std::optional<su::Result<T>> result;
  start([&](su::Result<T> value) { result = std::move(value); });
  while (!result)
    g_main_context_iteration(context, TRUE);
  return std::move(*result);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "janus-info-rtt: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t requests = 1000;
  std::string url;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--requests") requests = std::stoul(argv[i + 1]);
    if (option == "--janus-url") url = argv[i + 1];
  }
  if (auto initialised = su::init(); !initialised) return fail(initialised.error().message);
  GMainContext* context = g_main_context_new();
  g_main_context_push_thread_default(context);

  std::unique_ptr<su::test::JanusServer> janus;
  std::string adminKey = "su-test-streaming-admin-key";
  if (url.empty()) {
    janus = su::test::JanusServer::start({.debugLevel = 2});
    if (!janus) return fail("Janus did not start");
    url = janus->url();
    adminKey = janus->streamingAdminKey();
  }

  auto session = su::janus::Session::create(context, {.url = url, .reconnect = false});
  if (!session) return fail(session.error().message);
  if (auto connected = wait<void>(context, [&](auto done) { (*session)->connect(done); });
      !connected) {
    return fail(connected.error().message);
  }
  auto streaming = wait<std::unique_ptr<su::janus::StreamingClient>>(
      context, [&](auto done) { su::janus::StreamingClient::attach(**session, done); });
  if (!streaming) return fail(streaming.error().message);
  su::model::MountPoint mountpoint{
      .id = 424242, .secret = std::string("bench-secret"), .adminKey = adminKey};
  mountpoint.media = {{.type = su::model::MediaType::Audio, .mid = "a", .pt = 111, .codec = "opus"},
                      {.type = su::model::MediaType::Video, .mid = "v", .pt = 96, .codec = "h264"}};
  auto created = wait<su::janus::MountPointCreated>(
      context, [&](auto done) { (*streaming)->create(mountpoint, done); });
  if (!created) return fail(created.error().message);

  auto timeInfo = [&]() -> double {
    const auto start = Clock::now();
    auto info = wait<su::janus::MountPointInfo>(
        context, [&](auto done) { (*streaming)->info(424242, std::string("bench-secret"), done); });
    if (!info) fail(info.error().message);
    return Microseconds(Clock::now() - start).count();
  };
  for (int i = 0; i < 50; ++i)
    timeInfo();  // warm up
  std::vector<double> client;
  for (std::size_t i = 0; i < requests; ++i)
    client.push_back(timeInfo());

  // The floor: the same request text over a bare WebSocket, waiting for any message back.
  const std::string request = R"({"janus":"message","transaction":"bench","session_id":)" +
                              std::to_string((*session)->id()) + R"(,"handle_id":)" +
                              std::to_string((*streaming)->handle().id()) +
                              R"(,"body":{"request":"info","id":424242,"secret":"bench-secret"}})";
  bool opened = false;
  std::size_t received = 0;
  auto raw = su::ws::Client::create(
      context, {.url = url, .protocols = {"janus-protocol"}},
      {.onOpen = [&] { opened = true; }, .onMessage = [&](std::string_view) { ++received; }});
  if (!raw) return fail(raw.error().message);
  (*raw)->open();
  while (!opened)
    g_main_context_iteration(context, TRUE);
  std::vector<double> bare;
  for (std::size_t i = 0; i < requests + 50; ++i) {
    const std::size_t before = received;
    const auto start = Clock::now();
    static_cast<void>((*raw)->send(request));
    while (received == before)
      g_main_context_iteration(context, TRUE);
    if (i >= 50) bare.push_back(Microseconds(Clock::now() - start).count());
  }

  print("info through the client", summarize(client), client.size());
  print("same request, bare socket", summarize(bare), bare.size());
  static_cast<void>(wait<su::janus::Removal>(context, [&](auto done) {
    (*streaming)->destroy(424242, std::string("bench-secret"), false, done);
  }));
  return 0;
}
