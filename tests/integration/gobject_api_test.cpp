// The GObject API through its C functions, against a real Janus and a real redis-server:
// SuBroadcastRequest built field by field and from JSON (every problem reported, nothing
// started); a request started with su_service_start_request_async() until Janus sees its media;
// a SuQueue's jobs run by su_service_start_worker() (a start, then a stop that leaves Janus
// clean) with the queue's figures read back; queue URLs that cannot work; and calls still in
// flight when the object is disposed, which complete as cancelled rather than never.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "streaming-utils-glib.h"
#include "support/janus_test.hpp"
#include "support/redis_server.hpp"
#include "support/tcp_proxy.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

// Owns a GObject reference for the test's scope.
template <typename T>
struct Owned {
  explicit Owned(T* object = nullptr) : get(object) {}
  ~Owned() {
    if (get) g_object_unref(get);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  T* get;
};

// What an _async call gave its callback, for its _finish.
struct Completion {
  GAsyncResult* result = nullptr;
  ~Completion() {
    if (result) g_object_unref(result);
  }
  static void store(GObject*, GAsyncResult* result, gpointer self) {
    static_cast<Completion*>(self)->result = G_ASYNC_RESULT(g_object_ref(result));
  }
};

struct JobSeen {
  std::string what;
  std::string action;
  std::string broadcastId;
};

class GObjectApiTest : public JanusStreamingTest {
 protected:
  void TearDown() override {
    if (service) g_object_unref(service);
    service = nullptr;
    JanusStreamingTest::TearDown();
  }

  // Runs the context until `completion` arrived (false, with a failure, if it did not).
  bool arrived(Completion& completion, std::chrono::milliseconds timeout = 60s) {
    const bool done = runUntil([&] { return completion.result != nullptr; }, timeout);
    EXPECT_TRUE(done) << "the callback never came";
    return done;
  }

  void connectService() {
    service = SU_SERVICE(g_object_new(SU_TYPE_SERVICE, "janus-url", janus->url().c_str(),
                                      "admin-key", janus->streamingAdminKey().c_str(), nullptr));
    g_signal_connect(service, "worker-job",
                     G_CALLBACK(+[](SuService*, const char* what, const char* action, const char*,
                                    const char* broadcastId, const char*, gpointer self) {
                       static_cast<GObjectApiTest*>(self)->jobs.push_back(
                           {what, action ? action : "", broadcastId ? broadcastId : ""});
                     }),
                     this);
    Completion connected;
    su_service_connect_async(service, nullptr, Completion::store, &connected);
    ASSERT_TRUE(arrived(connected));
    GError* error = nullptr;
    ASSERT_TRUE(su_service_connect_finish(service, connected.result, &error)) << error->message;
  }

  // The test pattern, built field by field.
  static SuBroadcastRequest* testPattern(const char* id, gint64 mountpoint) {
    SuBroadcastRequest* request = su_broadcast_request_new("test_pattern");
    g_object_set(request, "broadcast-id", id, "mountpoint-id", mountpoint, nullptr);
    su_broadcast_request_add_media(request, "audio", "opus");
    su_broadcast_request_add_media(request, "video", "h264");
    return request;
  }

  bool jobSeen(const std::string& what, const std::string& action) {
    return runUntil(
        [&] {
          return std::any_of(jobs.begin(), jobs.end(), [&](const JobSeen& job) {
            return job.what == what && job.action == action;
          });
        },
        60s);
  }

  SuService* service = nullptr;
  std::vector<JobSeen> jobs;
};

std::string textOf(char* owned) {
  std::string text = owned ? owned : "";
  g_free(owned);
  return text;
}

TEST(GObjectRequest, PropertiesAreTheDocumentsFieldsAndUnsetLeavesThemOut) {
  Owned<SuBroadcastRequest> request(su_broadcast_request_new("rtmp_external"));
  g_object_set(request.get, "broadcast-id", "cam-1", "input-url", "rtmp://127.0.0.1/live/k",
               "mountpoint-id", gint64{42}, "stall-timeout-ms", gint64{3000}, nullptr);
  su_broadcast_request_add_media(request.get, "video", "h264");
  EXPECT_EQ(textOf(su_broadcast_request_to_json(request.get)),
            R"({"source_kind":"rtmp_external","broadcast_id":"cam-1",)"
            R"("input_url":"rtmp://127.0.0.1/live/k","mountpoint_spec":{"id":42,)"
            R"("media":[{"type":"video","codec":"h264"}]},"stall_timeout_ms":3000})");

  g_object_set(request.get, "input-url", nullptr, "mountpoint-id", gint64{0}, nullptr);
  char* url = nullptr;
  gint64 mountpoint = -1;
  g_object_get(request.get, "input-url", &url, "mountpoint-id", &mountpoint, nullptr);
  EXPECT_EQ(url, nullptr);
  EXPECT_EQ(mountpoint, 0);
  EXPECT_EQ(textOf(su_broadcast_request_to_json(request.get)).find("input_url"), std::string::npos);

  // rtmp_external needs its ingest (srs): the service's own rule, by field.
  GError* error = nullptr;
  EXPECT_FALSE(su_broadcast_request_validate(request.get, &error));
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(g_error_matches(error, SU_ERROR, SU_ERROR_INVALID_REQUEST));
  EXPECT_NE(std::string(error->message).find("srs: required"), std::string::npos) << error->message;
  g_error_free(error);
}

TEST(GObjectRequest, FromJsonKeepsTheDocumentAndRefusesEveryProblem) {
  GError* error = nullptr;
  Owned<SuBroadcastRequest> request(su_broadcast_request_new_from_json(
      R"({"source_kind":"test_pattern","description":"d",
          "mountpoint_spec":{"id":7,"media":[{"type":"audio","codec":"opus"}]}})",
      &error));
  ASSERT_NE(request.get, nullptr) << error->message;
  gint64 mountpoint = 0;
  char* kind = nullptr;
  g_object_get(request.get, "mountpoint-id", &mountpoint, "source-kind", &kind, nullptr);
  EXPECT_EQ(mountpoint, 7);
  EXPECT_STREQ(kind, "test_pattern");
  g_free(kind);
  EXPECT_TRUE(su_broadcast_request_validate(request.get, nullptr));

  EXPECT_EQ(su_broadcast_request_new_from_json(
                R"({"source_kind":"smell","relay_kind":"carrier-pigeon"})", &error),
            nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(g_error_matches(error, SU_ERROR, SU_ERROR_INVALID_REQUEST));
  const std::string message = error->message;
  EXPECT_NE(message.find("source_kind"), std::string::npos) << message;
  EXPECT_NE(message.find("relay_kind"), std::string::npos) << message;
  g_clear_error(&error);

  EXPECT_EQ(su_broadcast_request_new_from_json("{\"source_kind\":", &error), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(g_error_matches(error, SU_ERROR, SU_ERROR_INVALID_REQUEST));
  EXPECT_NE(std::string(error->message).find("line 1"), std::string::npos) << error->message;
  g_error_free(error);
}

TEST_F(GObjectApiTest, ARequestObjectStartsABroadcastJanusSeesAndStopsCleanly) {
  ASSERT_NO_FATAL_FAILURE(connectService());
  Owned<SuBroadcastRequest> request(testPattern("from-object", 9811));
  Completion started;
  su_service_start_request_async(service, request.get, nullptr, Completion::store, &started);
  g_object_unref(request.get);  // the service took what it needs
  request.get = nullptr;
  ASSERT_TRUE(arrived(started));
  GError* error = nullptr;
  Owned<SuBroadcast> broadcast(su_service_start_request_finish(service, started.result, &error));
  ASSERT_NE(broadcast.get, nullptr) << error->message;
  EXPECT_STREQ(su_broadcast_get_state(broadcast.get), "running");
  EXPECT_EQ(su_broadcast_get_mountpoint_id(broadcast.get), 9811);
  EXPECT_TRUE(mediaFresh(*streaming, 9811, 2));

  Completion stopped;
  su_service_stop_async(service, "from-object", nullptr, Completion::store, &stopped);
  ASSERT_TRUE(arrived(stopped));
  EXPECT_TRUE(su_service_stop_finish(service, stopped.result, &error)) << error->message;
  EXPECT_STREQ(su_broadcast_get_state(broadcast.get), "stopped");
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_F(GObjectApiTest, AnInvalidRequestObjectIsRefusedWithoutStartingAnything) {
  ASSERT_NO_FATAL_FAILURE(connectService());
  Owned<SuBroadcastRequest> request(su_broadcast_request_new("test_pattern"));
  su_broadcast_request_add_media(request.get, "smell", "opus");
  Completion started;
  su_service_start_request_async(service, request.get, nullptr, Completion::store, &started);
  EXPECT_EQ(started.result, nullptr) << "never inside the call";
  ASSERT_TRUE(arrived(started));
  GError* error = nullptr;
  EXPECT_EQ(su_service_start_request_finish(service, started.result, &error), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(g_error_matches(error, SU_ERROR, SU_ERROR_INVALID_REQUEST));
  EXPECT_NE(std::string(error->message).find("mountpoint_spec.media[0].type"), std::string::npos)
      << error->message;
  g_error_free(error);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_F(GObjectApiTest, AWorkerRunsTheQueuesStartAndStopJobs) {
  auto redis = RedisServer::start();
  ASSERT_TRUE(redis) << "redis-server did not start";
  ASSERT_NO_FATAL_FAILURE(connectService());
  GError* error = nullptr;
  Owned<SuQueue> queue(su_queue_new(redis->url("gobject-jobs").c_str(), &error));
  ASSERT_NE(queue.get, nullptr) << error->message;

  Owned<SuBroadcastRequest> request(testPattern("from-queue", 9812));
  Completion enqueued;
  su_queue_enqueue_start_async(queue.get, request.get, nullptr, Completion::store, &enqueued);
  ASSERT_TRUE(arrived(enqueued));
  const std::string startId =
      textOf(su_queue_enqueue_start_finish(queue.get, enqueued.result, &error));
  ASSERT_FALSE(startId.empty()) << error->message;

  ASSERT_TRUE(su_service_start_worker(service, queue.get, 2, &error)) << error->message;
  EXPECT_FALSE(su_service_start_worker(service, queue.get, 2, &error)) << "one worker at a time";
  EXPECT_TRUE(g_error_matches(error, SU_ERROR, SU_ERROR_FAILED));
  g_clear_error(&error);

  ASSERT_TRUE(jobSeen("done", "start_broadcast"));
  SuBroadcast* broadcast = su_service_lookup(service, "from-queue");
  ASSERT_NE(broadcast, nullptr);
  EXPECT_STREQ(su_broadcast_get_state(broadcast), "running");
  EXPECT_TRUE(mediaFresh(*streaming, 9812, 2));

  Completion stopEnqueued;
  su_queue_enqueue_stop_async(queue.get, "from-queue", nullptr, Completion::store, &stopEnqueued);
  ASSERT_TRUE(arrived(stopEnqueued));
  EXPECT_FALSE(
      textOf(su_queue_enqueue_stop_finish(queue.get, stopEnqueued.result, &error)).empty());
  ASSERT_TRUE(jobSeen("done", "stop_broadcast"));
  EXPECT_TRUE(mountpointIds(*streaming).empty());

  Completion stats;
  su_queue_stats_async(queue.get, nullptr, Completion::store, &stats);
  ASSERT_TRUE(arrived(stats));
  const std::string figures = textOf(su_queue_stats_finish(queue.get, stats.result, &error));
  EXPECT_NE(figures.find("\"lag\":0"), std::string::npos) << figures;

  Completion drained;
  su_service_drain_worker_async(service, nullptr, Completion::store, &drained);
  ASSERT_TRUE(arrived(drained));
  EXPECT_TRUE(su_service_drain_worker_finish(service, drained.result, &error));
  const std::string worker = textOf(su_service_get_worker_stats(service));
  EXPECT_NE(worker.find("\"done\":2"), std::string::npos) << worker;
  EXPECT_NE(worker.find("\"draining\":true"), std::string::npos) << worker;
}

TEST_F(GObjectApiTest, QueuesThatCannotWorkSayWhyWithoutTheirPassword) {
  GError* error = nullptr;
  EXPECT_EQ(su_queue_new("carrier-pigeon://coop", &error), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(g_error_matches(error, SU_ERROR, SU_ERROR_INVALID_QUEUE)) << error->message;
  g_clear_error(&error);

  // Nothing listens there: the call fails in time, and says so without the password.
  Owned<SuQueue> queue(
      su_queue_new("redis://:hunter2-secret@127.0.0.1:1/0?stream=s&group=g", &error));
  ASSERT_NE(queue.get, nullptr) << error->message;
  EXPECT_EQ(std::string(su_queue_get_name(queue.get)).find("hunter2"), std::string::npos);
  Completion stats;
  su_queue_stats_async(queue.get, nullptr, Completion::store, &stats);
  ASSERT_TRUE(arrived(stats, 30s));
  EXPECT_EQ(su_queue_stats_finish(queue.get, stats.result, &error), nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(g_error_matches(error, SU_ERROR, SU_ERROR_QUEUE_FAILED)) << error->message;
  EXPECT_EQ(std::string(error->message).find("hunter2"), std::string::npos) << error->message;
  g_clear_error(&error);

  ASSERT_NO_FATAL_FAILURE(connectService());
  SuService* unconnected = su_service_new(janus->url().c_str());
  EXPECT_FALSE(su_service_start_worker(unconnected, queue.get, 0, &error));
  EXPECT_TRUE(g_error_matches(error, SU_ERROR, SU_ERROR_NOT_CONNECTED));
  g_clear_error(&error);
  g_object_unref(unconnected);
}

TEST_F(GObjectApiTest, CallsInFlightWhenDisposedCompleteAsCancelled) {
  // A Janus that never answers: the WebSocket handshake waits, the connect stays in flight.
  SilentListener silent;
  SuService* stuck = su_service_new(("ws://127.0.0.1:" + std::to_string(silent.port())).c_str());
  Completion connected;
  su_service_connect_async(stuck, nullptr, Completion::store, &connected);
  ASSERT_FALSE(runUntil([&] { return connected.result != nullptr; }, 500ms));
  g_object_run_dispose(G_OBJECT(stuck));
  ASSERT_TRUE(arrived(connected, 5s));
  GError* error = nullptr;
  EXPECT_FALSE(su_service_connect_finish(stuck, connected.result, &error));
  EXPECT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error(&error);
  g_object_unref(stuck);
}

}  // namespace
}  // namespace su::test
