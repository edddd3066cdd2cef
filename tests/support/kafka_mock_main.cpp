// librdkafka's mock cluster as a process of its own, for the tests and the bench:
//   kafka-mock BROKERS TOPIC:PARTITIONS...
// creates the topics, prints "bootstrap: HOST:PORT[,...]" and serves real Kafka protocol on
// loopback until SIGTERM or SIGINT. SIGUSR1 takes every broker down (connections dropped, new
// ones refused), SIGUSR2 brings them back: the fault suite's broker outage.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kafka-mock BROKERS [TOPIC:PARTITIONS...]\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before librdkafka starts its threads

  char reason[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), reason, sizeof reason);
  if (!rk) {
    std::fprintf(stderr, "kafka-mock: %s\n", reason);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, std::atoi(argv[1]));
  if (!cluster) {
    std::fprintf(stderr, "kafka-mock: cannot create the mock cluster\n");
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    const std::string topic = argv[i];
    const auto colon = topic.rfind(':');
    const int partitions = colon == std::string::npos ? 1 : std::atoi(topic.c_str() + colon + 1);
    if (rd_kafka_mock_topic_create(cluster, topic.substr(0, colon).c_str(), partitions, 1)) {
      std::fprintf(stderr, "kafka-mock: cannot create topic %s\n", argv[i]);
      return 1;
    }
  }
  std::printf("bootstrap: %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  const int brokers = std::atoi(argv[1]);
  int received = 0;
  while (sigwait(&signals, &received) == 0 && (received == SIGUSR1 || received == SIGUSR2)) {
    for (int broker = 1; broker <= brokers; ++broker) {
      if (received == SIGUSR1) {
        rd_kafka_mock_broker_set_down(cluster, broker);
      } else {
        rd_kafka_mock_broker_set_up(cluster, broker);
      }
    }
    std::printf("brokers %s\n", received == SIGUSR1 ? "down" : "up");
    std::fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
