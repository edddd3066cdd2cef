// The worker on a real redis-server and a real Janus: a start job runs until a WebRTC viewer
// decodes, the stop job leaves Janus clean; a redelivered start provisions once; a poison job
// and garbage reach the dead letter without stopping the worker; a worker process SIGKILLed
// while it holds a start is replaced by another one after the visibility timeout, which takes
// over what it left and runs the job to completion once.
#include "worker/worker.hpp"

#include <gtest/gtest.h>

#include <csignal>

#include "queue/redis_queue.hpp"
#include "service/broadcast_service.hpp"
#include "support/janus_test.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/rtmp_server.hpp"

namespace su::worker {
namespace {

using namespace std::chrono_literals;
using model::RunState;

class WorkerTest : public test::JanusStreamingTest {
 protected:
  void SetUp() override {
    JanusStreamingTest::SetUp();
    if (HasFatalFailure()) return;
    redis = test::RedisServer::start();
    ASSERT_TRUE(redis) << "redis-server did not start";
  }
  void TearDown() override {
    worker.reset();
    service.reset();
    queue.reset();
    JanusStreamingTest::TearDown();
  }

  void startWorker(queue::QueueOptions queueOptions = {.consumer = "in-process"},
                   WorkerOptions options = {.claimWait = 500ms}) {
    service::ServiceOptions serviceOptions;
    serviceOptions.janus.url = janus->url();
    orchestrator::Observer observer;
    observer.onEvent = [this](const std::string&, const std::string& name, const json::Value&) {
      events.push_back(name);
    };
    service = std::make_unique<service::BroadcastService>(context(), serviceOptions, observer);
    ASSERT_TRUE(wait<void>([&](auto done) { service->connect(done); }).ok());
    queue = std::make_unique<queue::RedisQueue>(
        context(), queue::RedisQueueConfig{.address = {.port = redis->port()}, .stream = "jobs"},
        queueOptions);
    worker = std::make_unique<Worker>(
        context(), *queue, *service->orchestrator(), options,
        WorkerObserver{
            .onJob = [this](const JobEvent& event) { jobs.push_back(event); },
            .onError = [this](
                           const std::string&, const std::string& phase,
                           const Error& error) { errors.emplace_back(phase, error.describe()); }});
    worker->start();
  }

  std::string pattern(const std::string& id, std::int64_t mountpoint,
                      const std::string& adminKey) const {
    return R"({"source_kind":"test_pattern","broadcast_id":")" + id +
           R"(","mountpoint_spec":{"id":)" + std::to_string(mountpoint) +
           R"(,"secret":"wk-secret","admin_key":")" + adminKey +
           R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})";
  }
  // A job as a producer without this library writes it.
  void produce(const std::string& job) {
    const std::string id = redis->cli({"XADD", "jobs", "*", "job", job});
    ASSERT_FALSE(id.empty()) << "redis-cli XADD failed";
  }
  void produceStart(const std::string& request) {
    produce(R"({"action":"start_broadcast","request":)" + request + "}");
  }
  void produceStop(const std::string& id) {
    produce(R"({"action":"stop_broadcast","broadcast_id":")" + id + R"("})");
  }
  bool jobsSettled(std::int64_t count, std::chrono::milliseconds timeout = 40s) {
    return runUntil([&] { return worker->stats().done + worker->stats().failed >= count; },
                    timeout);
  }
  queue::QueueStats queueStats() {
    auto stats = finish(queue->stats());
    EXPECT_TRUE(stats) << stats.error().describe();
    return stats ? *stats : queue::QueueStats{};
  }
  long count(const std::string& event) const {
    return std::count(events.begin(), events.end(), event);
  }

  std::unique_ptr<test::RedisServer> redis;
  std::unique_ptr<service::BroadcastService> service;
  std::unique_ptr<queue::RedisQueue> queue;
  std::unique_ptr<Worker> worker;
  std::vector<std::string> events;
  std::vector<JobEvent> jobs;
  std::vector<std::pair<std::string, std::string>> errors;
};

TEST_F(WorkerTest, StartJobRunsUntilAViewerDecodesAndTheStopJobLeavesJanusClean) {
  startWorker();
  produceStart(pattern("wk-1", 9901, janus->streamingAdminKey()));
  ASSERT_TRUE(jobsSettled(1)) << janus->logTail();
  ASSERT_EQ(worker->stats().done, 1) << (errors.empty() ? "" : errors.back().second);

  auto result = service->orchestrator()->result("wk-1");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->state, RunState::Running);
  ASSERT_TRUE(result->queue) << "queue_info: where the broadcast came from";
  EXPECT_EQ(result->queue->kind, model::QueueKind::Redis);
  EXPECT_EQ(result->queue->jobId, result->queue->messageId) << "named after its entry";
  EXPECT_EQ(result->queue->attempt, 0);
  ASSERT_TRUE(result->health) << "the broadcast's own health";
  EXPECT_TRUE(result->health->healthy);
  EXPECT_FALSE(result->health->media.empty());
  const std::string payload = json::Value::of(result->toPayload()).toString();
  EXPECT_NE(payload.find(R"("queue_info":{"kind":"redis")"), std::string::npos) << payload;
  EXPECT_NE(payload.find(R"("mountpoint_response":)"), std::string::npos) << payload;
  EXPECT_TRUE(viewerDecodes(9901));

  produceStop("wk-1");
  ASSERT_TRUE(jobsSettled(2));
  EXPECT_EQ(worker->stats().done, 2);
  EXPECT_EQ(service->orchestrator()->result("wk-1")->state, RunState::Stopped);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
  EXPECT_EQ(queueStats().lag(), 0);
}

TEST_F(WorkerTest, RedeliveredStartProvisionsOnceAndAnOlderStartNeverUndoesAStop) {
  startWorker({.consumer = "in-process"}, {.concurrency = 2, .claimWait = 500ms});
  const std::string request = pattern("wk-2", 9902, janus->streamingAdminKey());
  produceStart(request);
  produceStart(request);  // the same start again, as a producer retrying would
  ASSERT_TRUE(jobsSettled(2));
  EXPECT_EQ(worker->stats().done, 2);
  EXPECT_EQ(count("mountpoint_created"), 1) << "provisioned twice";
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9902});

  // A stop, then a start enqueued before it but delivered after (a retried one): not run.
  const std::int64_t before = queue::nowMs() - 1000;
  produceStop("wk-2");
  ASSERT_TRUE(jobsSettled(3));
  produce(R"({"action":"start_broadcast","enqueued_at_ms":)" + std::to_string(before) +
          R"(,"request":)" + request + "}");
  ASSERT_TRUE(jobsSettled(4));
  EXPECT_TRUE(std::any_of(jobs.begin(), jobs.end(),
                          [](const JobEvent& event) { return event.what == "superseded"; }));
  EXPECT_EQ(count("mountpoint_created"), 1);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

TEST_F(WorkerTest, PoisonAndGarbageReachTheDeadLetterAndTheWorkerGoesOn) {
  startWorker({.consumer = "in-process", .maxAttempts = 2});
  produceStart(pattern("wk-poison", 9903, "not-the-admin-key"));
  produce("{oops");
  ASSERT_FALSE(redis->cli({"XADD", "jobs", "*", "nojob", "1"}).empty());
  produceStop("nothing-here");  // after all that, a good job still runs
  ASSERT_TRUE(jobsSettled(5));

  const WorkerStats& stats = worker->stats();
  EXPECT_EQ(stats.done, 1) << "the stop of a broadcast not here is done";
  EXPECT_EQ(stats.deadLettered, 3);
  EXPECT_EQ(stats.failed, 4) << "the poison job twice, the garbage once each";
  auto letters = finish(queue->deadLetters(10));
  ASSERT_TRUE(letters);
  ASSERT_EQ(letters->size(), 3u);
  std::map<std::string, queue::DeadLetter> byPhase;
  for (const auto& letter : *letters)
    byPhase[letter.phase + (letter.payload.starts_with("{oops") ? "-oops" : "")] = letter;
  ASSERT_TRUE(byPhase.contains("worker_job"));
  EXPECT_EQ(byPhase["worker_job"].attempts, 2);
  EXPECT_NE(byPhase["worker_job"].error.find("wk-poison"), std::string::npos)
      << byPhase["worker_job"].error;
  EXPECT_EQ(byPhase["worker_job"].error.find("not-the-admin-key"), std::string::npos)
      << "secrets stay out of dead letters";
  ASSERT_TRUE(byPhase.contains("decode-oops"));
  ASSERT_TRUE(byPhase.contains("decode"));
  EXPECT_NE(byPhase["decode"].error.find("no `job` field"), std::string::npos);
  EXPECT_TRUE(std::any_of(errors.begin(), errors.end(),
                          [](const auto& error) { return error.first == "worker_job"; }));
  EXPECT_TRUE(mountpointIds(*streaming).empty());
  EXPECT_EQ(queueStats().lag(), 0);
}

TEST_F(WorkerTest, RedisKilledAndRestartedMidRunLosesNothingAndTheWorkerReconnects) {
  redis = test::RedisServer::start({.persistent = true});
  ASSERT_TRUE(redis);
  startWorker();
  produceStart(pattern("wk-5", 9905, janus->streamingAdminKey()));
  ASSERT_TRUE(jobsSettled(1));
  ASSERT_EQ(worker->stats().done, 1);

  redis->kill();
  ASSERT_TRUE(runUntil([&] { return worker->stats().queueError.has_value(); }, 10s))
      << "the worker does not notice that the queue is gone";
  EXPECT_TRUE(std::any_of(errors.begin(), errors.end(),
                          [](const auto& error) { return error.first == "queue"; }));
  EXPECT_EQ(service->orchestrator()->result("wk-5")->state, RunState::Running)
      << "the broadcast does not depend on the queue";
  ASSERT_TRUE(redis->restart()) << redis->logTail();
  produceStop("wk-5");
  ASSERT_TRUE(jobsSettled(2, 40s)) << "the worker did not come back by itself";
  EXPECT_EQ(worker->stats().done, 2);
  EXPECT_FALSE(worker->stats().queueError);
  EXPECT_TRUE(mountpointIds(*streaming).empty());
  EXPECT_EQ(queueStats().lag(), 0) << "the start's acknowledgement survived the restart too";
}

TEST_F(WorkerTest, KilledWorkersStartIsReclaimedTakenOverAndRunOnce) {
  auto rtmp = test::RtmpServer::start();
  ASSERT_TRUE(rtmp);
  const std::string request =
      R"({"source_kind":"rtmp_external","broadcast_id":"wk-orphan","srs":{"rtmp_url":"rtmp://127.0.0.1:)" +
      std::to_string(rtmp->port()) +
      R"(","app":"live","stream_key":"orphan"},"mountpoint_spec":{"id":9904,"secret":"wk-secret",)" +
      R"("admin_key":")" + janus->streamingAdminKey() +
      R"(","media":[{"type":"audio","codec":"opus"},{"type":"video","codec":"h264"}]}})";

  // A worker process claims the start; nobody publishes yet, so it waits for media.
  test::ServiceProcess doomed("worker-doomed");
  ASSERT_TRUE(doomed.start({test::cliPath(), "worker", "--queue",
                            "redis://127.0.0.1:" + std::to_string(redis->port()) +
                                "/0?stream=jobs&visibility_ms=3000&consumer=doomed",
                            "--janus-url", janus->url(), "--media-timeout", "120000"}));
  produceStart(request);
  ASSERT_TRUE(runUntil([&] { return !mountpointIds(*streaming).empty(); }, 20s))
      << doomed.logTail();
  doomed.kill();  // holding the job, with its mountpoint made

  // Another worker takes it over after the visibility timeout and runs it to the end.
  startWorker({.consumer = "rescuer", .visibilityTimeout = 3s});
  auto publisher = test::RtmpPublisher::start(rtmp->url("orphan"));
  ASSERT_TRUE(publisher);
  ASSERT_TRUE(jobsSettled(1, 60s));
  EXPECT_EQ(worker->stats().done, 1) << (errors.empty() ? "" : errors.back().second);
  ASSERT_FALSE(jobs.empty());
  EXPECT_EQ(count("mountpoint_taken_over"), 1);
  auto result = service->orchestrator()->result("wk-orphan");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->state, RunState::Running);
  EXPECT_EQ(mountpointIds(*streaming), std::vector<std::int64_t>{9904});
  EXPECT_TRUE(viewerDecodes(9904));
  queue::QueueStats stats = queueStats();
  EXPECT_EQ(stats.lag(), 0) << "run once: nothing pending, nothing waiting";

  produceStop("wk-orphan");
  ASSERT_TRUE(jobsSettled(2));
  EXPECT_TRUE(mountpointIds(*streaming).empty());
}

}  // namespace
}  // namespace su::worker
