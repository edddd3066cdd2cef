#include "cluster/cluster_store.hpp"

#include <glib.h>

#include "cluster/cluster_key.hpp"

namespace su::cluster {

namespace {

using queue::redisArgs;
using queue::RedisReply;

// Every script that decides on liveness starts with this: a node is alive while its node key
// holds the generation asked about. ARGV[1] is always the key prefix.
#define SU_ALIVE                                                                           \
  "local function alive(node, generation)\n"                                               \
  "  return redis.call('HGET', ARGV[1] .. ':node:' .. node, 'generation') == generation\n" \
  "end\n"

// KEYS: generation counter, node key. ARGV: prefix, lease ms, the node's fields and values.
constexpr const char* kJoin =
    "if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end\n"
    "local generation = redis.call('INCR', KEYS[1])\n"
    "redis.call('HSET', KEYS[2], 'generation', generation, unpack(ARGV, 3))\n"
    "redis.call('PEXPIRE', KEYS[2], ARGV[2])\n"
    "return generation\n";

// KEYS: node key. ARGV: prefix, generation, lease ms, load.
constexpr const char* kRenew =
    "if redis.call('HGET', KEYS[1], 'generation') ~= ARGV[2] then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'load', ARGV[4])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
    "return 1\n";

// KEYS: node key. ARGV: prefix, generation.
constexpr const char* kLeave =
    "if redis.call('HGET', KEYS[1], 'generation') == ARGV[2] then redis.call('DEL', KEYS[1]) end\n"
    "return 1\n";

// KEYS: owner key, index. ARGV: prefix, node, generation, broadcast id, the record's fields.
constexpr const char* kClaim = SU_ALIVE
    "if not alive(ARGV[2], ARGV[3]) then return {'no_lease'} end\n"
    "local owner = redis.call('HMGET', KEYS[1], 'node', 'generation')\n"
    "local mine = owner[1] == ARGV[2] and owner[2] == ARGV[3]\n"
    "if owner[1] and not mine and alive(owner[1], owner[2]) then return {'owned', owner[1]} end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('HSET', KEYS[1], unpack(ARGV, 5))\n"
    "redis.call('SADD', KEYS[2], ARGV[4])\n"
    "return {'claimed'}\n";

// KEYS: owner key. ARGV: prefix, node, generation, the fields to write. A writer whose lease
// lapsed writes nothing: a stop marked on its record meanwhile stays for the adopter.
constexpr const char* kUpdate = SU_ALIVE
    "local owner = redis.call('HMGET', KEYS[1], 'node', 'generation')\n"
    "if owner[1] ~= ARGV[2] or owner[2] ~= ARGV[3] then return 0 end\n"
    "if not alive(ARGV[2], ARGV[3]) then return 0 end\n"
    "redis.call('HSET', KEYS[1], unpack(ARGV, 4))\n"
    "return 1\n";

// KEYS: owner key, index. ARGV: prefix, node, generation, broadcast id.
constexpr const char* kRelease =
    "local owner = redis.call('HMGET', KEYS[1], 'node', 'generation')\n"
    "if owner[1] ~= ARGV[2] or owner[2] ~= ARGV[3] then return 0 end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('SREM', KEYS[2], ARGV[4])\n"
    "return 1\n";

// KEYS: owner key. ARGV: prefix, old node, old generation, new node, new generation, old state,
// fields. The state too must be as the adopter read it: a stop may have marked it since.
constexpr const char* kAdopt = SU_ALIVE
    "local owner = redis.call('HMGET', KEYS[1], 'node', 'generation', 'state')\n"
    "if owner[1] ~= ARGV[2] or owner[2] ~= ARGV[3] or owner[3] ~= ARGV[6] then return 0 end\n"
    "if alive(ARGV[2], ARGV[3]) or not alive(ARGV[4], ARGV[5]) then return 0 end\n"
    "redis.call('HSET', KEYS[1], unpack(ARGV, 7))\n"
    "return 1\n";

// KEYS: owner key. ARGV: prefix. {'none'} without a record to stop (or one stopped already),
// {'owned', node} while its owner is alive, else {'marked', node}: the record says stopping,
// and whoever adopts it finishes it instead of running it.
constexpr const char* kRequestStop = SU_ALIVE
    "local owner = redis.call('HMGET', KEYS[1], 'node', 'generation', 'state')\n"
    "if not owner[1] or owner[3] == 'stopped' or owner[3] == 'failed' then return {'none'} end\n"
    "if alive(owner[1], owner[2]) then return {'owned', owner[1]} end\n"
    "redis.call('HSET', KEYS[1], 'state', 'stopping')\n"
    "return {'marked', owner[1]}\n";

// KEYS: node key. ARGV: prefix, node, generation.
constexpr const char* kAlive = SU_ALIVE "return alive(ARGV[2], ARGV[3]) and 1 or 0\n";

#undef SU_ALIVE

std::int64_t nowMs() {
  return g_get_real_time() / 1000;
}

void append(std::vector<std::string>& to, std::vector<std::string> more) {
  to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

std::vector<std::string> fieldsOf(const NodeInfo& node) {
  return redisArgs("node", node.id, "capacity", std::to_string(node.capacity), "load",
                   std::to_string(node.load), "api", node.api, "started_at_ms",
                   std::to_string(node.startedAtMs));
}

std::vector<std::string> fieldsOf(const OwnerRecord& record) {
  return redisArgs("broadcast_id", record.broadcastId, "node", record.node, "generation",
                   std::to_string(record.generation), "state", record.state, "result",
                   record.resultJson, "request", record.sealedRequest, "updated_at_ms",
                   std::to_string(record.updatedAtMs ? record.updatedAtMs : nowMs()));
}

std::string text(const RedisReply* reply) {
  return reply ? reply->text : std::string();
}

std::int64_t number(const RedisReply* reply) {
  return reply ? reply->asInteger().value_or(0) : 0;
}

NodeInfo nodeOf(const RedisReply& hash) {
  return NodeInfo{.id = text(hash.field("node")),
                  .generation = number(hash.field("generation")),
                  .capacity = number(hash.field("capacity")),
                  .load = number(hash.field("load")),
                  .api = text(hash.field("api")),
                  .startedAtMs = number(hash.field("started_at_ms"))};
}

OwnerRecord recordOf(const RedisReply& hash) {
  return OwnerRecord{.broadcastId = text(hash.field("broadcast_id")),
                     .node = text(hash.field("node")),
                     .generation = number(hash.field("generation")),
                     .state = text(hash.field("state")),
                     .resultJson = text(hash.field("result")),
                     .sealedRequest = text(hash.field("request")),
                     .updatedAtMs = number(hash.field("updated_at_ms"))};
}

}  // namespace

ClusterStore::ClusterStore(GMainContext* context, queue::RedisAddress address, std::string prefix,
                           Milliseconds commandTimeout)
    : redis_(context, address, "cluster", commandTimeout),
      control_(context, std::move(address), "cluster control", commandTimeout),
      prefix_(std::move(prefix)),
      timeout_(commandTimeout) {}

Task<RedisReply> ClusterStore::eval(const char* script, std::vector<std::string> keys,
                                    std::vector<std::string> args) {
  std::vector<std::string> command = redisArgs("EVAL", script, std::to_string(keys.size()));
  append(command, std::move(keys));
  command.push_back(prefix_);
  append(command, std::move(args));
  co_return co_await redis_.command(std::move(command), timeout_);
}

Task<std::int64_t> ClusterStore::join(NodeInfo node, Milliseconds lease) {
  std::vector<std::string> args = redisArgs(std::to_string(lease.count()));
  append(args, fieldsOf(node));
  auto joined =
      co_await eval(kJoin, redisArgs(prefix_ + ":generation", nodeKey(node.id)), std::move(args));
  if (!joined) co_return joined.error();
  if (number(&*joined) == 0) {
    co_return makeError(ClusterError::NodeIdInUse,
                        "node id " + node.id +
                            " is held by a live node (another process with this id, or this "
                            "node's previous run until its lease expires)");
  }
  co_return number(&*joined);
}

Task<bool> ClusterStore::renew(NodeInfo node, Milliseconds lease) {
  auto renewed = co_await eval(kRenew, redisArgs(nodeKey(node.id)),
                               redisArgs(std::to_string(node.generation),
                                         std::to_string(lease.count()), std::to_string(node.load)));
  if (!renewed) co_return renewed.error();
  co_return number(&*renewed) == 1;
}

Task<void> ClusterStore::leave(NodeInfo node) {
  auto left = co_await eval(kLeave, redisArgs(nodeKey(node.id)),
                            redisArgs(std::to_string(node.generation)));
  if (!left) co_return left.error();
  co_return {};
}

Task<Claim> ClusterStore::claim(OwnerRecord record) {
  std::vector<std::string> args =
      redisArgs(record.node, std::to_string(record.generation), record.broadcastId);
  append(args, fieldsOf(record));
  auto claimed =
      co_await eval(kClaim, redisArgs(ownerKey(record.broadcastId), indexKey()), std::move(args));
  if (!claimed) co_return claimed.error();
  const std::string outcome =
      claimed->elements.empty() ? std::string() : claimed->elements.front().text;
  if (outcome == "owned") {
    co_return Claim{.outcome = Claim::Outcome::OwnedElsewhere,
                    .owner = claimed->elements.size() > 1 ? claimed->elements[1].text : ""};
  }
  if (outcome == "no_lease") co_return Claim{.outcome = Claim::Outcome::NoLease};
  co_return Claim{};
}

Task<bool> ClusterStore::update(OwnerRecord record) {
  std::vector<std::string> args = redisArgs(record.node, std::to_string(record.generation));
  append(args, fieldsOf(record));
  auto updated = co_await eval(kUpdate, redisArgs(ownerKey(record.broadcastId)), std::move(args));
  if (!updated) co_return updated.error();
  co_return number(&*updated) == 1;
}

Task<void> ClusterStore::release(std::string broadcastId, std::string node,
                                 std::int64_t generation) {
  auto released = co_await eval(kRelease, redisArgs(ownerKey(broadcastId), indexKey()),
                                redisArgs(node, std::to_string(generation), broadcastId));
  if (!released) co_return released.error();
  co_return {};
}

Task<bool> ClusterStore::adopt(OwnerRecord from, OwnerRecord to) {
  std::vector<std::string> args = redisArgs(from.node, std::to_string(from.generation), to.node,
                                            std::to_string(to.generation), from.state);
  append(args, fieldsOf(to));
  auto adopted = co_await eval(kAdopt, redisArgs(ownerKey(from.broadcastId)), std::move(args));
  if (!adopted) co_return adopted.error();
  co_return number(&*adopted) == 1;
}

Task<StopRoute> ClusterStore::requestStop(std::string broadcastId) {
  auto asked = co_await eval(kRequestStop, redisArgs(ownerKey(broadcastId)), {});
  if (!asked) co_return asked.error();
  const std::string outcome = asked->elements.empty() ? std::string() : asked->elements[0].text;
  const std::string owner = asked->elements.size() > 1 ? asked->elements[1].text : "";
  if (outcome == "owned") co_return StopRoute{.outcome = StopRoute::Outcome::Owned, .owner = owner};
  if (outcome == "marked")
    co_return StopRoute{.outcome = StopRoute::Outcome::Marked, .owner = owner};
  co_return StopRoute{};
}

Task<bool> ClusterStore::alive(std::string node, std::int64_t generation) {
  auto answer =
      co_await eval(kAlive, redisArgs(nodeKey(node)), redisArgs(node, std::to_string(generation)));
  if (!answer) co_return answer.error();
  co_return number(&*answer) == 1;
}

Task<std::vector<NodeInfo>> ClusterStore::nodes() {
  std::vector<NodeInfo> found;
  std::string cursor = "0";
  do {
    auto page = co_await redis_.command(
        redisArgs("SCAN", cursor, "MATCH", nodeKey("*"), "COUNT", "100"), timeout_);
    if (!page) co_return page.error();
    if (page->elements.size() != 2)
      co_return makeError(ClusterError::BadReply, "SCAN answered no cursor");
    cursor = page->elements[0].text;
    for (const RedisReply& key : page->elements[1].elements) {
      auto hash = co_await redis_.command(redisArgs("HGETALL", key.text), timeout_);
      if (!hash) co_return hash.error();
      if (hash->elements.empty()) continue;  // expired meanwhile
      NodeInfo node = nodeOf(*hash);
      auto left = co_await redis_.command(redisArgs("PTTL", key.text), timeout_);
      if (left && left->integer >= 0) node.leaseLeftMs = left->integer;
      found.push_back(std::move(node));
    }
  } while (cursor != "0");
  co_return found;
}

Task<std::optional<OwnerRecord>> ClusterStore::record(std::string broadcastId) {
  auto hash = co_await redis_.command(redisArgs("HGETALL", ownerKey(broadcastId)), timeout_);
  if (!hash) co_return hash.error();
  if (hash->elements.empty()) co_return std::optional<OwnerRecord>();
  co_return std::optional<OwnerRecord>(recordOf(*hash));
}

Task<std::vector<OwnerRecord>> ClusterStore::records() {
  auto ids = co_await redis_.command(redisArgs("SMEMBERS", indexKey()), timeout_);
  if (!ids) co_return ids.error();
  std::vector<OwnerRecord> found;
  if (ids->elements.empty()) co_return found;
  // Every record in one round trip: every node reads them all on every renewal tick.
  std::vector<std::vector<std::string>> reads;
  for (const RedisReply& id : ids->elements)
    reads.push_back(redisArgs("HGETALL", ownerKey(id.text)));
  auto hashes = co_await redis_.transaction(std::move(reads), timeout_);
  if (!hashes) co_return hashes.error();
  for (const RedisReply& hash : *hashes) {
    if (!hash.elements.empty()) found.push_back(recordOf(hash));  // released meanwhile
  }
  co_return found;
}

}  // namespace su::cluster

namespace su::cluster {

Task<void> ClusterStore::sendControl(ControlMessage message) {
  auto added = co_await redis_.command(
      redisArgs("XADD", controlKey(), "MAXLEN", "~", "10000", "*", "action", message.action,
                "broadcast_id", message.broadcastId, "from", message.from),
      timeout_);
  if (!added) co_return added.error();
  co_return {};
}

Task<void> ClusterStore::openControl(std::string nodeId) {
  auto created = co_await redis_.command(
      redisArgs("XGROUP", "CREATE", controlKey(), "node:" + nodeId, "$", "MKSTREAM"), timeout_);
  if (!created && created.error().message.find("BUSYGROUP") == std::string::npos)
    co_return created.error();
  co_return {};
}

Task<void> ClusterStore::closeControl(std::string nodeId) {
  auto destroyed = co_await redis_.command(
      redisArgs("XGROUP", "DESTROY", controlKey(), "node:" + nodeId), timeout_);
  if (!destroyed) co_return destroyed.error();
  co_return {};
}

Task<std::vector<ControlMessage>> ClusterStore::readControl(std::string nodeId, Milliseconds wait) {
  const std::string group = "node:" + nodeId;
  auto read = co_await control_.command(
      redisArgs("XREADGROUP", "GROUP", group, nodeId, "COUNT", "16", "BLOCK",
                std::to_string(std::max<std::int64_t>(wait.count(), 1)), "STREAMS", controlKey(),
                ">"),
      wait + timeout_);
  if (!read) co_return read.error();
  std::vector<ControlMessage> messages;
  // [[stream, [[id, [field, value...]]...]]], nil when the wait ended with none.
  for (const RedisReply& stream : read->elements) {
    if (stream.elements.size() != 2) continue;
    for (const RedisReply& entry : stream.elements[1].elements) {
      if (entry.elements.size() != 2) continue;
      const RedisReply& fields = entry.elements[1];
      messages.push_back(ControlMessage{.id = entry.elements[0].text,
                                        .action = text(fields.field("action")),
                                        .broadcastId = text(fields.field("broadcast_id")),
                                        .from = text(fields.field("from"))});
      (void)co_await redis_.command(redisArgs("XACK", controlKey(), group, entry.elements[0].text),
                                    timeout_);
    }
  }
  co_return messages;
}

}  // namespace su::cluster
