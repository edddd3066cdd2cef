#include "queue/redis_queue.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "core/uri.hpp"

#define GST_CAT_DEFAULT su::log::queue

namespace su::queue {

namespace {

constexpr const char* kJobField = "job";

bool isNoGroup(const Error& error) {
  return error.message.find("NOGROUP") != std::string::npos;
}

}  // namespace

Delivery deliveryOf(const RedisReply& entry) {
  const std::string id = entry.elements.empty() ? "" : entry.elements[0].text;
  const RedisReply* fields = entry.elements.size() > 1 ? &entry.elements[1] : nullptr;
  if (!fields || fields->nil()) {
    Delivery gone{.messageId = id};
    gone.decodeError = makeError(QueueError::UnknownMessage,
                                 "entry " + id + " was trimmed from the stream before it ran");
    return gone;
  }
  if (const RedisReply* job = fields->field(kJobField)) return decodeDelivery(id, job->text);
  std::string names;
  for (std::size_t i = 0; i < fields->elements.size(); i += 2)
    names += (names.empty() ? "" : ", ") + fields->elements[i].text;
  Delivery garbage{.messageId = id, .payload = names};
  garbage.decodeError =
      makeError(model::ModelError::Invalid,
                "entry " + id + " has no `job` field (its fields: " + names + ")");
  return garbage;
}

std::optional<Delivery> firstEntry(const RedisReply& reply) {
  if (reply.nil() || reply.elements.empty()) return std::nullopt;
  const RedisReply& stream = reply.elements[0];
  if (stream.elements.size() < 2 || stream.elements[1].elements.empty()) return std::nullopt;
  return deliveryOf(stream.elements[1].elements[0]);
}

std::vector<DeadLetter> readDeadLetters(const RedisReply& entries) {
  std::vector<DeadLetter> letters;
  for (const RedisReply& entry : entries.elements) {
    if (entry.elements.size() < 2) continue;
    const RedisReply& fields = entry.elements[1];
    auto text = [&](std::string_view name) {
      const RedisReply* value = fields.field(name);
      return value ? value->text : std::string();
    };
    auto number = [&](std::string_view name) {
      const RedisReply* value = fields.field(name);
      return value ? value->asInteger().value_or(0) : 0;
    };
    letters.push_back({.messageId = entry.elements[0].text,
                       .sourceId = text("source_id"),
                       .payload = text(kJobField),
                       .error = text("error"),
                       .phase = text("phase"),
                       .attempts = number("attempts"),
                       .failedAtMs = number("failed_at_ms")});
  }
  return letters;
}

RedisQueue::RedisQueue(GMainContext* context, RedisQueueConfig config, QueueOptions options)
    : JobQueue(std::move(options)),
      config_(std::move(config)),
      commands_(context, config_.address, "commands", options_.connectTimeout),
      reads_(context, config_.address, "blocking reads", options_.connectTimeout) {
  if (config_.deadLetterStream.empty()) config_.deadLetterStream = config_.stream + ":dead";
}

std::string RedisQueue::name() const {
  // Never the password.
  std::string url = uri::build(config_.address.tls ? "rediss" : "redis", config_.address.host,
                               config_.address.port) +
                    "/" + std::to_string(config_.address.database) + "?stream=" + config_.stream +
                    "&group=" + config_.group;
  return url;
}

std::vector<std::string> RedisQueue::addCommand(const std::string& stream,
                                                std::vector<std::string> fields) const {
  std::vector<std::string> args{"XADD", stream, "MAXLEN", "~", std::to_string(options_.maxLength),
                                "*"};
  std::move(fields.begin(), fields.end(), std::back_inserter(args));
  return args;
}

void RedisQueue::noteGroupLost(const Error& error) {
  if (isNoGroup(error)) groupReady_ = false;
}

Task<void> RedisQueue::ensureGroup() {
  if (groupReady_) co_return {};
  // From the stream's start ("0"): jobs added before the first worker came are not skipped.
  auto created = co_await commands_.command(
      redisArgs("XGROUP", "CREATE", config_.stream, config_.group, "0", "MKSTREAM"),
      options_.commandTimeout);
  if (!created && created.error().message.find("BUSYGROUP") == std::string::npos) {
    co_return created.error();
  }
  groupReady_ = true;
  co_return {};
}

Task<std::string> RedisQueue::push(std::string key, std::string payload) {
  (void)key;  // one stream: every job is in order already
  auto added = co_await commands_.command(addCommand(config_.stream, redisArgs(kJobField, payload)),
                                          options_.commandTimeout);
  if (!added) co_return added.error();
  co_return std::move(added->text);
}

Task<std::optional<Delivery>> RedisQueue::ownPending() {
  auto read =
      co_await commands_.command(redisArgs("XREADGROUP", "GROUP", config_.group, options_.consumer,
                                           "COUNT", "1", "STREAMS", config_.stream, *ownCursor_),
                                 options_.commandTimeout);
  if (!read) co_return read.error();
  std::optional<Delivery> delivery = firstEntry(*read);
  if (!delivery) {
    ownCursor_.reset();  // none left: from now on, only new ones
    co_return std::optional<Delivery>();
  }
  ownCursor_ = delivery->messageId;
  delivery->reclaimed = true;
  // A worker that dies on it and comes back under its name reads it back each time.
  auto deadly = co_await buryIfDeadly(*delivery);
  if (!deadly) co_return deadly.error();
  if (*deadly) co_return std::optional<Delivery>();
  GST_INFO("consumer %s takes back its own pending job %s", options_.consumer.c_str(),
           delivery->messageId.c_str());
  co_return delivery;
}

std::int64_t RedisQueue::reclaimEveryUs() const {
  return std::clamp<std::int64_t>(options_.visibilityTimeout.count() * 1000 / 4, 100'000,
                                  5'000'000);
}

Task<std::optional<Delivery>> RedisQueue::reclaim() {
  const std::int64_t now = g_get_monotonic_time();
  if (now - lastReclaimUs_ < reclaimEveryUs()) co_return std::optional<Delivery>();
  lastReclaimUs_ = now;
  auto claimed = co_await commands_.command(
      redisArgs("XAUTOCLAIM", config_.stream, config_.group, options_.consumer,
                std::to_string(options_.visibilityTimeout.count()), reclaimCursor_, "COUNT", "1"),
      options_.commandTimeout);
  if (!claimed) co_return claimed.error();
  // [next cursor, [entry...], [deleted id...]]
  if (claimed->elements.size() < 2) co_return std::optional<Delivery>();
  reclaimCursor_ = claimed->elements[0].text;
  const RedisReply& entries = claimed->elements[1];
  if (claimed->elements.size() > 2) {
    // Pending entries trimmed from the stream: nothing left to run, acknowledged.
    for (const RedisReply& deleted : claimed->elements[2].elements) {
      GST_WARNING("pending entry %s was trimmed from %s before it ran", deleted.text.c_str(),
                  config_.stream.c_str());
      (void)co_await commands_.command(
          redisArgs("XACK", config_.stream, config_.group, deleted.text), options_.commandTimeout);
    }
  }
  if (entries.elements.empty()) co_return std::optional<Delivery>();
  Delivery delivery = deliveryOf(entries.elements[0]);
  delivery.reclaimed = true;
  auto deadly = co_await buryIfDeadly(delivery);
  if (!deadly) co_return deadly.error();
  if (*deadly) co_return std::optional<Delivery>();
  GST_INFO("consumer %s reclaims job %s, idle for over %lld ms", options_.consumer.c_str(),
           delivery.messageId.c_str(), static_cast<long long>(options_.visibilityTimeout.count()));
  co_return std::optional<Delivery>(std::move(delivery));
}

Task<bool> RedisQueue::buryIfDeadly(Delivery delivery) {
  // How often it was handed out (this time included): XPENDING's delivery count.
  auto pending = co_await commands_.command(redisArgs("XPENDING", config_.stream, config_.group,
                                                      delivery.messageId, delivery.messageId, "1"),
                                            options_.commandTimeout);
  if (!pending) co_return pending.error();
  const std::int64_t deliveries =
      !pending->elements.empty() && pending->elements[0].elements.size() >= 4
          ? pending->elements[0].elements[3].asInteger().value_or(1)
          : 1;
  if (!killsItsWorkers(deliveries)) co_return false;
  const DeadLetter letter = abandoned(delivery, deliveries);
  if (auto buried = co_await bury(delivery, letter); !buried) co_return buried.error();
  co_return true;
}

Task<std::optional<Delivery>> RedisQueue::readNew(Milliseconds wait) {
  auto read = co_await reads_.command(
      redisArgs("XREADGROUP", "GROUP", config_.group, options_.consumer, "COUNT", "1", "BLOCK",
                std::to_string(std::max<std::int64_t>(wait.count(), 1)), "STREAMS", config_.stream,
                ">"),
      wait + options_.commandTimeout);
  if (!read) co_return read.error();
  co_return firstEntry(*read);
}

Task<std::optional<Delivery>> RedisQueue::claim(Milliseconds wait) {
  if (auto group = co_await ensureGroup(); !group) co_return group.error();
  if (ownCursor_) {
    auto own = co_await ownPending();
    if (!own) {
      noteGroupLost(own.error());
      co_return own.error();
    }
    if (*own) co_return own;
  }
  // Blocking reads no longer than the reclaim interval, so that a job whose consumer went quiet
  // is noticed while this one waits.
  const std::int64_t deadlineUs = g_get_monotonic_time() + wait.count() * 1000;
  for (;;) {
    auto reclaimed = co_await reclaim();
    if (!reclaimed || *reclaimed) {
      if (!reclaimed) noteGroupLost(reclaimed.error());
      co_return reclaimed;
    }
    const std::int64_t leftMs = (deadlineUs - g_get_monotonic_time()) / 1000;
    auto fresh = co_await readNew(
        Milliseconds(std::clamp<std::int64_t>(leftMs, 1, reclaimEveryUs() / 1000)));
    if (!fresh || *fresh || leftMs <= reclaimEveryUs() / 1000) {
      if (!fresh) noteGroupLost(fresh.error());
      co_return fresh;
    }
  }
}

Task<void> RedisQueue::ack(Delivery delivery) {
  auto acked = co_await commands_.command(
      redisArgs("XACK", config_.stream, config_.group, delivery.messageId),
      options_.commandTimeout);
  if (!acked) co_return acked.error();
  if (acked->integer == 0) {
    co_return makeError(
        QueueError::UnknownMessage,
        "entry " + delivery.messageId + " was not pending in group " + config_.group);
  }
  co_return {};
}

Task<void> RedisQueue::touch(Delivery delivery) {
  // Claiming it again for ourselves resets its idle time.
  auto claimed =
      co_await commands_.command(redisArgs("XCLAIM", config_.stream, config_.group,
                                           options_.consumer, "0", delivery.messageId, "JUSTID"),
                                 options_.commandTimeout);
  if (!claimed) co_return claimed.error();
  if (claimed->elements.empty()) {
    co_return makeError(QueueError::UnknownMessage,
                        "entry " + delivery.messageId + " is no longer pending");
  }
  co_return {};
}

Task<void> RedisQueue::requeue(Delivery delivery, std::string key, std::string payload) {
  (void)key;
  std::vector<std::vector<std::string>> steps;
  steps.push_back(addCommand(config_.stream, redisArgs(kJobField, payload)));
  steps.push_back(redisArgs("XACK", config_.stream, config_.group, delivery.messageId));
  auto done = co_await commands_.transaction(std::move(steps), options_.commandTimeout);
  if (!done) co_return done.error();
  co_return {};
}

Task<void> RedisQueue::bury(Delivery delivery, DeadLetter letter) {
  std::vector<std::vector<std::string>> steps;
  steps.push_back(
      addCommand(config_.deadLetterStream,
                 redisArgs(kJobField, letter.payload, "error", letter.error, "phase", letter.phase,
                           "attempts", std::to_string(letter.attempts), "source_id",
                           letter.sourceId, "failed_at_ms", std::to_string(letter.failedAtMs))));
  steps.push_back(redisArgs("XACK", config_.stream, config_.group, delivery.messageId));
  auto done = co_await commands_.transaction(std::move(steps), options_.commandTimeout);
  if (!done) co_return done.error();
  co_return {};
}

Task<QueueStats> RedisQueue::stats() {
  QueueStats stats{.kind = kind(), .name = name()};
  auto length =
      co_await commands_.command(redisArgs("XLEN", config_.stream), options_.commandTimeout);
  if (!length) co_return length.error();
  stats.length = length->integer;
  auto dead = co_await commands_.command(redisArgs("XLEN", config_.deadLetterStream),
                                         options_.commandTimeout);
  if (!dead) co_return dead.error();
  stats.deadLetters = dead->integer;
  if (stats.length == 0) {
    auto exists =
        co_await commands_.command(redisArgs("EXISTS", config_.stream), options_.commandTimeout);
    if (!exists) co_return exists.error();
    if (exists->integer == 0) co_return stats;  // no stream yet: nothing waits
  }
  auto groups = co_await commands_.command(redisArgs("XINFO", "GROUPS", config_.stream),
                                           options_.commandTimeout);
  if (!groups) co_return groups.error();
  const RedisReply* group = nullptr;
  for (const RedisReply& candidate : groups->elements) {
    const RedisReply* groupName = candidate.field("name");
    if (groupName && groupName->text == config_.group) group = &candidate;
  }
  if (!group) {
    stats.waiting = stats.length;  // no worker ever read: every entry waits
    co_return stats;
  }
  stats.pending = group->field("pending") ? group->field("pending")->asInteger().value_or(0) : 0;
  const RedisReply* lag = group->field("lag");
  if (lag && lag->asInteger()) {
    stats.waiting = *lag->asInteger();
  } else {
    // Redis cannot tell (entries deleted in the middle): count what lies after the group's
    // last delivered entry, a page at a time (a whole long stream would be one huge reply).
    constexpr std::size_t kPage = 10'000;
    const RedisReply* last = group->field("last-delivered-id");
    std::string after = last ? last->text : std::string("0-0");
    stats.waiting = 0;
    for (;;) {
      auto page = co_await commands_.command(
          redisArgs("XRANGE", config_.stream, "(" + after, "+", "COUNT", std::to_string(kPage)),
          options_.commandTimeout);
      if (!page) co_return page.error();
      stats.waiting += static_cast<std::int64_t>(page->elements.size());
      if (page->elements.size() < kPage || page->elements.back().elements.empty()) break;
      after = page->elements.back().elements.front().text;  // the last entry's id
    }
  }
  auto consumers = co_await commands_.command(
      redisArgs("XINFO", "CONSUMERS", config_.stream, config_.group), options_.commandTimeout);
  if (!consumers) co_return consumers.error();
  for (const RedisReply& consumer : consumers->elements) {
    ConsumerStats entry;
    if (const RedisReply* name = consumer.field("name")) entry.name = name->text;
    if (const RedisReply* pending = consumer.field("pending"))
      entry.pending = pending->asInteger().value_or(0);
    if (const RedisReply* idle = consumer.field("idle")) entry.idleMs = idle->asInteger();
    stats.consumers.push_back(std::move(entry));
  }
  co_return stats;
}

Task<std::vector<DeadLetter>> RedisQueue::deadLetters(std::size_t count) {
  auto entries = co_await commands_.command(
      redisArgs("XREVRANGE", config_.deadLetterStream, "+", "-", "COUNT", std::to_string(count)),
      options_.commandTimeout);
  if (!entries) co_return entries.error();
  co_return readDeadLetters(*entries);
}

}  // namespace su::queue
