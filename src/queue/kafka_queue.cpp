#include "queue/kafka_queue.hpp"

#include <fcntl.h>
#include <glib-unix.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "core/log.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::queue

namespace su::queue {

namespace {

constexpr int kQueryTimeoutMs = 5000;

Error kafkaError(QueueError code, const std::string& what, rd_kafka_resp_err_t error) {
  return makeError(code, what + ": " + rd_kafka_err2str(error));
}

// A client configuration: the queue's own properties, then the configured security settings;
// the first property librdkafka refuses is the error (a secret's value never quoted).
using Properties = std::vector<std::pair<std::string, std::string>>;

Result<rd_kafka_conf_t*> configure(const KafkaQueueConfig& config, Properties properties) {
  properties.insert(properties.end(), config.settings.begin(), config.settings.end());
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char reason[256];
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), reason, sizeof reason) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return makeError(QueueError::InvalidUrl,
                       "Kafka setting " + key + ": " +
                           (model::isSecretKey(key) ? "not accepted" : model::redactText(reason)));
    }
  }
  // librdkafka's log lines go to the su-queue category (from its own threads: GStreamer's
  // logging is thread-safe).
  rd_kafka_conf_set_log_cb(
      conf, [](const rd_kafka_t*, int level, const char* facility, const char* message) {
        if (level <= 4) {
          GST_WARNING("librdkafka %s: %s", facility, message);
        } else {
          GST_DEBUG("librdkafka %s: %s", facility, message);
        }
      });
  return conf;
}

Result<rd_kafka_t*> newClient(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char reason[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, reason, sizeof reason);  // owns conf on success
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return makeError(QueueError::InvalidUrl, std::string("Kafka client: ") + reason);
  }
  return rk;
}

// A consumer for one blocking query on a thread of its own (stats, reading dead letters).
Result<rd_kafka_t*> queryClient(const KafkaQueueConfig& config, const std::string& group) {
  auto conf = configure(config, {{"bootstrap.servers", config.brokers},
                                 {"group.id", group},
                                 {"enable.auto.commit", "false"},
                                 {"client.id", "streaming-utils-query"}});
  if (!conf) return conf.error();
  return newClient(RD_KAFKA_CONSUMER, *conf);
}

struct TopicOffsets {
  int partition = 0;
  std::int64_t low = 0;
  std::int64_t high = 0;
};

// Every partition of `topic` with its low and high watermarks; none when it does not exist.
Result<std::vector<TopicOffsets>> watermarks(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t error = rd_kafka_metadata(rk, 0, handle, &metadata, kQueryTimeoutMs);
  rd_kafka_topic_destroy(handle);
  if (error) return kafkaError(QueueError::Unreachable, "Kafka metadata of " + topic, error);
  std::vector<TopicOffsets> offsets;
  if (metadata->topic_cnt == 1 && !metadata->topics[0].err) {
    for (int i = 0; i < metadata->topics[0].partition_cnt; ++i)
      offsets.push_back({.partition = metadata->topics[0].partitions[i].id});
  }
  rd_kafka_metadata_destroy(metadata);
  for (TopicOffsets& partition : offsets) {
    error = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition.partition, &partition.low,
                                             &partition.high, kQueryTimeoutMs);
    if (error) return kafkaError(QueueError::Unreachable, "Kafka offsets of " + topic, error);
  }
  return offsets;
}

// Whether the brokers answer: the topic's metadata and offsets, from a client of its own.
Result<bool> probeBrokers(KafkaQueueConfig config) {
  auto rk = queryClient(config, config.group);
  if (!rk) return rk.error();
  auto answered = watermarks(*rk, config.topic);
  rd_kafka_destroy(*rk);
  if (!answered) return answered.error();
  return true;
}

Result<QueueStats> queryStats(KafkaQueueConfig config, QueueStats stats, std::string consumer,
                              std::int64_t ownPending) {
  auto rk = queryClient(config, config.group);
  if (!rk) return rk.error();
  auto done = [&](Result<QueueStats> result) {
    rd_kafka_destroy(*rk);
    return result;
  };
  auto jobs = watermarks(*rk, config.topic);
  if (!jobs) return done(jobs.error());
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(4);
  for (const TopicOffsets& partition : *jobs)
    rd_kafka_topic_partition_list_add(list, config.topic.c_str(), partition.partition);
  rd_kafka_resp_err_t error =
      jobs->empty() ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_committed(*rk, list, kQueryTimeoutMs);
  if (error) {
    rd_kafka_topic_partition_list_destroy(list);
    return done(kafkaError(QueueError::Unreachable, "Kafka committed offsets", error));
  }
  std::int64_t lag = 0;
  for (const TopicOffsets& partition : *jobs) {
    stats.length += partition.high - partition.low;
    std::int64_t from = partition.low;
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].partition == partition.partition && list->elems[i].offset >= 0) {
        from = std::max(partition.low, list->elems[i].offset);
      }
    }
    lag += std::max<std::int64_t>(0, partition.high - from);
  }
  rd_kafka_topic_partition_list_destroy(list);
  stats.pending = std::min(ownPending, lag);
  stats.waiting = lag - stats.pending;
  if (auto dead = watermarks(*rk, config.deadLetterTopic)) {
    for (const TopicOffsets& partition : *dead)
      stats.deadLetters += partition.high - partition.low;
  }
  // The group's members (what they hold is theirs to tell); this consumer first, with its own.
  if (!consumer.empty()) stats.consumers.push_back({.name = consumer, .pending = ownPending});
  const rd_kafka_group_list* groups = nullptr;
  if (!rd_kafka_list_groups(*rk, config.group.c_str(), &groups, kQueryTimeoutMs)) {
    for (int g = 0; g < groups->group_cnt; ++g) {
      for (int m = 0; m < groups->groups[g].member_cnt; ++m) {
        const std::string name = groups->groups[g].members[m].client_id;
        if (name != consumer) stats.consumers.push_back({.name = name});
      }
    }
    rd_kafka_group_list_destroy(groups);
  }
  return done(stats);
}

Result<std::vector<DeadLetter>> readDeadLetters(KafkaQueueConfig config, std::size_t count) {
  auto rk = queryClient(config, config.group + ".dead-letter-reader");
  if (!rk) return rk.error();
  auto done = [&](Result<std::vector<DeadLetter>> result) {
    rd_kafka_destroy(*rk);
    return result;
  };
  auto offsets = watermarks(*rk, config.deadLetterTopic);
  if (!offsets) return done(offsets.error());
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(4);
  std::map<int, std::int64_t> ends;
  for (const TopicOffsets& partition : *offsets) {
    if (partition.high <= partition.low) continue;
    const std::int64_t from =
        std::max(partition.low, partition.high - static_cast<std::int64_t>(count));
    rd_kafka_topic_partition_list_add(list, config.deadLetterTopic.c_str(), partition.partition)
        ->offset = from;
    ends[partition.partition] = partition.high;
  }
  rd_kafka_assign(*rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<DeadLetter> letters;
  const std::int64_t deadlineUs = g_get_monotonic_time() + kQueryTimeoutMs * 1000;
  while (!ends.empty() && g_get_monotonic_time() < deadlineUs) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(*rk, 200);
    if (!message) continue;
    if (!message->err) {
      DeadLetter letter = DeadLetter::fromValue(
          std::to_string(message->partition) + "/" + std::to_string(message->offset),
          std::string_view(static_cast<const char*>(message->payload), message->len));
      letters.push_back(std::move(letter));
      if (auto end = ends.find(message->partition);
          end != ends.end() && message->offset + 1 >= end->second) {
        ends.erase(end);
      }
    }
    rd_kafka_message_destroy(message);
  }
  std::sort(letters.begin(), letters.end(),
            [](const auto& a, const auto& b) { return a.failedAtMs > b.failedAtMs; });
  if (letters.size() > count) letters.resize(count);
  return done(std::move(letters));
}

// A blocking query on a thread of its own; its result comes back on the awaiting task's context.
template <typename T>
CallbackAwaiter<T> onThread(std::function<Result<T>()> query) {
  return call<T>([query = std::move(query)](Callback<T> done) {
    std::thread([query, done] { done(query()); }).detach();
  });
}

std::optional<std::pair<int, std::int64_t>> partitionAndOffset(const std::string& messageId) {
  int partition = 0;
  long long offset = 0;
  char rest = 0;
  if (std::sscanf(messageId.c_str(), "%d/%lld%c", &partition, &offset, &rest) != 2) {
    return std::nullopt;
  }
  return std::pair<int, std::int64_t>{partition, offset};
}

}  // namespace

bool isKafkaSecuritySetting(std::string_view key) {
  return key == "security.protocol" || (key.starts_with("ssl.") && key.size() > 4) ||
         (key.starts_with("sasl.") && key.size() > 5);
}

// The C callbacks: librdkafka calls them from the polls the control context makes.
struct KafkaTrampolines {
  static void delivered(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* queue = static_cast<KafkaQueue*>(opaque);
    const auto token = reinterpret_cast<std::uintptr_t>(message->_private);
    if (message->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) {
      queue->onDelivered(token, queue->notTaken());
    } else if (message->err) {
      queue->onDelivered(
          token, kafkaError(QueueError::Unreachable, "Kafka did not take the job", message->err));
    } else {
      queue->onDelivered(
          token, std::to_string(message->partition) + "/" + std::to_string(message->offset));
    }
  }
  static void rebalanced(rd_kafka_t* rk, rd_kafka_resp_err_t error,
                         rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* queue = static_cast<KafkaQueue*>(opaque);
    // Lost, not given up: the group's coordinator went unanswered for the session timeout.
    if (error == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && rd_kafka_assignment_lost(rk)) {
      queue->brokersLost_ =
          kafkaError(QueueError::Unreachable, "Kafka consumer lost its partitions",
                     RD_KAFKA_RESP_ERR__TIMED_OUT);
    }
    queue->onRebalance(error, partitions);
  }
  static void failed(rd_kafka_t*, int error, const char*, void* opaque) {
    if (error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || error == RD_KAFKA_RESP_ERR__TRANSPORT ||
        error == RD_KAFKA_RESP_ERR__AUTHENTICATION || error == RD_KAFKA_RESP_ERR__SSL) {
      static_cast<KafkaQueue*>(opaque)->brokersLost_ = kafkaError(
          QueueError::Unreachable, "Kafka consumer", static_cast<rd_kafka_resp_err_t>(error));
    }
  }
  static void producerFailed(rd_kafka_t*, int, const char* reason, void* opaque) {
    static_cast<KafkaQueue*>(opaque)->producerTrouble_ = model::redactText(reason);
  }
};

// An rd_kafka_t whose events wake the control context: librdkafka writes to a pipe when its
// queue gets an event; a GLib source on the pipe (and a tick, so that a consumer polls often
// enough to stay in its group) serves the queue on the control context.
struct KafkaQueue::Client {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* events = nullptr;
  int pipe[2] = {-1, -1};
  GSource* wake = nullptr;
  GSource* tick = nullptr;
  std::function<void()> serve;

  ~Client() {
    for (GSource* source : {wake, tick}) {
      if (!source) continue;
      g_source_destroy(source);
      g_source_unref(source);
    }
    if (events) {
      rd_kafka_queue_io_event_enable(events, -1, nullptr, 0);
      rd_kafka_queue_destroy(events);
    }
    if (rk) rd_kafka_destroy(rk);
    for (int fd : pipe) {
      if (fd >= 0) close(fd);
    }
  }

  void attach(GMainContext* context) {
    g_unix_open_pipe(pipe, FD_CLOEXEC, nullptr);
    g_unix_set_fd_nonblocking(pipe[0], TRUE, nullptr);
    g_unix_set_fd_nonblocking(pipe[1], TRUE, nullptr);
    rd_kafka_queue_io_event_enable(events, pipe[1], "1", 1);
    wake = g_unix_fd_source_new(pipe[0], G_IO_IN);
    g_source_set_callback(wake, G_SOURCE_FUNC(+[](int fd, GIOCondition, gpointer data) -> gboolean {
                            char drain[64];
                            while (read(fd, drain, sizeof drain) > 0) {
                            }
                            static_cast<Client*>(data)->serve();
                            return G_SOURCE_CONTINUE;
                          }),
                          this, nullptr);
    g_source_attach(wake, context);
    tick = g_timeout_source_new(200);
    g_source_set_callback(
        tick,
        [](gpointer data) -> gboolean {
          static_cast<Client*>(data)->serve();
          return G_SOURCE_CONTINUE;
        },
        this, nullptr);
    g_source_attach(tick, context);
  }
};

KafkaQueue::KafkaQueue(GMainContext* context, KafkaQueueConfig config, QueueOptions options)
    : JobQueue(std::move(options)),
      context_(GRef<GMainContext>::ref(context)),
      config_(std::move(config)) {
  if (config_.deadLetterTopic.empty()) config_.deadLetterTopic = config_.topic + ".dead";
}

Result<std::unique_ptr<KafkaQueue>> KafkaQueue::open(GMainContext* context, KafkaQueueConfig config,
                                                     QueueOptions options) {
  std::unique_ptr<KafkaQueue> queue(new KafkaQueue(context, std::move(config), std::move(options)));
  auto conf =
      configure(queue->config_,
                {{"bootstrap.servers", queue->config_.brokers},
                 {"client.id", queue->options_.consumer},
                 {"acks", "all"},
                 {"linger.ms", "2"},
                 // librdkafka gives a job up before the queue stops waiting for it (a job it gave
                 // up is never sent later); a request a broker never answers, too.
                 {"message.timeout.ms", std::to_string(kKafkaDeliveryTimeout.count() * 8 / 10)},
                 {"request.timeout.ms", std::to_string(kKafkaDeliveryTimeout.count() / 2)}});
  if (!conf) return conf.error();
  rd_kafka_conf_set_opaque(*conf, queue.get());
  rd_kafka_conf_set_dr_msg_cb(*conf, &KafkaTrampolines::delivered);
  rd_kafka_conf_set_error_cb(*conf, &KafkaTrampolines::producerFailed);
  auto rk = newClient(RD_KAFKA_PRODUCER, *conf);
  if (!rk) return rk.error();
  queue->producer_ = std::make_unique<Client>();
  queue->producer_->rk = *rk;
  queue->producer_->events = rd_kafka_queue_get_main(*rk);
  queue->producer_->serve = [raw = queue.get()] { raw->serveProducer(); };
  queue->producer_->attach(context);
  return queue;
}

KafkaQueue::~KafkaQueue() {
  closing_ = true;
  if (consumer_) {
    // Leaves the group: its partitions go to the other consumers now, not after a timeout.
    rd_kafka_consumer_close(consumer_->rk);
    consumer_.reset();
  }
  if (producer_) {
    if (rd_kafka_flush(producer_->rk, 3000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      GST_WARNING("Kafka did not take every produced job within 3 s");
    }
    producer_.reset();
  }
}

std::string KafkaQueue::name() const {
  return "kafka://" + config_.brokers + "/" + config_.topic + "?group=" + config_.group;
}

std::vector<int> KafkaQueue::assignedPartitions() const {
  std::vector<int> assigned;
  for (const auto& [partition, state] : partitions_)
    assigned.push_back(partition);
  return assigned;
}

Result<void> KafkaQueue::startConsumer() {
  const auto session = std::clamp<std::int64_t>(options_.visibilityTimeout.count(), 6000, 300000);
  auto conf =
      configure(config_, {{"bootstrap.servers", config_.brokers},
                          {"client.id", options_.consumer},
                          {"group.id", config_.group},
                          {"enable.auto.commit", "false"},
                          {"auto.offset.reset", "earliest"},
                          {"session.timeout.ms", std::to_string(session)},
                          // A rebalance is noticed within a second.
                          {"heartbeat.interval.ms", "1000"},
                          // A broker answers a fetch as soon as a job is there; one that holds
                          // it to the end (the mock cluster) delays a claim by this at most.
                          {"fetch.wait.max.ms", "100"},
                          // Back within 2 s of the brokers (librdkafka's default waits up to 10).
                          {"reconnect.backoff.max.ms", "2000"}});
  if (!conf) return conf.error();
  rd_kafka_conf_set_opaque(*conf, this);
  rd_kafka_conf_set_rebalance_cb(*conf, &KafkaTrampolines::rebalanced);
  rd_kafka_conf_set_error_cb(*conf, &KafkaTrampolines::failed);
  auto rk = newClient(RD_KAFKA_CONSUMER, *conf);
  if (!rk) return rk.error();
  consumer_ = std::make_unique<Client>();
  consumer_->rk = *rk;
  rd_kafka_poll_set_consumer(*rk);
  consumer_->events = rd_kafka_queue_get_consumer(*rk);
  consumer_->serve = [this] { serveConsumer(); };
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, config_.topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t error = rd_kafka_subscribe(*rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (error) {
    consumer_.reset();
    return kafkaError(QueueError::Refused, "Kafka subscribe to " + config_.topic, error);
  }
  consumer_->attach(context_.get());
  GST_INFO("consumer %s joins group %s on %s", options_.consumer.c_str(), config_.group.c_str(),
           config_.topic.c_str());
  return {};
}

void KafkaQueue::serveProducer() {
  rd_kafka_poll(producer_->rk, 0);  // delivery reports
}

void KafkaQueue::serveConsumer() {
  while (consumer_) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_->rk, 0);
    if (!message) break;
    if (message->err) {
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        GST_WARNING("Kafka consumer: %s", rd_kafka_message_errstr(message));
      }
    } else if (partitions_.contains(message->partition) &&
               !revoking_.contains(message->partition)) {
      fetched_.push_back({message->partition, message->offset,
                          std::string(static_cast<const char*>(message->payload), message->len)});
      arrivedChanged_.notify();
    }
    rd_kafka_message_destroy(message);
  }
}

void KafkaQueue::onDelivered(std::uintptr_t token, Result<std::string> result) {
  auto it = deliveries_.find(token);
  if (it == deliveries_.end()) return;
  Callback<std::string> done = std::move(it->second);
  deliveries_.erase(it);
  done(std::move(result));
}

void KafkaQueue::onRebalance(int error, rd_kafka_topic_partition_list_t* partitions) {
  if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(consumer_->rk, partitions);
    for (int i = 0; i < partitions->cnt; ++i) {
      partitions_[partitions->elems[i].partition] = {};
      revoking_.erase(partitions->elems[i].partition);
    }
    GST_INFO("consumer %s now holds %d partition(s) of %s", options_.consumer.c_str(),
             partitions->cnt, config_.topic.c_str());
    return;
  }
  // Revoked: jobs fetched for them and not claimed are the next owner's to read; the ones in
  // flight finish here first.
  for (int i = 0; i < partitions->cnt; ++i)
    revoking_.insert(partitions->elems[i].partition);
  std::erase_if(fetched_,
                [&](const Message& message) { return revoking_.contains(message.partition); });
  GST_INFO("consumer %s gives up %d partition(s) once their jobs in flight finish",
           options_.consumer.c_str(), partitions->cnt);
  finishRevokeIfIdle();
}

void KafkaQueue::finishRevokeIfIdle() {
  if (revoking_.empty() || !consumer_) return;
  for (int partition : revoking_) {
    auto it = partitions_.find(partition);
    if (!closing_ && it != partitions_.end() && !it->second.inFlight.empty()) return;
  }
  for (int partition : revoking_)
    partitions_.erase(partition);
  revoking_.clear();
  rd_kafka_assign(consumer_->rk, nullptr);
}

Error KafkaQueue::notTaken() const {
  return makeError(QueueError::Unreachable,
                   "Kafka did not take the job within " +
                       std::to_string(kKafkaDeliveryTimeout.count()) + " ms" +
                       (producerTrouble_ ? " (the brokers: " + *producerTrouble_ + ")"
                                         : " (are its brokers down?)"));
}

Task<std::string> KafkaQueue::produce(std::string topic, std::string key, std::string payload) {
  // librdkafka's own expiry of a job can come seconds late while the brokers are down.
  co_return co_await anyOf(delivery(std::move(topic), std::move(key), std::move(payload)),
                           failAfter<std::string>(kKafkaDeliveryTimeout, notTaken()));
}

Task<std::string> KafkaQueue::delivery(std::string topic, std::string key, std::string payload) {
  co_return co_await call<std::string>([&](Callback<std::string> done) {
    const std::uintptr_t token = nextToken_++;
    deliveries_.emplace(token, std::move(done));
    const rd_kafka_resp_err_t error = rd_kafka_producev(
        producer_->rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(payload.data(), payload.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(token)), RD_KAFKA_V_END);
    if (error) onDelivered(token, kafkaError(QueueError::Refused, "Kafka produce", error));
  });
}

Task<std::string> KafkaQueue::push(std::string key, std::string payload) {
  co_return co_await produce(config_.topic, std::move(key), std::move(payload));
}

Task<void> KafkaQueue::arrived() {
  co_await arrivedChanged_.next();
  co_return {};
}

Task<std::optional<Delivery>> KafkaQueue::claim(Milliseconds wait) {
  if (!consumer_) {
    if (auto started = startConsumer(); !started) co_return started.error();
  }
  if (brokersLost_) {
    // librdkafka says when the brokers go, never when they are back: asked, until they answer.
    std::function<Result<bool>()> probe = [config = config_] { return probeBrokers(config); };
    if (auto answered = co_await onThread<bool>(std::move(probe)); !answered) {
      co_return *brokersLost_;
    }
    brokersLost_.reset();
  }
  const std::int64_t deadlineUs = g_get_monotonic_time() + wait.count() * 1000;
  for (;;) {
    if (!fetched_.empty()) {
      Message message = std::move(fetched_.front());
      fetched_.pop_front();
      Partition& partition = partitions_[message.partition];
      partition.inFlight.insert(message.offset);
      partition.next = std::max(partition.next, message.offset + 1);
      co_return decodeDelivery(
          std::to_string(message.partition) + "/" + std::to_string(message.offset),
          std::move(message.payload));
    }
    const std::int64_t leftMs = (deadlineUs - g_get_monotonic_time()) / 1000;
    if (leftMs <= 0) co_return std::optional<Delivery>();
    (void)co_await anyOf(arrived(), delay(Milliseconds(leftMs)));
  }
}

Result<void> KafkaQueue::settle(const std::string& messageId) {
  const auto position = partitionAndOffset(messageId);
  auto it = position ? partitions_.find(position->first) : partitions_.end();
  if (it == partitions_.end() || !it->second.inFlight.erase(position->second)) {
    return makeError(
        QueueError::UnknownMessage,
        "message " + messageId + " is not in flight on a partition this consumer holds");
  }
  Partition& partition = it->second;
  // As far as every job before is done: the lowest one still running, else after the last.
  const std::int64_t commit =
      partition.inFlight.empty() ? partition.next : *partition.inFlight.begin();
  if (commit > partition.committed) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, config_.topic.c_str(), position->first)->offset =
        commit;
    const rd_kafka_resp_err_t error = rd_kafka_commit(consumer_->rk, list, 1);
    rd_kafka_topic_partition_list_destroy(list);
    if (error) return kafkaError(QueueError::Unreachable, "Kafka commit", error);
    partition.committed = commit;
  }
  finishRevokeIfIdle();
  return {};
}

Task<void> KafkaQueue::ack(Delivery delivery) {
  co_return settle(delivery.messageId);
}

Task<void> KafkaQueue::touch(Delivery) {
  co_return {};
}

Task<void> KafkaQueue::requeue(Delivery delivery, std::string key, std::string payload) {
  auto produced = co_await produce(config_.topic, std::move(key), std::move(payload));
  if (!produced) co_return produced.error();
  co_return settle(delivery.messageId);
}

Task<void> KafkaQueue::bury(Delivery delivery, DeadLetter letter) {
  const std::string key =
      delivery.job ? keyOf(*delivery.job) : delivery.messageId;  // garbage: its own key
  auto produced =
      co_await produce(config_.deadLetterTopic, key, json::Value::of(letter.toJson()).toString());
  if (!produced) co_return produced.error();
  co_return settle(delivery.messageId);
}

Task<QueueStats> KafkaQueue::stats() {
  std::int64_t ownPending = 0;
  for (const auto& [partition, state] : partitions_)
    ownPending += static_cast<std::int64_t>(state.inFlight.size());
  QueueStats base{.kind = kind(), .name = name()};
  // Named first: g++ 12 mishandles a capturing lambda built inside a co_await expression.
  std::function<Result<QueueStats>()> query =
      [config = config_, base, consumer = consumer_ ? options_.consumer : "", ownPending] {
        return queryStats(config, base, consumer, ownPending);
      };
  co_return co_await onThread<QueueStats>(std::move(query));
}

Task<std::vector<DeadLetter>> KafkaQueue::deadLetters(std::size_t count) {
  std::function<Result<std::vector<DeadLetter>>()> query = [config = config_, count] {
    return readDeadLetters(config, count);
  };
  co_return co_await onThread<std::vector<DeadLetter>>(std::move(query));
}

}  // namespace su::queue
