// ClusterNode: this node's part in a cluster of ingest nodes sharing one Redis
// (docs/architecture.md, "A cluster of nodes"). It holds the node's lease, keeps an owner record
// for every broadcast the node runs, lets a start run only where no live node owns its
// broadcast, and adopts the broadcasts of nodes that died.
//
// - Lease: joined with a new generation (waiting while a previous run of this id still holds
//   it), renewed every lease / 3. A renewal that fails (Redis unreachable, or the lease already
//   expired) fences the node: it abandons its broadcasts at once — relays stop feeding Janus,
//   Janus resources stay for the adopter — stops taking work, and joins again. In-process
//   relays also stop sending on their own once two thirds of the lease passed without a
//   renewal (media/feed_fence.hpp): a frozen process that wakes up sends nothing.
// - Records: written as each broadcast changes state (claimed when it starts, updated when it
//   runs or retries, released when it stopped), the request sealed with the cluster key.
// - Stops: a stop job claimed by a node that does not run the broadcast is sent to its owner
//   through the control stream (every node reads it with a group of its own) and waited for;
//   when the owner is not alive the record is marked stopping, and its adopter finishes it.
// - Adoption: every lease / 2 the node looks for records whose owner is not alive and, with
//   room to spare, takes each over in one atomic step (one adopter wins), then starts the
//   broadcast again on the mountpoint id and ports its owner left, re-attaching the mountpoint
//   if Janus still has it.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "cluster/cluster_key.hpp"
#include "cluster/cluster_store.hpp"
#include "orchestrator/orchestrator.hpp"

namespace su::cluster {

struct ClusterOptions {
  std::string nodeId;  // empty: the host name
  Milliseconds lease{10'000};
  std::int64_t capacity = 0;  // broadcasts it adopts at most (0: no limit)
  std::string api;            // this node's HTTP API, shown to operators
};

struct ClusterObserver {
  // joined, lease_lost, fenced, adopted, adopt_failed, claim_refused, record_lost — with a
  // human-readable detail (never a secret).
  std::function<void(const std::string& what, const std::string& broadcastId,
                     const std::string& detail)>
      onEvent;
};

class ClusterNode {
 public:
  ClusterNode(GMainContext* context, ClusterStore& store, ClusterKey key,
              orchestrator::BroadcastOrchestrator& orchestrator, ClusterOptions options,
              ClusterObserver observer = {});
  ~ClusterNode();

  // Joins, then renews and adopts until stop().
  void start();
  // Stops renewing and adopting; with `leave`, gives the id up (the records of broadcasts still
  // running stay for adopters once the lease has lapsed).
  void stop(bool leave, std::function<void()> done);

  const NodeInfo& node() const noexcept { return node_; }
  ClusterStore& store() noexcept { return store_; }
  // Holding a lease: may take work.
  bool leased() const noexcept { return leased_; }

  // Before a start runs here: claims its broadcast (a request without an id is always
  // claimable). OwnedElsewhere names the live owner: the start must not run here.
  Task<Claim> claim(model::BroadcastRequest request);
  // A stop of a broadcast that is not here: sent to its live owner through the control stream
  // (again to each new owner, should it be adopted meanwhile); an owner not alive finds its
  // record marked stopping, which its adopter finishes instead of running. Waited for until the
  // record is released or stopped. False when there is no record (nothing to stop); an error
  // when it was not stopped in time (the stop job is tried again).
  Task<bool> routeStop(std::string broadcastId);
  // The orchestrator's news about a broadcast: its record follows (in order, coalesced).
  void noteState(const std::string& broadcastId);

  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

 private:
  Task<void> running();
  Task<void> stopping(bool leave, std::function<void()> done);
  Task<void> joining();
  Task<void> adoptOrphans();
  Task<void> adoptOne(OwnerRecord orphan);
  Task<void> writingRecords();
  // Stops asked of this node by others, through the control stream.
  Task<void> controlling();
  // Stops `broadcastId` if this node runs it, or once its adoption here has started it; false
  // when it is not here (or stopped already).
  bool stopHere(const std::string& broadcastId);
  Result<OwnerRecord> recordOf(const model::BroadcastResult& result) const;
  // The request as records keep it: sealed with the cluster key, bound to the broadcast.
  Result<std::string> sealed(const model::BroadcastRequest& request,
                             const std::string& broadcastId) const;
  void fence(const std::string& why);
  // The lease was granted or renewed, as asked for at `askedAtUs`: in-process relays send until
  // fenceAfter() past it, and the node fences then unless renewed first.
  void leaseHeldFrom(std::int64_t askedAtUs);
  Milliseconds fenceAfter() const;
  void report(const std::string& what, const std::string& broadcastId = {},
              const std::string& detail = {}) const;

  GRef<GMainContext> context_;
  ClusterStore& store_;
  ClusterKey key_;
  orchestrator::BroadcastOrchestrator& orchestrator_;
  ClusterOptions options_;
  ClusterObserver observer_;
  NodeInfo node_;
  bool leased_ = false;
  bool stopping_ = false;
  std::deque<std::string> dirty_;  // broadcasts whose record is to write, oldest first
  std::set<std::string> adopting_;
  // Being adopted, and asked to stop before the orchestrator had them.
  std::set<std::string> stopWhenAdopted_;
  Condition wake_;      // a record to write, or stop()
  Trigger writerDone_;  // the record writer has finished (after stop())
  Task<void> runTask_;
  Task<void> writeTask_;
  Task<void> controlTask_;
  Task<void> stopTask_;
  TaskGroup adoptions_;
  std::uint64_t heldBackBefore_ = 0;  // media::packetsHeldBack() at the last fence
  std::int64_t leaseAskedAtUs_ = 0;   // monotonic: when the lease held now was asked for
  Source fenceTimer_;                 // at the lease's deadline, unless renewed first
};

}  // namespace su::cluster
