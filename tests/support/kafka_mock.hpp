// librdkafka's mock cluster (the kafka-mock program next to the tests) on loopback: real Kafka
// protocol for producers, consumer groups, commits and rebalances, kcat included.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/service_process.hpp"

namespace su::test {

class KafkaMock {
 public:
  // `topics` as NAME:PARTITIONS. Null (with a test failure) if it did not come up.
  static std::unique_ptr<KafkaMock> start(const std::vector<std::string>& topics, int brokers = 1);
  // host:port[,host:port...]
  const std::string& brokers() const noexcept { return brokers_; }
  std::string url(const std::string& topic, const std::string& group = "streaming-utils") const {
    return "kafka://" + brokers_ + "/" + topic + "?group=" + group;
  }
  // Every broker down (connections dropped, new ones refused), then up again.
  void brokersDown() { process_.signal(SIGUSR1); }
  void brokersUp() { process_.signal(SIGUSR2); }

 private:
  KafkaMock() : process_("kafka-mock") {}
  ServiceProcess process_;
  std::string brokers_;
};

}  // namespace su::test
