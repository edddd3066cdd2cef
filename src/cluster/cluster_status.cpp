#include "cluster/cluster_status.hpp"

#include <map>

#include "json/parse.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"

namespace su::cluster {

namespace {

// The part of a record's result operators need: the mountpoint and its ports.
GRef<JsonNode> mountpointOf(const std::string& resultJson) {
  auto result = json::parse(resultJson);
  if (!result || !JSON_NODE_HOLDS_OBJECT(result->get())) return json::nullNode();
  JsonObject* object = json_node_get_object(result->get());
  if (!json_object_has_member(object, "mountpoint")) return json::nullNode();
  return model::redacted(json_object_get_member(object, "mountpoint"));
}

json::ObjectWriter recordEntry(const OwnerRecord& record, bool ownerAlive) {
  json::ObjectWriter entry;
  entry.set("broadcast_id", record.broadcastId)
      .set("node", record.node)
      .set("generation", record.generation)
      .set("owner_alive", ownerAlive)
      .set("state", record.state)
      .set("mountpoint", mountpointOf(record.resultJson))
      .set("updated_at_ms", record.updatedAtMs);
  return entry;
}

}  // namespace

json::Value recordView(const OwnerRecord& record, bool ownerAlive) {
  return json::Value::of(recordEntry(record, ownerAlive).node());
}

Task<json::Value> clusterStatus(ClusterStore& store) {
  auto nodes = co_await store.nodes();
  if (!nodes) co_return nodes.error();
  auto records = co_await store.records();
  if (!records) co_return records.error();

  std::map<std::string, std::int64_t> alive;
  std::vector<GRef<JsonNode>> nodeEntries;
  for (const NodeInfo& node : *nodes) {
    alive[node.id] = node.generation;
    json::ObjectWriter entry;
    entry.set("node", node.id)
        .set("generation", node.generation)
        .set("load", node.load)
        .set("capacity", node.capacity)
        .set("api", node.api)
        .set("lease_left_ms", node.leaseLeftMs)
        .set("started_at_ms", node.startedAtMs);
    nodeEntries.push_back(entry.node());
  }
  std::vector<GRef<JsonNode>> broadcastEntries;
  std::vector<std::string> orphans;
  for (const OwnerRecord& record : *records) {
    auto owner = alive.find(record.node);
    const bool ownerAlive = owner != alive.end() && owner->second == record.generation;
    if (!ownerAlive) orphans.push_back(record.broadcastId);
    broadcastEntries.push_back(recordEntry(record, ownerAlive).node());
  }
  json::ObjectWriter out;
  out.set("cluster", store.prefix())
      .set("nodes", json::arrayOf(nodeEntries))
      .set("broadcasts", json::arrayOf(broadcastEntries))
      .set("orphans", orphans);
  co_return json::Value::of(out.node());
}

}  // namespace su::cluster
