// Somebody else's program, built against the installed streaming-utils with nothing but
// `pkg-config streaming-utils-1.0` (tests/install/installed_api_test.sh): a request through the
// public model (parsed, validated, secrets masked), and the service on a context of its own.
#include <streaming-utils.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "consumer: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main() {
  if (auto initialised = su::init(); !initialised) return fail(initialised.error().message);

  auto request = su::model::BroadcastRequest::fromPayload(std::string_view(
      R"({"source_kind":"rtsp_camera","broadcast_id":"consumer-1",
          "rtsp_camera":{"url":"rtsp://192.0.2.10/s","username":"u","password":"consumer-pw"},
          "mountpoint_spec":{"media":[{"type":"video","codec":"h264"}]}})"));
  if (!request) return fail("a valid request was refused: " + request.error().describe());
  const std::string shown =
      su::json::toString(su::model::redacted(request->toPayload().get()).get());
  if (shown.find("consumer-pw") != std::string::npos) return fail("the password was shown");
  std::printf("request: %s\n", shown.c_str());

  auto invalid = su::model::BroadcastRequest::fromPayload(
      std::string_view(R"({"source_kind":"videoroom"})"));
  if (invalid || invalid.error().fields.empty()) return fail("an invalid request was taken");
  std::printf("invalid: %zu problems\n", invalid.error().fields.size());

  GMainContext* context = g_main_context_new();
  g_main_context_push_thread_default(context);
  int status = 0;
  {
    su::service::Config config;
    config.janusUrl = "ws://127.0.0.1:1";  // nothing listens there
    config.reconnect = false;
    su::service::Service service(context, config);
    std::optional<su::Result<su::model::BroadcastResult>> early;
    service.start(*request, [&](su::Result<su::model::BroadcastResult> result) { early = result; });
    std::optional<su::Result<void>> connected;
    service.connect([&](su::Result<void> result) { connected = result; });
    while (!connected || !early)
      g_main_context_iteration(context, TRUE);
    if (*early) status = fail("a broadcast started without Janus");
    if (*connected) status = fail("connected to a Janus that is not there");
    std::printf("connect: %s\n", connected->ok() ? "ok" : connected->error().message.c_str());
    if (service.list().size() != 0) status = fail("broadcasts listed without Janus");
  }
  g_main_context_pop_thread_default(context);
  g_main_context_unref(context);
  return status;
}
