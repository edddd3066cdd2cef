// queue-bench: jobs per second through the queues (enqueue, then claim and ack with a no-op
// handler) and the latency from an enqueue to the claim of a consumer waiting on an idle queue,
// on a real redis-server and on librdkafka's mock cluster; redis-benchmark's XADD rate on the
// same server as the ceiling. See bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "core/init.hpp"
#include "queue/kafka_queue.hpp"
#include "queue/redis_queue.hpp"
#include "support/kafka_mock.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"

namespace {

using namespace std::chrono_literals;
using su::Milliseconds;
using su::Result;
using su::Task;
using su::queue::JobQueue;

int fail(const std::string& message) {
  std::fprintf(stderr, "queue-bench: %s\n", message.c_str());
  return 1;
}

double seconds() {
  return static_cast<double>(g_get_monotonic_time()) / 1e6;
}

// Runs `task` on `context` until it finishes.
template <typename T>
Result<T> finish(GMainContext* context, Task<T> task) {
  std::optional<Result<T>> result;
  task.start(context, [&](Result<T> done) { result.emplace(std::move(done)); });
  while (!result)
    g_main_context_iteration(context, TRUE);
  return std::move(*result);
}

su::model::JobEnvelope job(int i) {
  return su::model::JobEnvelope::stop("bench-" + std::to_string(i));
}

Task<void> produce(JobQueue& queue, int from, int count) {
  for (int i = from; i < from + count; ++i) {
    auto id = co_await queue.enqueue(job(i));
    if (!id) co_return id.error();
  }
  co_return {};
}

// `producers` tasks side by side, `jobs` in all: jobs per second.
Result<double> enqueueRate(GMainContext* context, JobQueue& queue, int jobs, int producers) {
  std::vector<Task<void>> tasks;
  int left = producers;
  std::optional<su::Error> error;
  const double start = seconds();
  for (int p = 0; p < producers; ++p) {
    tasks.push_back(produce(queue, p * (jobs / producers), jobs / producers));
    tasks.back().start(context, [&](Result<void> done) {
      if (!done) error = done.error();
      --left;
    });
  }
  while (left > 0)
    g_main_context_iteration(context, TRUE);
  if (error) return *error;
  return (jobs / producers * producers) / (seconds() - start);
}

Task<int> drain(JobQueue& queue, int jobs) {
  int done = 0;
  while (done < jobs) {
    auto claimed = co_await queue.claim(Milliseconds(2000));
    if (!claimed) co_return claimed.error();
    if (!*claimed) break;
    if (auto acked = co_await queue.ack(**claimed); !acked) co_return acked.error();
    ++done;
  }
  co_return done;
}

// One consumer, claim then ack each (a no-op handler): jobs per second.
Result<double> claimAckRate(GMainContext* context, JobQueue& queue, int jobs) {
  const double start = seconds();
  auto done = finish(context, drain(queue, jobs));
  if (!done) return done.error();
  if (*done < jobs) {
    return su::Error{G_IO_ERROR,
                     G_IO_ERROR_FAILED,
                     "only " + std::to_string(*done) + " of " + std::to_string(jobs) + " came",
                     {}};
  }
  return jobs / (seconds() - start);
}

// A consumer waits on an idle queue; a job is enqueued: the time from the enqueue's start to
// the claim's return, `samples` times, in milliseconds.
Result<std::vector<double>> claimLatency(GMainContext* context, JobQueue& producer,
                                         JobQueue& consumer, int samples) {
  std::vector<double> latencies;
  for (int i = 0; i < samples; ++i) {
    std::optional<Result<std::optional<su::queue::Delivery>>> claimed;
    Task<std::optional<su::queue::Delivery>> waiting = consumer.claim(Milliseconds(5000));
    waiting.start(context, [&](auto result) { claimed.emplace(std::move(result)); });
    // Let the claim reach its blocking read.
    const double settle = seconds() + 0.02;
    while (seconds() < settle)
      g_main_context_iteration(context, FALSE);
    const double start = seconds();
    Task<std::string> enqueue = producer.enqueue(job(100000 + i));
    enqueue.start(context);
    while (!claimed)
      g_main_context_iteration(context, TRUE);
    const double end = seconds();
    if (!*claimed) return claimed->error();
    if (!**claimed) return su::Error{G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no job within 5 s", {}};
    latencies.push_back((end - start) * 1000);
    if (auto acked = finish(context, consumer.ack(***claimed)); !acked) return acked.error();
  }
  std::sort(latencies.begin(), latencies.end());
  return latencies;
}

double percentile(const std::vector<double>& sorted, double p) {
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * sorted.size()))];
}

struct Row {
  std::string backend;
  double enqueue = 0;
  double claimAck = 0;
  std::vector<double> latency;
};

void print(const Row& row) {
  std::printf("| %s | %.0f | %.0f | %.2f | %.2f |\n", row.backend.c_str(), row.enqueue,
              row.claimAck, percentile(row.latency, 0.5), percentile(row.latency, 0.99));
}

// redis-benchmark's XADD rate on the same server: `clients` connections, no pipelining.
double xaddCeiling(const su::test::RedisServer& redis, int jobs, int clients) {
  auto run =
      su::test::runArgv({"redis-benchmark", "-p", std::to_string(redis.port()), "-q", "-n",
                         std::to_string(jobs), "-c", std::to_string(clients), "XADD", "ceiling",
                         "*", "job", R"({"action":"stop_broadcast","broadcast_id":"bench-0"})"},
                        std::nullopt);
  // "XADD ceiling * job ...: 41666.67 requests per second, p50=..."
  const auto colon = run.out.rfind(": ");
  return colon == std::string::npos ? 0 : std::atof(run.out.c_str() + colon + 2);
}

}  // namespace

int main(int argc, char** argv) {
  int jobs = 5000;
  int producers = 16;
  int samples = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--jobs") jobs = std::stoi(argv[i + 1]);
    if (option == "--producers") producers = std::stoi(argv[i + 1]);
    if (option == "--samples") samples = std::stoi(argv[i + 1]);
  }
  if (auto initialised = su::init(); !initialised) return fail(initialised.error().message);
  g_setenv("SU_KAFKA_MOCK", SU_KAFKA_MOCK_PATH, FALSE);
  GMainContext* context = g_main_context_new();
  g_main_context_push_thread_default(context);
  std::printf("%s\n\n", su::bench::machine().c_str());
  std::printf("%d jobs (%d producers side by side), claim latency over %d samples\n\n", jobs,
              producers, samples);
  std::printf("| backend | enqueue jobs/s | claim+ack jobs/s | claim latency p50 ms | p99 ms |\n");
  std::printf("| --- | --- | --- | --- | --- |\n");

  auto redis = su::test::RedisServer::start();
  if (!redis) return fail("redis-server did not start");
  {
    su::queue::RedisQueueConfig config{.address = {.port = redis->port()}, .stream = "bench"};
    su::queue::RedisQueue producer(context, config, {.consumer = "producer"});
    su::queue::RedisQueue consumer(context, config, {.consumer = "consumer"});
    Row row{.backend = "Redis Streams (hiredis)"};
    auto enqueued = enqueueRate(context, producer, jobs, producers);
    if (!enqueued) return fail(enqueued.error().message);
    row.enqueue = *enqueued;
    auto drained = claimAckRate(context, consumer, jobs / producers * producers);
    if (!drained) return fail(drained.error().message);
    row.claimAck = *drained;
    auto latency = claimLatency(context, producer, consumer, samples);
    if (!latency) return fail(latency.error().message);
    row.latency = *latency;
    print(row);
  }

  auto kafka = su::test::KafkaMock::start({"bench:1", "bench.dead:1"});
  if (!kafka) return fail("kafka-mock did not start");
  {
    su::queue::KafkaQueueConfig config{.brokers = kafka->brokers(), .topic = "bench"};
    auto producer = su::queue::KafkaQueue::open(context, config, {.consumer = "producer"});
    auto consumer = su::queue::KafkaQueue::open(context, config, {.consumer = "consumer"});
    if (!producer || !consumer) return fail("cannot open the Kafka queue");
    Row row{.backend = "Kafka (librdkafka, mock cluster)"};
    auto enqueued = enqueueRate(context, **producer, jobs, producers);
    if (!enqueued) return fail(enqueued.error().message);
    row.enqueue = *enqueued;
    // The first claim joins the group (seconds on the mock cluster): not counted.
    auto first = finish(context, (*consumer)->claim(Milliseconds(20000)));
    if (!first || !*first) return fail("the consumer got no job");
    (void)finish(context, (*consumer)->ack(**first));
    auto drained = claimAckRate(context, **consumer, jobs / producers * producers - 1);
    if (!drained) return fail(drained.error().message);
    row.claimAck = *drained;
    auto latency = claimLatency(context, **producer, **consumer, samples);
    if (!latency) return fail(latency.error().message);
    row.latency = *latency;
    print(row);
  }

  std::printf(
      "\nCeiling: redis-benchmark XADD on the same server, %d requests: "
      "%.0f/s with 1 client, %.0f/s with 50 clients\n",
      jobs, xaddCeiling(*redis, jobs, 1), xaddCeiling(*redis, jobs, 50));
  g_main_context_pop_thread_default(context);
  g_main_context_unref(context);
  return 0;
}
