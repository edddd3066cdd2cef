// What `streaming-utils serve` runs with: a GKeyFile (data/streaming-utils.conf documents every
// key), each key also from an environment variable and a command-line flag — the flag wins over
// the variable, the variable over the file, the file over the default. Errors name the file,
// group and key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/tls.hpp"
#include "service/admission.hpp"
#include "service/autoscale.hpp"

namespace su::service {

enum class ConfigError { Invalid = 1 };
GQuark errorDomainOf(ConfigError);

// On SIGTERM: stop the broadcasts; leave them in Janus; or (in a cluster) hand them over to the
// other nodes, which adopt them at once.
enum class DrainPolicy { Stop, Leave, Handover };

struct ServeConfig {
  // [janus]
  std::string janusUrl = "ws://127.0.0.1:8188";
  std::optional<std::string> adminKey;  // the Streaming plugin's admin_key
  bool localJanus = true;               // start a Janus of our own when none answers (loopback)
  // [queue]
  std::string queueUrl = "memory:";
  std::string consumer;  // empty: host-pid
  int concurrency = 4;
  // [kafka]: librdkafka's security settings for a Kafka queue (security.protocol, ssl.*, sasl.*),
  // in the file only; the queue URL's own options come after them.
  std::vector<std::pair<std::string, std::string>> kafkaSettings;
  // [node]
  // capacity (broadcasts at once), cpu_budget and the cost table. The budget defaults to `auto`.
  AdmissionPolicy admission{.cpuBudgetPercent = automaticCpuBudget()};
  DrainPolicy drain = DrainPolicy::Stop;
  // [http]
  std::string listenHost = "127.0.0.1";
  int listenPort = 8089;
  std::optional<std::string> tokenFile;
  std::optional<std::string> tlsCertificate;  // PEM files: HTTPS when both are set
  std::optional<std::string> tlsKey;
  std::size_t maxBodyBytes = 1 << 20;
  std::size_t maxEventStreams = 64;
  Milliseconds eventHeartbeat{15'000};
  Milliseconds headerTimeout{10'000};
  // [autoscale]
  AutoscalePolicy autoscale;
  Milliseconds autoscaleTick{10'000};  // how often the queue's lag is read
  // [cluster] (docs/architecture.md, "A cluster of nodes")
  std::optional<std::string> clusterRedis;  // redis://...: one node of a cluster
  std::string clusterName = "streaming-utils";
  std::optional<std::string> clusterKeyFile;  // the cluster key (`cluster keygen`), required
  std::string nodeId;                         // empty: the host name
  Milliseconds lease{10'000};
  // [log]
  std::optional<std::string> logLevel;  // GStreamer debug spec: "su*:4"

  std::string listen() const;
};

// The key names as written in the file, group.key -> flag name without dashes.
struct ConfigSources {
  std::optional<std::string> file;
  std::map<std::string, std::string> flags;  // flag name (without --) -> value
};

// Reads the file (if any), then SU_* variables, then the flags. Every error: `FILE: [group] key:
// what is wrong`, or `--flag: ...`.
Result<ServeConfig> loadServeConfig(const ConfigSources& sources);

// What the files a config names hold: the API's token and its TLS pair. Read at startup and on
// every reload with the same rules, so that a reload can never leave what a start refuses: a
// token beyond loopback, a pair that loads.
struct ServeSecrets {
  std::optional<std::string> token;
  GRef<GTlsCertificate> certificate;
};
Result<ServeSecrets> loadServeSecrets(const ServeConfig& config);

// The flags `serve` takes for config keys (without dashes), with their help lines.
const std::map<std::string, std::string>& serveConfigFlags();

}  // namespace su::service
