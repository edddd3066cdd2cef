// The in-memory queue: the embedded default, for a single node without Redis and for tests, with
// the same semantics as the servers' (visibility timeout, attempts, dead letter). Several
// MemoryQueues sharing one MemoryStore are consumers of one group.
#pragma once

#include <deque>
#include <map>
#include <memory>

#include "queue/queue.hpp"

namespace su::queue {

struct MemoryStore {
  struct Message {
    std::string id;
    std::string key;
    std::string payload;
  };
  struct Claimed {
    Message message;
    std::string consumer;
    std::int64_t touchedUs = 0;  // monotonic
    std::int64_t deliveries = 1;
  };
  std::int64_t nextId = 1;
  std::deque<Message> waiting;
  std::map<std::string, Claimed> pending;
  std::vector<DeadLetter> dead;
  Condition changed;  // a message was added
};

class MemoryQueue final : public JobQueue {
 public:
  explicit MemoryQueue(QueueOptions options, std::shared_ptr<MemoryStore> store = {});

  model::QueueKind kind() const noexcept override { return model::QueueKind::Memory; }
  std::string name() const override { return "memory:"; }
  Task<std::string> push(std::string key, std::string payload) override;
  Task<std::optional<Delivery>> claim(Milliseconds wait) override;
  Task<void> ack(Delivery delivery) override;
  Task<void> touch(Delivery delivery) override;
  Task<QueueStats> stats() override;
  Task<std::vector<DeadLetter>> deadLetters(std::size_t count) override;
  const std::shared_ptr<MemoryStore>& store() const noexcept { return store_; }

 protected:
  Task<void> requeue(Delivery delivery, std::string key, std::string payload) override;
  Task<void> bury(Delivery delivery, DeadLetter letter) override;

 private:
  std::optional<Delivery> take();
  Task<void> added();
  std::string add(std::string key, std::string payload);
  Result<void> release(const std::string& messageId);

  std::shared_ptr<MemoryStore> store_;
};

}  // namespace su::queue
