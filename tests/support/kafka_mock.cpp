#include "support/kafka_mock.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace su::test {

std::unique_ptr<KafkaMock> KafkaMock::start(const std::vector<std::string>& topics, int brokers) {
  const char* program = g_getenv("SU_KAFKA_MOCK");
  std::unique_ptr<KafkaMock> mock(new KafkaMock);
  std::vector<std::string> argv{program ? program : "kafka-mock", std::to_string(brokers)};
  argv.insert(argv.end(), topics.begin(), topics.end());
  if (!mock->process_.start(argv)) {
    ADD_FAILURE() << "kafka-mock did not start";
    return nullptr;
  }
  // It prints its bootstrap addresses once it listens.
  for (int i = 0; i < 200; ++i) {
    const std::string log = mock->process_.logTail();
    const auto at = log.find("bootstrap: ");
    const auto end = at == std::string::npos ? at : log.find('\n', at);
    if (end != std::string::npos) {
      mock->brokers_ = log.substr(at + 11, end - at - 11);
      return mock;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ADD_FAILURE() << "kafka-mock printed no bootstrap address: " << mock->process_.logTail();
  return nullptr;
}

}  // namespace su::test
