#include "queue/memory_queue.hpp"

#include <algorithm>

namespace su::queue {

MemoryQueue::MemoryQueue(QueueOptions options, std::shared_ptr<MemoryStore> store)
    : JobQueue(std::move(options)),
      store_(store ? std::move(store) : std::make_shared<MemoryStore>()) {}

std::string MemoryQueue::add(std::string key, std::string payload) {
  std::string id = std::to_string(store_->nextId++);
  store_->waiting.push_back({id, std::move(key), std::move(payload)});
  store_->changed.notify();
  return id;
}

Task<std::string> MemoryQueue::push(std::string key, std::string payload) {
  co_return add(std::move(key), std::move(payload));
}

std::optional<Delivery> MemoryQueue::take() {
  const std::int64_t now = g_get_monotonic_time();
  // A job whose consumer went quiet for the visibility timeout is handed out again.
  for (auto it = store_->pending.begin(); it != store_->pending.end();) {
    auto& [id, claimed] = *it;
    if (now - claimed.touchedUs < options_.visibilityTimeout.count() * 1000) {
      ++it;
      continue;
    }
    Delivery delivery = decodeDelivery(id, claimed.message.payload);
    if (killsItsWorkers(++claimed.deliveries)) {
      DeadLetter letter = abandoned(delivery, claimed.deliveries);
      letter.messageId = std::to_string(store_->nextId++);
      store_->dead.push_back(std::move(letter));
      it = store_->pending.erase(it);
      continue;
    }
    claimed.consumer = options_.consumer;
    claimed.touchedUs = now;
    delivery.reclaimed = true;
    return delivery;
  }
  if (store_->waiting.empty()) return std::nullopt;
  MemoryStore::Message message = std::move(store_->waiting.front());
  store_->waiting.pop_front();
  Delivery delivery = decodeDelivery(message.id, message.payload);
  const std::string id = message.id;
  store_->pending[id] = {std::move(message), options_.consumer, now};
  return delivery;
}

Task<void> MemoryQueue::added() {
  co_await store_->changed.next();
  co_return {};
}

Task<std::optional<Delivery>> MemoryQueue::claim(Milliseconds wait) {
  const std::int64_t deadlineUs = g_get_monotonic_time() + wait.count() * 1000;
  for (;;) {
    if (auto delivery = take()) co_return std::move(delivery);
    const std::int64_t leftMs = (deadlineUs - g_get_monotonic_time()) / 1000;
    if (leftMs <= 0) co_return std::optional<Delivery>();
    // Woken by a new message, or after the wait (or a visibility timeout) has passed.
    const Milliseconds nap = std::min(Milliseconds(leftMs), options_.visibilityTimeout);
    (void)co_await anyOf(added(), delay(nap));
  }
}

Result<void> MemoryQueue::release(const std::string& messageId) {
  if (store_->pending.erase(messageId) == 0) {
    return makeError(QueueError::UnknownMessage, "message " + messageId + " is not pending");
  }
  return {};
}

Task<void> MemoryQueue::ack(Delivery delivery) {
  co_return release(delivery.messageId);
}

Task<void> MemoryQueue::touch(Delivery delivery) {
  auto it = store_->pending.find(delivery.messageId);
  if (it == store_->pending.end()) {
    co_return makeError(QueueError::UnknownMessage,
                        "message " + delivery.messageId + " is not pending");
  }
  it->second.touchedUs = g_get_monotonic_time();
  co_return {};
}

Task<void> MemoryQueue::requeue(Delivery delivery, std::string key, std::string payload) {
  if (auto released = release(delivery.messageId); !released) co_return released.error();
  add(std::move(key), std::move(payload));
  co_return {};
}

Task<void> MemoryQueue::bury(Delivery delivery, DeadLetter letter) {
  if (auto released = release(delivery.messageId); !released) co_return released.error();
  letter.messageId = std::to_string(store_->nextId++);
  store_->dead.push_back(std::move(letter));
  co_return {};
}

Task<QueueStats> MemoryQueue::stats() {
  QueueStats stats{.kind = kind(), .name = name()};
  stats.waiting = static_cast<std::int64_t>(store_->waiting.size());
  stats.pending = static_cast<std::int64_t>(store_->pending.size());
  stats.length = stats.waiting + stats.pending;
  stats.deadLetters = static_cast<std::int64_t>(store_->dead.size());
  const std::int64_t now = g_get_monotonic_time();
  std::map<std::string, ConsumerStats> consumers;
  for (const auto& [id, claimed] : store_->pending) {
    ConsumerStats& consumer = consumers[claimed.consumer];
    consumer.name = claimed.consumer;
    ++consumer.pending;
    const std::int64_t idleMs = (now - claimed.touchedUs) / 1000;
    consumer.idleMs = consumer.idleMs ? std::min(*consumer.idleMs, idleMs) : idleMs;
  }
  for (auto& [name, consumer] : consumers)
    stats.consumers.push_back(std::move(consumer));
  co_return stats;
}

Task<std::vector<DeadLetter>> MemoryQueue::deadLetters(std::size_t count) {
  std::vector<DeadLetter> newest(store_->dead.rbegin(), store_->dead.rend());
  if (newest.size() > count) newest.resize(count);
  co_return newest;
}

}  // namespace su::queue
