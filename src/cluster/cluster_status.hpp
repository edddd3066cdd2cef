// What operators see of a cluster (`streaming-utils cluster status`, serve's /v1/cluster): its
// nodes and its broadcasts' owners, as JSON. Nothing secret: requests stay sealed, results are
// masked.
#pragma once

#include <string>

#include "cluster/cluster_store.hpp"
#include "json/value.hpp"

namespace su::cluster {

// {"cluster", "nodes": [{node, generation, load, capacity, api, lease_left_ms, started_at_ms}],
//  "broadcasts": [{broadcast_id, node, generation, owner_alive, state, mountpoint,
//  updated_at_ms}], "orphans": [broadcast ids whose owner is not alive]}
Task<json::Value> clusterStatus(ClusterStore& store);

// One broadcast's record as /v1/broadcasts/{id} shows it on a node that does not run it.
json::Value recordView(const OwnerRecord& record, bool ownerAlive);

}  // namespace su::cluster
