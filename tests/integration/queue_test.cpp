// The queue backends' shared semantics, on the in-memory queue and on a real redis-server: claim,
// ack, requeue with the attempt counted, the dead letter (for failures and for garbage), the
// visibility timeout and touch, lag. Then what only Redis has: URLs with passwords, a server
// killed and restarted, the blocking read, a lag Redis cannot tell, and a peer posing as Redis
// that announces a billion-element reply.
#include <gio/gio.h>
#include <gtest/gtest.h>

#include "queue/memory_queue.hpp"
#include "queue/queue_url.hpp"
#include "queue/redis_queue.hpp"
#include "support/janus_server.hpp"
#include "support/main_context_test.hpp"
#include "support/redis_server.hpp"
#include "support/test_data.hpp"

namespace su::queue {
namespace {

using namespace std::chrono_literals;

class QueueFixture : public test::MainContextTest {
 protected:
  Delivery claimOk(JobQueue& queue, Milliseconds wait = 2s) {
    auto claimed = finish(queue.claim(wait));
    EXPECT_TRUE(claimed) << claimed.error().describe();
    EXPECT_TRUE(claimed && *claimed) << "no job was claimed";
    return claimed && *claimed ? std::move(**claimed) : Delivery{};
  }
};

// The backend a test runs on: a fresh queue (and its server) per test, and more consumers of the
// same group.
class QueueTest : public QueueFixture, public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    QueueFixture::SetUp();
    if (backend() != "memory") {
      redis_ = test::RedisServer::start({.tls = backend() == "rediss"});
      ASSERT_TRUE(redis_) << "redis-server did not start";
    }
    queue_ = consumer("one");
  }

  std::string backend() const { return GetParam(); }

  std::unique_ptr<JobQueue> consumer(const std::string& name, Milliseconds visibility = 60s) {
    QueueOptions options{.consumer = name, .maxAttempts = 3, .visibilityTimeout = visibility};
    if (backend() == "memory") {
      if (!store_) store_ = std::make_shared<MemoryStore>();
      return std::make_unique<MemoryQueue>(options, store_);
    }
    RedisQueueConfig config{.address = redis_->address(), .stream = "jobs", .group = "g"};
    return std::make_unique<RedisQueue>(context(), config, options);
  }

  QueueStats statsOk() {
    auto stats = finish(queue_->stats());
    EXPECT_TRUE(stats) << stats.error().describe();
    return stats ? *stats : QueueStats{};
  }

  std::unique_ptr<test::RedisServer> redis_;
  std::shared_ptr<MemoryStore> store_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_P(QueueTest, EnqueuedJobIsClaimedOnceAndAcknowledged) {
  auto id = finish(queue_->enqueue(model::JobEnvelope::stop("b1")));
  ASSERT_TRUE(id) << id.error().describe();
  EXPECT_EQ(statsOk().lag(), 1);

  Delivery delivery = claimOk(*queue_);
  EXPECT_EQ(delivery.messageId, *id);
  ASSERT_TRUE(delivery.job) << delivery.decodeError->describe();
  EXPECT_EQ(delivery.job->broadcastId, "b1");
  EXPECT_EQ(delivery.job->jobId, *id) << "a job without job_id is named after its message";
  EXPECT_EQ(delivery.job->queueKind, queue_->kind());
  EXPECT_TRUE(delivery.job->enqueuedAtMs);
  QueueStats claimed = statsOk();
  EXPECT_EQ(claimed.waiting, 0);
  EXPECT_EQ(claimed.pending, 1);
  ASSERT_EQ(claimed.consumers.size(), 1u);
  EXPECT_EQ(claimed.consumers[0].name, "one");

  // Nobody else gets it while it is claimed.
  auto other = consumer("two");
  auto nothing = finish(other->claim(300ms));
  ASSERT_TRUE(nothing) << nothing.error().describe();
  EXPECT_FALSE(*nothing);

  ASSERT_TRUE(finish(queue_->ack(delivery)));
  EXPECT_EQ(statsOk().lag(), 0);
  auto again = finish(queue_->ack(delivery));
  EXPECT_FALSE(again) << "a second ack of the same message";
}

TEST_P(QueueTest, FailedJobIsRequeuedWithItsAttemptThenDeadLettered) {
  ASSERT_TRUE(finish(queue_->enqueue(model::JobEnvelope::stop("poison"))));
  for (int attempt = 0; attempt < 3; ++attempt) {
    Delivery delivery = claimOk(*queue_);
    ASSERT_TRUE(delivery.job);
    EXPECT_EQ(delivery.job->attempt, attempt);
    if (attempt > 0) {
      EXPECT_EQ(delivery.job->lastError.value_or(""), "boom " + std::to_string(attempt - 1));
      EXPECT_EQ(delivery.job->lastPhase.value_or(""), "worker_job");
    }
    auto outcome = finish(queue_->nack(
        delivery, Error{G_IO_ERROR, G_IO_ERROR_FAILED, "boom " + std::to_string(attempt), {}},
        "worker_job"));
    ASSERT_TRUE(outcome) << outcome.error().describe();
    EXPECT_EQ(*outcome, attempt < 2 ? NackOutcome::Requeued : NackOutcome::DeadLettered);
  }
  auto nothing = finish(queue_->claim(200ms));
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing) << "a dead job is not handed out again";

  QueueStats stats = statsOk();
  EXPECT_EQ(stats.lag(), 0);
  EXPECT_EQ(stats.deadLetters, 1);
  auto letters = finish(queue_->deadLetters(10));
  ASSERT_TRUE(letters);
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].attempts, 3);
  EXPECT_EQ((*letters)[0].phase, "worker_job");
  EXPECT_NE((*letters)[0].error.find("boom 2"), std::string::npos) << (*letters)[0].error;
  auto buried = model::JobEnvelope::fromPayload((*letters)[0].payload);
  ASSERT_TRUE(buried) << "the dead letter keeps the job as delivered";
  EXPECT_EQ(buried->broadcastId, "poison");
}

TEST_P(QueueTest, GarbageGoesStraightToTheDeadLetterWithItsDecodingErrors) {
  ASSERT_TRUE(finish(queue_->push("k", R"({"action":"launch","version":1})")));
  Delivery delivery = claimOk(*queue_);
  EXPECT_FALSE(delivery.job);
  ASSERT_TRUE(delivery.decodeError);
  EXPECT_NE(delivery.decodeError->describe().find("action"), std::string::npos)
      << delivery.decodeError->describe();
  auto outcome = finish(queue_->nack(delivery, *delivery.decodeError, "decode"));
  ASSERT_TRUE(outcome);
  EXPECT_EQ(*outcome, NackOutcome::DeadLettered);
  auto letters = finish(queue_->deadLetters(10));
  ASSERT_TRUE(letters && letters->size() == 1u);
  EXPECT_EQ((*letters)[0].payload, R"({"action":"launch","version":1})");
  EXPECT_EQ((*letters)[0].phase, "decode");
  EXPECT_EQ(statsOk().lag(), 0);
}

TEST_P(QueueTest, JobOfAQuietConsumerIsReclaimedAfterTheVisibilityTimeout) {
  // Slower under the sanitizers (a TLS handshake among them): the times scale.
  const auto visibility = 600ms * timeScale();
  queue_ = consumer("dies", visibility);
  auto rescuer = consumer("rescuer", visibility);
  ASSERT_TRUE(finish(queue_->enqueue(model::JobEnvelope::stop("orphan"))));
  Delivery taken = claimOk(*queue_);

  // Touched, it stays its consumer's.
  for (int i = 0; i < 3; ++i) {
    runFor(visibility / 2);
    ASSERT_TRUE(finish(queue_->touch(taken)));
    auto none = finish(rescuer->claim(10ms));
    ASSERT_TRUE(none) << none.error().describe();
    EXPECT_FALSE(*none) << "reclaimed although its consumer kept touching it";
  }

  // Its consumer goes quiet: another one takes it over, once.
  Delivery reclaimed = claimOk(*rescuer, 3s);
  EXPECT_TRUE(reclaimed.reclaimed);
  EXPECT_EQ(reclaimed.messageId, taken.messageId);
  ASSERT_TRUE(reclaimed.job);
  EXPECT_EQ(reclaimed.job->broadcastId, "orphan");
  ASSERT_TRUE(finish(rescuer->ack(reclaimed)));
  EXPECT_EQ(statsOk().lag(), 0);
}

TEST_P(QueueTest, AJobThatKeepsKillingItsWorkersGoesToTheDeadLetter) {
  // Handed out max_attempts (3) times, each worker going quiet: not handed to a fourth.
  ASSERT_TRUE(finish(queue_->enqueue(model::JobEnvelope::stop("deadly"))));
  std::vector<std::unique_ptr<JobQueue>> workers;
  for (int delivery = 1; delivery <= 3; ++delivery) {
    workers.push_back(consumer("victim-" + std::to_string(delivery), 300ms));
    Delivery taken = claimOk(*workers.back(), 3s);
    EXPECT_EQ(taken.reclaimed, delivery > 1);
  }
  auto survivor = consumer("survivor", 300ms);
  auto none = finish(survivor->claim(1500ms));
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_FALSE(*none) << "handed to a fourth worker";
  auto letters = finish(queue_->deadLetters(10));
  ASSERT_TRUE(letters && letters->size() == 1u);
  EXPECT_EQ((*letters)[0].phase, "reclaim");
  EXPECT_NE((*letters)[0].error.find("handed out 4 times"), std::string::npos)
      << (*letters)[0].error;
  EXPECT_EQ(statsOk().lag(), 0);
}

TEST_P(QueueTest, BlockedClaimWakesForANewJob) {
  std::optional<Result<std::optional<Delivery>>> claimed;
  Task<std::optional<Delivery>> waiting = queue_->claim(30s);
  waiting.start(context(), [&](auto result) { claimed.emplace(std::move(result)); });
  runFor(200ms);
  auto producer = consumer("producer");
  ASSERT_TRUE(finish(producer->enqueue(model::JobEnvelope::stop("late"))));
  ASSERT_TRUE(runUntil([&] { return claimed.has_value(); }, 10s))
      << "the waiting claim did not wake for the new job";
  ASSERT_TRUE(*claimed);
  ASSERT_TRUE(**claimed);
  EXPECT_EQ((**claimed)->job->broadcastId, "late");
}

// rediss: the same over TLS, to a Redis that asks for a client certificate.
INSTANTIATE_TEST_SUITE_P(Backends, QueueTest, ::testing::Values("memory", "redis", "rediss"),
                         [](const auto& param) { return std::string(param.param); });

// --- Redis only ---------------------------------------------------------------------------------

using RedisQueueTest = QueueFixture;

// What a real Redis cannot be made to send: every connection gets `reply` at once.
class CannedReplyServer {
 public:
  explicit CannedReplyServer(std::string reply) : reply_(std::move(reply)) {
    service_ = GRef<GSocketService>::adopt(g_socket_service_new());
    auto loopback = GRef<GInetAddress>::adopt(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
    auto address = GRef<GSocketAddress>::adopt(g_inet_socket_address_new(loopback.get(), 0));
    GSocketAddress* bound = nullptr;
    g_socket_listener_add_address(G_SOCKET_LISTENER(service_.get()), address.get(),
                                  G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr, &bound,
                                  nullptr);
    if (bound) {
      port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
      g_object_unref(bound);
    }
    g_signal_connect(service_.get(), "incoming", G_CALLBACK(&CannedReplyServer::onIncoming), this);
  }
  ~CannedReplyServer() { g_socket_service_stop(service_.get()); }
  std::uint16_t port() const noexcept { return port_; }

 private:
  static gboolean onIncoming(GSocketService*, GSocketConnection* connection, GObject*,
                             gpointer data) {
    auto* self = static_cast<CannedReplyServer*>(data);
    self->connections_.push_back(GRef<GSocketConnection>::ref(connection));
    GOutputStream* out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
    g_output_stream_write_all(out, self->reply_.data(), self->reply_.size(), nullptr, nullptr,
                              nullptr);  // a few bytes: the socket buffer takes them at once
    return TRUE;
  }

  std::string reply_;
  GRef<GSocketService> service_;
  std::uint16_t port_ = 0;
  std::vector<GRef<GSocketConnection>> connections_;
};

TEST_F(RedisQueueTest, UrlWithPasswordWorksAndNeverShowsIt) {
  auto redis = test::RedisServer::start({.password = "s3cret-pw"});
  ASSERT_TRUE(redis);
  auto url = parseQueueUrl(redis->url("jobs") + "&consumer=c1&max_attempts=5");
  ASSERT_TRUE(url) << url.error().describe();
  EXPECT_EQ(url->options.consumer, "c1");
  EXPECT_EQ(url->options.maxAttempts, 5);
  auto queue = openQueue(context(), *url);
  ASSERT_TRUE(queue);
  EXPECT_EQ((*queue)->name().find("s3cret"), std::string::npos) << (*queue)->name();
  ASSERT_TRUE(finish((*queue)->enqueue(model::JobEnvelope::stop("b"))));
  auto stats = finish((*queue)->stats());
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->waiting, 1);
  EXPECT_EQ(stats->toJson().toString().find("s3cret"), std::string::npos);

  // An ACL user (AUTH user password), with a password that needs escaping in the URL.
  ASSERT_EQ(redis->cli({"ACL", "SETUSER", "worker", "on", ">p@ss:w/rd", "~*", "&*", "+@all"}),
            "OK\n");
  auto acl =
      parseQueueUrl("redis://worker:p%40ss%3Aw%2Frd@127.0.0.1:" + std::to_string(redis->port()) +
                    "/0?stream=jobs");
  ASSERT_TRUE(acl) << acl.error().describe();
  EXPECT_EQ(acl->redis.address.user, "worker");
  EXPECT_EQ(acl->redis.address.password, "p@ss:w/rd");
  auto asWorker = openQueue(context(), *acl);
  ASSERT_TRUE(asWorker);
  auto statsAsWorker = finish((*asWorker)->stats());
  ASSERT_TRUE(statsAsWorker) << statsAsWorker.error().describe();
  EXPECT_EQ(statsAsWorker->waiting, 1);

  // A wrong password: a clear error, without either password in it.
  auto wrong = parseQueueUrl("redis://:not-it@127.0.0.1:" + std::to_string(redis->port()) + "/0");
  ASSERT_TRUE(wrong);
  auto refused = finish((*openQueue(context(), *wrong))->enqueue(model::JobEnvelope::stop("b")));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("AUTH"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("not-it"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("s3cret"), std::string::npos);
}

TEST_F(RedisQueueTest, BadUrlsAreRefusedClearly) {
  for (const char* bad :
       {"redis://", "redis://h/notadb", "redis://h/0?stream=", "redis://h/0?x=1", "kafka:///t",
        "rediss://h/0?tls_ca", "redis://h/0?tls_ca=x", "amqp://h", "memory:?max_attempts=0"}) {
    auto url = parseQueueUrl(bad);
    EXPECT_FALSE(url) << bad;
    if (!url) {
      EXPECT_FALSE(url.error().message.empty());
    }
  }
  auto kafka = parseQueueUrl("kafka://127.0.0.1:9092,127.0.0.1:9093/jobs?group=w");
  ASSERT_TRUE(kafka) << kafka.error().describe();
  EXPECT_EQ(kafka->kafka.brokers, "127.0.0.1:9092,127.0.0.1:9093");
  EXPECT_EQ(kafka->kafka.topic, "jobs");
  EXPECT_EQ(kafka->kafka.group, "w");
}

TEST_F(RedisQueueTest, UnreachableServerIsAnErrorNotAHang) {
  const std::uint16_t port = test::freeTcpPort();
  RedisQueue queue(context(), {.address = {.port = port}}, {.connectTimeout = 2s});
  auto claimed = finish(queue.claim(1s));
  ASSERT_FALSE(claimed);
  EXPECT_EQ(claimed.error().code, static_cast<int>(QueueError::Unreachable))
      << claimed.error().describe();
}

TEST_F(RedisQueueTest, KilledAndRestartedServerLosesNothingAndTheQueueReconnects) {
  auto redis = test::RedisServer::start({.persistent = true});
  ASSERT_TRUE(redis);
  RedisQueue queue(context(), {.address = {.port = redis->port()}, .stream = "jobs"},
                   {.consumer = "w"});
  ASSERT_TRUE(finish(queue.enqueue(model::JobEnvelope::stop("first"))));
  ASSERT_TRUE(finish(queue.enqueue(model::JobEnvelope::stop("second"))));
  Delivery first = claimOk(queue);  // claimed, not acknowledged when Redis dies

  redis->kill();
  auto during = finish(queue.claim(500ms));
  EXPECT_FALSE(during) << "a claim while Redis is down is an error";
  ASSERT_TRUE(redis->restart()) << redis->logTail();

  // The claimed job is still pending (the worker that runs it acknowledges it when done), the
  // other one still waits: the queue reconnects by itself.
  auto after = finish(queue.stats());
  ASSERT_TRUE(after) << after.error().describe();
  EXPECT_EQ(after->pending, 1);
  EXPECT_EQ(after->waiting, 1);
  ASSERT_TRUE(finish(queue.ack(first)));
  Delivery second = claimOk(queue);
  ASSERT_TRUE(second.job);
  EXPECT_EQ(second.job->broadcastId, "second");
  ASSERT_TRUE(finish(queue.ack(second)));
  auto stats = finish(queue.stats());
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->lag(), 0);
}

TEST_F(RedisQueueTest, WaitingIsCountedWhenRedisCannotTellTheLag) {
  auto redis = test::RedisServer::start();
  ASSERT_TRUE(redis);
  RedisQueue queue(context(), {.address = {.port = redis->port()}, .stream = "jobs"},
                   {.consumer = "w"});
  ASSERT_TRUE(finish(queue.enqueue(model::JobEnvelope::stop("first"))));
  ASSERT_TRUE(finish(queue.ack(claimOk(queue))));
  // More entries than one page of the count, then one deleted in the middle: XINFO's lag is nil.
  ASSERT_EQ(redis->cli({"EVAL",
                        "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'job', "
                        "'{}') end return redis.call('XLEN', KEYS[1])",
                        "1", "jobs", "12345"}),
            "12346\n");
  const std::string middle = redis->cli({"EVAL",
                                         "return redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', "
                                         "100)[50][1]",
                                         "1", "jobs"});
  ASSERT_EQ(redis->cli({"XDEL", "jobs", middle.substr(0, middle.size() - 1)}), "1\n");
  ASSERT_NE(redis->cli({"XINFO", "GROUPS", "jobs"}).find("lag\n\n"), std::string::npos)
      << "Redis still tells the lag: the test does not reach the count";

  auto stats = finish(queue.stats());
  ASSERT_TRUE(stats) << stats.error().describe();
  EXPECT_EQ(stats->length, 12345);   // the acknowledged first one stays in the stream
  EXPECT_EQ(stats->waiting, 12344);  // every entry after it, counted over two pages
  EXPECT_EQ(stats->pending, 0);
}

// Over TLS, what does not hold is refused with a clear reason, within the connect timeout: a
// server whose certificate another CA signed or that carries another name, a missing client
// certificate, a CA file that is not there, and plain Redis spoken to the TLS port.
TEST_F(RedisQueueTest, TlsThatDoesNotHoldIsRefusedClearly) {
  auto redis = test::RedisServer::start({.tls = true});
  ASSERT_TRUE(redis);
  auto failure = [&](RedisAddress address) {
    RedisQueue queue(context(), {.address = std::move(address)}, {.connectTimeout = 5s});
    const auto started = std::chrono::steady_clock::now();
    auto stats = finish(queue.stats(), 10s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5500ms);
    return stats ? std::string("(it worked)") : stats.error().message;
  };
  // The good connection comes last: GIO resumes a TLS session to the same host and port without
  // checking the certificate again (docs/protocol-quirks.md).
  RedisAddress good = redis->address();
  RedisAddress otherCa = good;
  otherCa.tls->caFile = test::testDataPath("tls/other-ca.pem");
  const std::string untrusted = failure(otherCa);
  EXPECT_NE(untrusted.find("TLS handshake with rediss://127.0.0.1:" +
                           std::to_string(redis->port()) + " failed"),
            std::string::npos)
      << untrusted;

  RedisAddress otherName = good;
  otherName.tls->serverName = "redis.example.org";
  EXPECT_NE(failure(otherName).find("TLS handshake"), std::string::npos);

  RedisAddress anonymous = good;
  anonymous.tls->certificate.reset();
  anonymous.tls->key.reset();
  const std::string noCertificate = failure(anonymous);
  EXPECT_NE(noCertificate.find("rediss://127.0.0.1"), std::string::npos) << noCertificate;
  EXPECT_EQ(noCertificate.find("(it worked)"), std::string::npos);

  RedisAddress plain = good;
  plain.tls.reset();
  const std::string spokePlain = failure(plain);
  EXPECT_NE(spokePlain.find("redis://127.0.0.1"), std::string::npos) << spokePlain;

  auto missing = parseQueueUrl("rediss://127.0.0.1:" + std::to_string(redis->port()) +
                               "/0?tls_ca=/nonexistent/ca.pem");
  ASSERT_TRUE(missing) << missing.error().message;
  auto opened = openQueue(context(), *missing);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("/nonexistent/ca.pem"), std::string::npos)
      << opened.error().message;

  RedisQueue queue(context(), {.address = good}, {});
  auto stats = finish(queue.stats());
  EXPECT_TRUE(stats) << stats.error().message;
}

TEST_F(RedisQueueTest, APeerAnnouncingABillionElementsIsRefusedNotAllocated) {
  // hiredis 0.14 would allocate 8 GB for the element pointers at the header (docs/testing.md).
  CannedReplyServer impostor("*1000000000\r\n");
  RedisQueue queue(context(), {.address = {.port = impostor.port()}}, {.connectTimeout = 5s});
  auto stats = finish(queue.stats());
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().code, static_cast<int>(QueueError::Unreachable))
      << stats.error().describe();
  EXPECT_NE(stats.error().message.find("more than 1048576 array elements"), std::string::npos)
      << stats.error().message;
}

}  // namespace
}  // namespace su::queue
