#include "service/serve_config.hpp"

#include <functional>
#include <vector>

#include "core/gref.hpp"
#include "queue/queue_url.hpp"

namespace su::service {

namespace {

// Sets the key from its text; the reason when the text is not a valid value.
using Apply = std::function<std::optional<std::string>(ServeConfig&, const std::string&)>;

struct Key {
  const char* group;
  const char* name;
  const char* environment;
  const char* flag;  // without dashes
  const char* help;
  Apply apply;
};

std::optional<std::string> number(const std::string& text, int min, int max, int& into) {
  gint64 value = 0;
  if (!g_ascii_string_to_signed(text.c_str(), 10, min, max, &value, nullptr)) {
    return "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  }
  into = static_cast<int>(value);
  return std::nullopt;
}

std::optional<std::string> decimal(const std::string& text, double min, double max, double& into) {
  char* end = nullptr;
  const double value = g_ascii_strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value >= min && value <= max)) {
    return "must be a number from " + std::to_string(static_cast<int>(min)) + " to " +
           std::to_string(static_cast<int>(max));
  }
  into = value;
  return std::nullopt;
}

std::optional<std::string> boolean(const std::string& text, bool& into) {
  if (text == "true" || text == "yes" || text == "1") {
    into = true;
  } else if (text == "false" || text == "no" || text == "0") {
    into = false;
  } else {
    return "must be true or false";
  }
  return std::nullopt;
}

std::optional<std::string> listenAddress(const std::string& text, ServeConfig& config) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return "must be HOST:PORT (127.0.0.1:8089)";
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (!g_hostname_is_ip_address(host.c_str())) return "the host must be an IP address";
  config.listenHost = host;
  return number(text.substr(colon + 1), 0, 65535, config.listenPort);
}

const std::vector<Key>& keys() {
  static const std::vector<Key> table{
      {"janus", "url", "SU_JANUS_URL", "janus-url", "Janus WebSocket API",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         if (!v.starts_with("ws://") && !v.starts_with("wss://")) return "must be ws:// or wss://";
         c.janusUrl = v;
         return std::nullopt;
       }},
      {"janus", "admin_key", "SU_JANUS_ADMIN_KEY", "admin-key",
       "the Streaming plugin's admin_key, for requests without one",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         c.adminKey = v;
         return std::nullopt;
       }},
      {"janus", "local_janus", "SU_LOCAL_JANUS", "local-janus",
       "start a Janus of our own when none answers at a loopback URL (true/false)",
       [](ServeConfig& c, const std::string& v) { return boolean(v, c.localJanus); }},
      {"queue", "url", "SU_QUEUE_URL", "queue", "the job queue (memory:, redis://, kafka://)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         c.queueUrl = v;
         return std::nullopt;
       }},
      {"queue", "consumer", "SU_CONSUMER", "consumer", "this node's name in the queue's group",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         c.consumer = v;
         return std::nullopt;
       }},
      {"queue", "concurrency", "SU_CONCURRENCY", "concurrency", "queue jobs run at once",
       [](ServeConfig& c, const std::string& v) { return number(v, 1, 1000, c.concurrency); }},
      {"node", "capacity", "SU_CAPACITY", "capacity", "broadcasts this node takes (0: no limit)",
       [](ServeConfig& c, const std::string& v) {
         return number(v, 0, 100000, c.admission.maxBroadcasts);
       }},
      {"node", "cpu_budget", "SU_CPU_BUDGET", "cpu-budget",
       "CPU the broadcasts may cost, in percent of one core (auto: 80 % of the cores; 0: none)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         if (v == "auto") {
           c.admission.cpuBudgetPercent = automaticCpuBudget();
           return std::nullopt;
         }
         return decimal(v, 0, 100000, c.admission.cpuBudgetPercent);
       }},
      {"node", "cost_passthrough", "SU_COST_PASSTHROUGH", "cost-passthrough",
       "a passthrough relay's cost, in percent of one core",
       [](ServeConfig& c, const std::string& v) {
         return decimal(v, 0, 10000, c.admission.costs.passthrough);
       }},
      {"node", "cost_audio_transcode", "SU_COST_AUDIO_TRANSCODE", "cost-audio-transcode",
       "the cost of a relay that transcodes its audio, in percent of one core",
       [](ServeConfig& c, const std::string& v) {
         return decimal(v, 0, 10000, c.admission.costs.audioTranscode);
       }},
      {"node", "cost_video_transcode", "SU_COST_VIDEO_TRANSCODE", "cost-video-transcode",
       "the cost of a relay that transcodes (or generates) its video, in percent of one core",
       [](ServeConfig& c, const std::string& v) {
         return decimal(v, 0, 10000, c.admission.costs.videoTranscode);
       }},
      {"node", "drain", "SU_DRAIN", "drain",
       "on SIGTERM: stop the broadcasts (stop), leave them in Janus (leave), or hand them over "
       "to the cluster's other nodes (handover)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         if (v == "stop")
           c.drain = DrainPolicy::Stop;
         else if (v == "leave")
           c.drain = DrainPolicy::Leave;
         else if (v == "handover")
           c.drain = DrainPolicy::Handover;
         else
           return "must be stop, leave or handover";
         return std::nullopt;
       }},
      {"http", "listen", "SU_LISTEN", "listen", "HTTP API address, HOST:PORT",
       [](ServeConfig& c, const std::string& v) { return listenAddress(v, c); }},
      {"http", "token_file", "SU_TOKEN_FILE", "token-file",
       "a file holding the bearer token the HTTP API asks for",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         c.tokenFile = v;
         return std::nullopt;
       }},
      {"http", "tls_certificate", "SU_TLS_CERTIFICATE", "tls-certificate",
       "a PEM file with the HTTP API's certificate (and its chain): HTTPS, with tls_key",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         c.tlsCertificate = v.empty() ? std::nullopt : std::optional(v);
         return std::nullopt;
       }},
      {"http", "tls_key", "SU_TLS_KEY", "tls-key",
       "a PEM file with the certificate's private key (unencrypted, readable by the service only)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         c.tlsKey = v.empty() ? std::nullopt : std::optional(v);
         return std::nullopt;
       }},
      {"http", "max_event_streams", "SU_MAX_EVENT_STREAMS", "max-event-streams",
       "GET /v1/events streams open at once; more are refused (503)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         int streams = 0;
         if (auto error = number(v, 1, 10000, streams)) return error;
         c.maxEventStreams = static_cast<std::size_t>(streams);
         return std::nullopt;
       }},
      {"http", "event_heartbeat_ms", "SU_EVENT_HEARTBEAT_MS", "event-heartbeat-ms",
       "how often an event stream gets a comment line when nothing happens",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         int ms = 0;
         if (auto error = number(v, 100, 60000, ms)) return error;
         c.eventHeartbeat = Milliseconds(ms);
         return std::nullopt;
       }},
      {"http", "header_timeout_ms", "SU_HEADER_TIMEOUT_MS", "header-timeout-ms",
       "how long a client has to send its request line and headers, TLS handshake included (408 "
       "after)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         int ms = 0;
         if (auto error = number(v, 100, 600000, ms)) return error;
         c.headerTimeout = Milliseconds(ms);
         return std::nullopt;
       }},
      {"http", "max_body_bytes", "SU_MAX_BODY_BYTES", "max-body-bytes",
       "the largest request body the HTTP API reads",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         int bytes = 0;
         if (auto error = number(v, 1024, 64 << 20, bytes)) return error;
         c.maxBodyBytes = static_cast<std::size_t>(bytes);
         return std::nullopt;
       }},
      {"autoscale", "min_workers", "SU_MIN_WORKERS", "min-workers",
       "the fewest workers the autoscaling signal asks for",
       [](ServeConfig& c, const std::string& v) {
         return number(v, 0, 100000, c.autoscale.minWorkers);
       }},
      {"autoscale", "max_workers", "SU_MAX_WORKERS", "max-workers",
       "the most workers the autoscaling signal asks for",
       [](ServeConfig& c, const std::string& v) {
         return number(v, 1, 100000, c.autoscale.maxWorkers);
       }},
      {"autoscale", "target_lag_per_worker", "SU_TARGET_LAG_PER_WORKER", "target-lag-per-worker",
       "queue lag (jobs waiting or pending) one worker should have",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         int lag = 0;
         if (auto error = number(v, 1, 1000000, lag)) return error;
         c.autoscale.targetLagPerWorker = lag;
         return std::nullopt;
       }},
      {"autoscale", "cooldown_ms", "SU_SCALE_COOLDOWN_MS", "scale-cooldown-ms",
       "the least time between two scale requests",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         int ms = 0;
         if (auto error = number(v, 0, 86400000, ms)) return error;
         c.autoscale.cooldown = Milliseconds(ms);
         return std::nullopt;
       }},
      {"autoscale", "tick_ms", "SU_SCALE_TICK_MS", "scale-tick-ms",
       "how often the queue's lag is read for the autoscaling signal",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         int ms = 0;
         if (auto error = number(v, 100, 3600000, ms)) return error;
         c.autoscaleTick = Milliseconds(ms);
         return std::nullopt;
       }},
      {"cluster", "redis", "SU_CLUSTER_REDIS", "cluster",
       "the Redis the cluster's nodes share, redis://[user:password@]host[:port][/db] (unset: "
       "a node alone)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         if (auto address = queue::parseRedisAddress(v); !address) return address.error().message;
         c.clusterRedis = v;
         return std::nullopt;
       }},
      {"cluster", "name", "SU_CLUSTER_NAME", "cluster-name",
       "the cluster's name: the prefix of its keys in Redis",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty() || v.find_first_of(" *?[]") != std::string::npos)
           return "must be a word (no spaces or glob characters)";
         c.clusterName = v;
         return std::nullopt;
       }},
      {"cluster", "key_file", "SU_CLUSTER_KEY_FILE", "cluster-key-file",
       "the cluster key (`streaming-utils cluster keygen`), which seals secrets kept in Redis",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         c.clusterKeyFile = v;
         return std::nullopt;
       }},
      {"cluster", "node_id", "SU_NODE_ID", "node-id",
       "this node's id in the cluster (default: "
       "the host name)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty() || v.find_first_of(" *?[]:") != std::string::npos)
           return "must be a word (no spaces, colons or glob characters)";
         c.nodeId = v;
         return std::nullopt;
       }},
      {"cluster", "lease_ms", "SU_LEASE_MS", "lease-ms",
       "how long a node that stopped renewing keeps its broadcasts before others adopt them",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         int ms = 0;
         if (auto error = number(v, 600, 600000, ms)) return error;
         c.lease = Milliseconds(ms);
         return std::nullopt;
       }},
      {"log", "level", "SU_LOG_LEVEL", "log-level", "GStreamer debug spec, as GST_DEBUG (su*:4)",
       [](ServeConfig& c, const std::string& v) -> std::optional<std::string> {
         c.logLevel = v;
         return std::nullopt;
       }},
  };
  return table;
}

Error invalid(std::string message) {
  return makeError(ConfigError::Invalid, std::move(message));
}

}  // namespace

GQuark errorDomainOf(ConfigError) {
  return g_quark_from_static_string("su-config-error");
}

std::string ServeConfig::listen() const {
  const bool v6 = listenHost.find(':') != std::string::npos;
  return (v6 ? "[" + listenHost + "]" : listenHost) + ":" + std::to_string(listenPort);
}

const std::map<std::string, std::string>& serveConfigFlags() {
  static const std::map<std::string, std::string> flags = [] {
    std::map<std::string, std::string> all;
    for (const Key& key : keys())
      all[key.flag] = std::string(key.help) + " ([" + key.group + "] " + key.name + ", $" +
                      key.environment + ")";
    return all;
  }();
  return flags;
}

Result<ServeConfig> loadServeConfig(const ConfigSources& sources) {
  ServeConfig config;
  if (sources.file) {
    auto file = GUnique<GKeyFile>::adopt(g_key_file_new());
    GUnique<GError> error;
    if (!g_key_file_load_from_file(file.get(), sources.file->c_str(), G_KEY_FILE_NONE,
                                   error.outPtr())) {
      return invalid(*sources.file + ": " + error->message);
    }
    // Every group and key must be known: a typo is an error, not a silent default.
    gsize groupCount = 0;
    auto groups = GUnique<gchar*>::adopt(g_key_file_get_groups(file.get(), &groupCount));
    for (gsize g = 0; g < groupCount; ++g) {
      const std::string group = groups.get()[g];
      gsize keyCount = 0;
      auto names = GUnique<gchar*>::adopt(
          g_key_file_get_keys(file.get(), group.c_str(), &keyCount, nullptr));
      for (gsize k = 0; k < keyCount; ++k) {
        const std::string name = names.get()[k];
        if (group == "kafka") {
          if (!queue::isKafkaSecuritySetting(name)) {
            return invalid(*sources.file + ": [kafka] " + name +
                           ": unknown key (the group takes librdkafka's security.protocol, "
                           "ssl.* and sasl.* settings)");
          }
          auto value = GUnique<gchar>::adopt(
              g_key_file_get_string(file.get(), group.c_str(), name.c_str(), nullptr));
          config.kafkaSettings.emplace_back(name, value ? value.get() : "");
          continue;
        }
        const Key* known = nullptr;
        for (const Key& key : keys()) {
          if (group == key.group && name == key.name) known = &key;
        }
        if (!known) return invalid(*sources.file + ": [" + group + "] " + name + ": unknown key");
        auto value = GUnique<gchar>::adopt(
            g_key_file_get_string(file.get(), group.c_str(), name.c_str(), nullptr));
        if (auto problem = known->apply(config, value ? value.get() : "")) {
          return invalid(*sources.file + ": [" + group + "] " + name + ": " + *problem);
        }
      }
    }
  }
  for (const Key& key : keys()) {
    if (const char* value = g_getenv(key.environment)) {
      if (auto problem = key.apply(config, value)) {
        return invalid(std::string("$") + key.environment + ": " + *problem);
      }
    }
  }
  for (const auto& [flag, value] : sources.flags) {
    const Key* known = nullptr;
    for (const Key& key : keys()) {
      if (flag == key.flag) known = &key;
    }
    if (!known) return invalid("--" + flag + ": not a configuration flag");
    if (auto problem = known->apply(config, value)) return invalid("--" + flag + ": " + *problem);
  }
  if (config.clusterRedis && !config.clusterKeyFile) {
    return invalid(
        "[cluster] redis needs [cluster] key_file: the key that seals the secrets "
        "the cluster keeps in Redis (make one with `streaming-utils cluster keygen`)");
  }
  if (config.drain == DrainPolicy::Handover && !config.clusterRedis) {
    return invalid("[node] drain = handover needs a cluster ([cluster] redis)");
  }
  if (config.tlsCertificate.has_value() != config.tlsKey.has_value()) {
    return invalid("[http] tls_certificate and tls_key go together: set both, or neither");
  }
  return config;
}

Result<ServeSecrets> loadServeSecrets(const ServeConfig& config) {
  ServeSecrets secrets;
  if (config.tokenFile) {
    gchar* contents = nullptr;
    gsize length = 0;
    GUnique<GError> error;
    if (!g_file_get_contents(config.tokenFile->c_str(), &contents, &length, error.outPtr())) {
      return invalid("[http] token_file: " + std::string(error->message));
    }
    std::string token(GUnique<char>::adopt(contents).get(), length);
    while (!token.empty() && g_ascii_isspace(token.back()))
      token.pop_back();
    if (token.empty()) return invalid("[http] token_file " + *config.tokenFile + " is empty");
    if (token.size() > 4096 || token.find_first_of("\r\n") != std::string::npos) {
      return invalid("[http] token_file " + *config.tokenFile +
                     ": the token must be one line of at most 4096 characters");
    }
    secrets.token = std::move(token);
  }
  auto address =
      GRef<GInetAddress>::adopt(g_inet_address_new_from_string(config.listenHost.c_str()));
  if (!secrets.token && !(address && g_inet_address_get_is_loopback(address.get()))) {
    return invalid("listening on " + config.listen() +
                   " needs a token: set [http] token_file (or --token-file)");
  }
  if (config.tlsCertificate) {
    auto pair = tls::loadPair(*config.tlsCertificate, *config.tlsKey);
    if (!pair) return invalid("[http] tls_certificate: " + pair.error().message);
    secrets.certificate = std::move(*pair);
  }
  return secrets;
}

}  // namespace su::service
