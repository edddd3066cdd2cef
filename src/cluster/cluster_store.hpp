// The cluster's shared state, in Redis (docs/architecture.md, "A cluster of nodes"): who is
// alive, and who owns each broadcast. Every decision that two nodes could race on is one Lua
// script, which Redis runs atomically; nothing is decided from a read followed by a write.
//
//   PREFIX:generation      a counter: each node's lease generation (its fencing token)
//   PREFIX:node:ID         a hash {node, generation, capacity, load, api, started_at_ms} that
//                          expires after the lease unless its node renews it
//   PREFIX:owner:ID        a broadcast's owner record: a hash {broadcast_id, node, generation,
//                          state, result (JSON, secrets masked), request (sealed with the
//                          cluster key), updated_at_ms}
//   PREFIX:broadcasts      the set of broadcast ids with a record
//   PREFIX:control         a stream every node reads with a group of its own (node:ID), so each
//                          message reaches every node: a stop for a broadcast's owner
//
// A node is alive while its node key holds its generation. A record whose owner's generation is
// not alive any more is an orphan, for another node to adopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/task.hpp"
#include "queue/redis_connection.hpp"

namespace su::cluster {

struct NodeInfo {
  std::string id;
  std::int64_t generation = 0;  // set by join()
  std::int64_t capacity = 0;    // broadcasts it takes at most (0: no limit)
  std::int64_t load = 0;        // broadcasts it holds
  std::string api;              // its HTTP API, for operators
  std::int64_t startedAtMs = 0;
  std::optional<std::int64_t> leaseLeftMs;  // as read from Redis
};

struct OwnerRecord {
  std::string broadcastId;
  std::string node;
  std::int64_t generation = 0;
  std::string state;          // the broadcast's state, as its owner last wrote it
  std::string resultJson;     // its result, secrets masked
  std::string sealedRequest;  // ClusterKey::seal of the request, bound to the broadcast id
  std::int64_t updatedAtMs = 0;
};

// A control message: what its sender asks of a broadcast's owner.
struct ControlMessage {
  std::string id;      // in the stream
  std::string action;  // "stop" (a broadcast's owner stops it), "adopt" (orphans to adopt now)
  std::string broadcastId;
  std::string from;  // the sending node
};

// What claim() found.
struct Claim {
  enum class Outcome { Claimed, OwnedElsewhere, NoLease };
  Outcome outcome = Outcome::Claimed;
  std::string owner;  // OwnedElsewhere: the live node that owns it
};

// What requestStop() found.
struct StopRoute {
  // Nothing to stop (no record, or stopped already); a live owner to ask; or an owner not alive,
  // whose record now says stopping.
  enum class Outcome { Nothing, Owned, Marked };
  Outcome outcome = Outcome::Nothing;
  std::string owner;
};

class ClusterStore {
 public:
  ClusterStore(GMainContext* context, queue::RedisAddress address, std::string prefix,
               Milliseconds commandTimeout = Milliseconds(5000));

  const std::string& prefix() const noexcept { return prefix_; }

  // Connected to Redis (unless it already is): before a lease is asked for, so that the time a
  // lease is counted from is when the request can leave.
  Task<void> connect() { return redis_.connect(); }
  // Takes the node's id for `lease` with a new generation; fails while a live node holds it.
  Task<std::int64_t> join(NodeInfo node, Milliseconds lease);
  // Extends the lease (and updates the load); false when it was lost: expired, or taken by a
  // newer generation. A node that lost its lease must stop feeding Janus at once.
  Task<bool> renew(NodeInfo node, Milliseconds lease);
  // Gives the id up (at a clean exit), if it is still this generation's.
  Task<void> leave(NodeInfo node);

  // Records `record` as its node's, unless a live node owns the broadcast already (then that
  // node, untouched) or the claimer's own lease is gone.
  Task<Claim> claim(OwnerRecord record);
  // Writes the owner's news (state, result); false if the record is not its own any more.
  Task<bool> update(OwnerRecord record);
  // Forgets the broadcast (its owner stopped it), if the record is still `node`'s.
  Task<void> release(std::string broadcastId, std::string node, std::int64_t generation);
  // Takes an orphan over: only if its record is still `from`'s (node, generation and state),
  // that owner is not alive, and the adopter holds its lease. The record then is the adopter's.
  Task<bool> adopt(OwnerRecord from, OwnerRecord to);
  // A stop for a broadcast: who is to carry it out (its live owner), or, its owner not being
  // alive, the record marked stopping for its adopter to finish.
  Task<StopRoute> requestStop(std::string broadcastId);

  // Control: a message to every node; each node reads with its own group, made (for new
  // messages only) by openControl().
  Task<void> sendControl(ControlMessage message);
  Task<void> openControl(std::string nodeId);
  // Waits up to `wait` for messages to `nodeId` (acknowledged as they are read: a stop that
  // finds no owner is sent again by its job, which fails and is retried).
  Task<std::vector<ControlMessage>> readControl(std::string nodeId, Milliseconds wait);
  Task<void> closeControl(std::string nodeId);

  Task<std::vector<NodeInfo>> nodes();
  Task<std::vector<OwnerRecord>> records();
  Task<std::optional<OwnerRecord>> record(std::string broadcastId);
  // Whether `node` of `generation` holds its lease now.
  Task<bool> alive(std::string node, std::int64_t generation);

 private:
  std::string nodeKey(const std::string& id) const { return prefix_ + ":node:" + id; }
  std::string ownerKey(const std::string& id) const { return prefix_ + ":owner:" + id; }
  std::string indexKey() const { return prefix_ + ":broadcasts"; }
  std::string controlKey() const { return prefix_ + ":control"; }
  Task<queue::RedisReply> eval(const char* script, std::vector<std::string> keys,
                               std::vector<std::string> args);

  queue::RedisConnection redis_;
  queue::RedisConnection control_;  // blocking reads, which would hold every command behind them
  std::string prefix_;
  Milliseconds timeout_;
};

}  // namespace su::cluster
