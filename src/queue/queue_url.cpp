#include "queue/queue_url.hpp"

#include <charconv>

#include "core/uri.hpp"
#include "queue/memory_queue.hpp"

namespace su::queue {

namespace {

Error invalid(std::string message) {
  return makeError(QueueError::InvalidUrl, std::move(message));
}

// The TLS options of a rediss:// URL (tls_ca, tls_cert, tls_key, tls_server_name): true if `key`
// is one (set in `tls`).
bool readTlsOption(const std::string& key, const std::string& value, RedisTls& tls) {
  if (key == "tls_ca") {
    tls.caFile = value;
  } else if (key == "tls_cert") {
    tls.certificate = value;
  } else if (key == "tls_key") {
    tls.key = value;
  } else if (key == "tls_server_name") {
    tls.serverName = value;
  } else {
    return false;
  }
  return true;
}

std::optional<std::int64_t> positive(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// The query's options into `url`; the first unknown or invalid one is an error.
Result<void> readOptions(std::string_view query, QueueUrl& url) {
  auto params = uri::parameters(query);
  if (!params) return invalid("malformed query in queue URL");
  for (const auto& option : *params) {
    const std::string& key = option.first;  // clang 14 lambdas cannot capture structured bindings
    const std::string& value = option.second;
    auto number = [&](std::int64_t& into) -> Result<void> {
      auto parsed = positive(value);
      if (!parsed) return invalid("queue URL option " + key + " must be a positive integer");
      into = *parsed;
      return {};
    };
    Result<void> read;
    std::int64_t n = 0;
    if (url.kind == model::QueueKind::Redis && url.redis.address.tls &&
        readTlsOption(key, value, *url.redis.address.tls)) {
      continue;
    }
    if (url.kind == model::QueueKind::Kafka && isKafkaSecuritySetting(key)) {
      url.kafka.settings.emplace_back(key, value);
      continue;
    }
    if (key == "stream" && url.kind == model::QueueKind::Redis) {
      url.redis.stream = value;
    } else if (key == "group" && url.kind == model::QueueKind::Redis) {
      url.redis.group = value;
    } else if (key == "group" && url.kind == model::QueueKind::Kafka) {
      url.kafka.group = value;
    } else if (key == "dead_letter" && url.kind == model::QueueKind::Redis) {
      url.redis.deadLetterStream = value;
    } else if (key == "dead_letter" && url.kind == model::QueueKind::Kafka) {
      url.kafka.deadLetterTopic = value;
    } else if (key == "consumer") {
      url.options.consumer = value;
    } else if (key == "max_attempts") {
      if (read = number(n); read) url.options.maxAttempts = static_cast<int>(n);
    } else if (key == "visibility_ms") {
      if (read = number(n); read) url.options.visibilityTimeout = Milliseconds(n);
    } else if (key == "max_length") {
      if (read = number(n); read) url.options.maxLength = n;
    } else {
      return invalid("unknown queue URL option " + key + " for a " +
                     std::string(model::nameOf(url.kind)) + " queue");
    }
    if (!read) return read.error();
  }
  if (url.redis.stream.empty() || url.redis.group.empty() || url.kafka.topic.empty() ||
      url.kafka.group.empty()) {
    return invalid("queue URL: stream, topic and group must not be empty");
  }
  return {};
}

Result<RedisAddress> addressOf(const uri::Parts& parts) {
  RedisAddress address;
  address.host = parts.host;
  if (parts.port > 0) address.port = parts.port;
  if (parts.user && !parts.user->empty()) address.user = uri::unescape(*parts.user);
  if (parts.password) address.password = uri::unescape(*parts.password);
  const std::string db = parts.path.empty() ? "" : parts.path.substr(1);
  if (!db.empty()) {
    int value = -1;
    const auto [end, error] = std::from_chars(db.data(), db.data() + db.size(), value);
    if (error != std::errc() || end != db.data() + db.size() || value < 0) {
      return invalid("the path of a Redis URL is the database number, not " + db);
    }
    address.database = value;
  }
  return address;
}

Result<QueueUrl> parseRedis(std::string_view text) {
  auto parts = uri::split(text);
  if (!parts || parts->host.empty()) return invalid("not a Redis URL: redis[s]://host[:port][/db]");
  if (parts->fragment) return invalid("a Redis queue URL has no #fragment");
  QueueUrl url{.kind = model::QueueKind::Redis};
  auto address = addressOf(*parts);
  if (!address) return address.error();
  url.redis.address = std::move(*address);
  if (text.starts_with("rediss://")) url.redis.address.tls = RedisTls{};
  if (auto read = readOptions(parts->query.value_or(""), url); !read) return read.error();
  return url;
}

Result<QueueUrl> parseKafka(std::string_view text) {
  // GUri takes one host; Kafka takes a list of them: the brokers are split off first.
  std::string_view rest = text.substr(std::string_view("kafka://").size());
  const std::size_t slash = rest.find('/');
  QueueUrl url{.kind = model::QueueKind::Kafka};
  url.kafka.brokers = std::string(rest.substr(0, slash));
  if (url.kafka.brokers.empty()) return invalid("not a Kafka URL: kafka://broker[,broker]/topic");
  auto parts = uri::split("kafka://brokers" +
                          std::string(slash == std::string_view::npos ? "" : rest.substr(slash)));
  if (!parts) return invalid("not a Kafka URL: kafka://broker[,broker]/topic");
  const std::string topic = parts->path.empty() ? "" : uri::unescape(parts->path.substr(1));
  if (!topic.empty()) url.kafka.topic = topic;
  if (auto read = readOptions(parts->query.value_or(""), url); !read) return read.error();
  return url;
}

}  // namespace

Result<RedisAddress> parseRedisAddress(std::string_view url) {
  const bool tls = url.starts_with("rediss://");
  auto parts = tls || url.starts_with("redis://") ? uri::split(url) : std::nullopt;
  if (!parts || parts->host.empty()) return invalid("not a Redis URL: redis[s]://host[:port][/db]");
  if (parts->fragment) return invalid("a Redis server URL has no #fragment");
  auto address = addressOf(*parts);
  if (!address) return address.error();
  if (tls) address->tls = RedisTls{};
  auto params = uri::parameters(parts->query.value_or(""));
  if (!params) return invalid("malformed query in Redis URL");
  for (const auto& [key, value] : *params) {
    if (!address->tls || !readTlsOption(key, value, *address->tls)) {
      return invalid("a Redis server URL takes no option " + key +
                     (tls ? " (rediss:// takes tls_ca, tls_cert, tls_key, tls_server_name)" : ""));
    }
  }
  return address;
}

Result<QueueUrl> parseQueueUrl(std::string_view url) {
  if (url.starts_with("memory:")) {
    QueueUrl parsed{.kind = model::QueueKind::Memory};
    const std::size_t query = url.find('?');
    if (query != std::string_view::npos) {
      if (auto read = readOptions(url.substr(query + 1), parsed); !read) return read.error();
    }
    return parsed;
  }
  if (url.starts_with("redis://") || url.starts_with("rediss://")) return parseRedis(url);
  if (url.starts_with("kafka://")) return parseKafka(url);
  return invalid("unknown queue URL (expected memory:, redis://... or kafka://...)");
}

Result<std::unique_ptr<JobQueue>> openQueue(GMainContext* context, const QueueUrl& url) {
  switch (url.kind) {
    case model::QueueKind::Memory:
      return std::unique_ptr<JobQueue>(new MemoryQueue(url.options));
    case model::QueueKind::Redis:
      if (url.redis.address.tls) {
        if (auto material = loadRedisTls(*url.redis.address.tls); !material)
          return material.error();
      }
      return std::unique_ptr<JobQueue>(new RedisQueue(context, url.redis, url.options));
    case model::QueueKind::Kafka: {
      auto queue = KafkaQueue::open(context, url.kafka, url.options);
      if (!queue) return queue.error();
      return std::unique_ptr<JobQueue>(std::move(*queue));
    }
  }
  return invalid("unknown queue kind");
}

}  // namespace su::queue
