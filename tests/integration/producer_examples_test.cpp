// The producer examples of README ("Queues and workers"), run as written against the programs a
// user runs: Python (Debian's python3-redis) into a real redis-server and kcat into librdkafka's
// mock cluster, each with a `streaming-utils worker` process that runs the jobs on a real Janus
// until a WebRTC viewer decodes, `queue stats` and `enqueue` from the command line, and a worker
// that drains on SIGTERM.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "json/parse.hpp"
#include "support/janus_test.hpp"
#include "support/kafka_mock.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

// The code block after `<!-- example: NAME -->` in README.md.
std::string readmeExample(const std::string& name) {
  std::ifstream file(g_getenv("SU_README") ? g_getenv("SU_README") : "README.md");
  std::stringstream text;
  text << file.rdbuf();
  const std::string readme = text.str();
  const auto marker = readme.find("<!-- example: " + name + " -->");
  EXPECT_NE(marker, std::string::npos) << "README has no example " << name;
  if (marker == std::string::npos) return "";
  const auto open = readme.find('\n', readme.find("```", marker)) + 1;
  const auto close = readme.find("\n```", open);
  return readme.substr(open, close - open + 1);
}

class ProducerExamplesTest : public JanusStreamingTest {
 protected:
  void TearDown() override {
    worker.reset();
    JanusStreamingTest::TearDown();
  }

  void startWorker(const std::string& queueUrl) {
    worker = std::make_unique<ServiceProcess>("worker");
    ASSERT_TRUE(worker->start({cliPath(), "worker", "--queue", queueUrl, "--janus-url",
                               janus->url(), "--admin-key", janus->streamingAdminKey(),
                               "--consumer", "node-a", "--status-every", "500"}));
  }

  ProcessRun runExample(const std::string& name, const std::string& interpreter) {
    ProcessRun run = runArgv({interpreter, "-"}, readmeExample(name));
    EXPECT_EQ(run.status, 0) << name << ": " << run.err;
    return run;
  }

  JsonObject* statsOf(const std::string& queueUrl, GRef<JsonNode>& holder) {
    ProcessRun stats = runCli({"queue", "stats", "--queue", queueUrl, "--dead", "5"});
    EXPECT_EQ(stats.status, 0) << stats.err;
    auto parsed = json::parse(stats.out);
    EXPECT_TRUE(parsed.ok()) << stats.out;
    if (!parsed) return nullptr;
    holder = std::move(*parsed);
    return json_node_get_object(holder.get());
  }

  // Runs the start example, proves media, then the stop example, and drains the worker.
  // `consumersListed`: the queue can tell its group's members to a process outside the group
  // (librdkafka 2.0's mock cluster cannot).
  void startWatchStop(const std::string& interpreter, const std::string& example,
                      std::int64_t mountpoint, const std::string& queueUrl, bool consumersListed,
                      int jobs = 2) {
    runExample(example, interpreter);
    ASSERT_TRUE(mediaFresh(*streaming, mountpoint, 2, 40s)) << worker->logTail();
    EXPECT_TRUE(viewerDecodes(mountpoint));

    GRef<JsonNode> holder;
    ASSERT_TRUE(runUntil(
        [&] {
          JsonObject* stats = statsOf(queueUrl, holder);
          return stats && json_object_get_int_member(stats, "lag") == 0;
        },
        20s));
    JsonObject* stats = statsOf(queueUrl, holder);
    ASSERT_TRUE(stats);
    EXPECT_EQ(json_object_get_int_member(stats, "dead_letters"), 0);
    JsonArray* consumers = json_object_get_array_member(stats, "consumers");
    if (consumersListed) {
      ASSERT_GE(json_array_get_length(consumers), 1u);
      EXPECT_STREQ(
          json_object_get_string_member(json_array_get_object_element(consumers, 0), "name"),
          "node-a");
    }

    runExample(example + "-stop", interpreter);
    EXPECT_TRUE(runUntil([&] { return mountpointIds(*streaming).empty(); }, 20s))
        << worker->logTail();
    EXPECT_EQ(worker->interrupt(20s, SIGTERM), 0) << worker->logTail();
    EXPECT_NE(worker->logTail().find("drained: " + std::to_string(jobs) + " job(s) done"),
              std::string::npos)
        << worker->logTail();
    EXPECT_EQ(worker->logTail().find(janus->streamingAdminKey()), std::string::npos)
        << "the admin key stays out of the worker's output";
  }

  std::unique_ptr<ServiceProcess> worker;
};

TEST_F(ProducerExamplesTest, PythonProducerOnRedis) {
  auto redis = RedisServer::start();
  ASSERT_TRUE(redis);
  const std::string redisUrl = "redis://127.0.0.1:" + std::to_string(redis->port()) + "/0";
  g_setenv("REDIS_URL", redisUrl.c_str(), TRUE);
  startWorker(redisUrl);

  // An invalid request is refused before it reaches the queue.
  TempFile invalid(R"({"source_kind":"test_pattern","mountpoint_spec":{"media":[]}})");
  ProcessRun refused = runCli({"enqueue", invalid.path(), "--queue", redisUrl});
  EXPECT_EQ(refused.status, 2) << refused.err;
  EXPECT_EQ(redis->cli({"XLEN", "streaming-utils:jobs"}), "0\n");

  // Debian's python3, which python3-redis is for (not whatever python3 comes first in PATH).
  startWatchStop("/usr/bin/python3", "python-producer", 4242, redisUrl, true);
}

TEST_F(ProducerExamplesTest, KcatProducerOnKafka) {
  auto kafka = KafkaMock::start({"streaming-utils.jobs:2", "streaming-utils.jobs.dead:1"});
  ASSERT_TRUE(kafka);
  g_setenv("KAFKA_BROKERS", kafka->brokers().c_str(), TRUE);
  const std::string kafkaUrl =
      "kafka://" + kafka->brokers() + "/streaming-utils.jobs?visibility_ms=6000";
  // streaming-utils's own producer on Kafka: the message id is partition/offset.
  ProcessRun enqueued = runCli({"enqueue", "--stop", "nothing-here", "--queue", kafkaUrl});
  EXPECT_EQ(enqueued.status, 0) << enqueued.err;
  EXPECT_NE(enqueued.out.find("/0\n"), std::string::npos) << enqueued.out;
  startWorker(kafkaUrl);
  startWatchStop("bash", "kcat-producer", 4243, kafkaUrl, false, 3);
}

}  // namespace
}  // namespace su::test
