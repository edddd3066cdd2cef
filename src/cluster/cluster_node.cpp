#include "cluster/cluster_node.hpp"

#include <algorithm>
#include <map>

#include "core/log.hpp"
#include "json/value.hpp"
#include "media/feed_fence.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::queue

namespace su::cluster {

namespace {

std::int64_t monotonicMs() {
  return g_get_monotonic_time() / 1000;
}

std::string hostName() {
  return g_get_host_name();
}

// The request as adopted: the mountpoint id and ports its former owner left (by mid), so that
// the relay feeds what viewers already watch.
void pinMountpoint(model::BroadcastRequest& request, const model::MountPointSection& left) {
  if (!request.mountpointSpec) return;
  request.mountpointSpec->id = left.id;
  for (model::MediaTrack& media : request.mountpointSpec->media) {
    auto port = std::find_if(left.media.begin(), left.media.end(),
                             [&](const model::MountPointPort& p) { return media.mid == p.mid; });
    if (port == left.media.end()) continue;
    media.port = port->port;
    media.rtcpPort = port->rtcpPort;
    media.port2 = port->port2;
    media.port3 = port->port3;
  }
}

}  // namespace

ClusterNode::ClusterNode(GMainContext* context, ClusterStore& store, ClusterKey key,
                         orchestrator::BroadcastOrchestrator& orchestrator, ClusterOptions options,
                         ClusterObserver observer)
    : context_(GRef<GMainContext>::ref(context)),
      store_(store),
      key_(std::move(key)),
      orchestrator_(orchestrator),
      options_(std::move(options)),
      observer_(std::move(observer)),
      adoptions_(context),
      heldBackBefore_(media::packetsHeldBack()) {
  node_.id = options_.nodeId.empty() ? hostName() : options_.nodeId;
  node_.capacity = options_.capacity;
  node_.api = options_.api;
}

ClusterNode::~ClusterNode() {
  media::setFeedDeadline(0);
}

void ClusterNode::report(const std::string& what, const std::string& broadcastId,
                         const std::string& text) const {
  // Details quote Redis's and the decoder's errors: masked like every other line shown.
  const std::string detail = model::redactText(text);
  GST_INFO("cluster node %s: %s %s %s", node_.id.c_str(), what.c_str(), broadcastId.c_str(),
           detail.c_str());
  if (observer_.onEvent) observer_.onEvent(what, broadcastId, detail);
}

void ClusterNode::start() {
  runTask_ = running();
  runTask_.start(context_.get());
  writeTask_ = writingRecords();
  writeTask_.start(context_.get());
}

void ClusterNode::leaseHeldFrom(std::int64_t askedAtUs) {
  leaseAskedAtUs_ = askedAtUs;
  const std::int64_t deadlineUs = askedAtUs + fenceAfter().count() * 1000;
  media::setFeedDeadline(deadlineUs);
  // The control loop fences at the deadline itself, whatever a renewal still waits for (a Redis
  // behind a partition answers nothing until its command timeout): a subprocess relay, which the
  // feed deadline does not reach, stops then too.
  const auto left =
      Milliseconds(std::max<std::int64_t>(0, (deadlineUs - g_get_monotonic_time()) / 1000));
  fenceTimer_ = Source::timeout(
      context_.get(), left,
      [this] {
        fence("the lease could not be renewed in time");
        return false;
      },
      "su-cluster-fence");
}

Milliseconds ClusterNode::fenceAfter() const {
  // Others adopt once the whole lease lapsed in Redis: fence well before, at two thirds of it
  // (counted from when the lease was asked for, which is before Redis counted it).
  return options_.lease - options_.lease / 3;
}

Task<void> ClusterNode::joining() {
  Milliseconds wait = std::min(options_.lease / 4, Milliseconds(1000));
  while (!stopping_) {
    node_.startedAtMs = g_get_real_time() / 1000;
    (void)co_await store_.connect();  // a TLS handshake is not part of the lease's time
    const std::int64_t askedAtUs = g_get_monotonic_time();
    auto generation = co_await store_.join(node_, options_.lease);
    if (generation) {
      node_.generation = *generation;
      leased_ = true;
      leaseHeldFrom(askedAtUs);
      report("joined", {}, "generation " + std::to_string(*generation));
      co_return {};
    }
    report("join_waiting", {}, generation.error().message);
    co_await sleep(wait);
  }
  co_return {};
}

Task<void> ClusterNode::running() {
  (void)co_await joining();
  controlTask_ = controlling();
  controlTask_.start(context_.get());
  const Milliseconds period = options_.lease / 3;
  while (!stopping_) {
    co_await sleep(period);
    if (stopping_) break;
    node_.load = 0;
    for (const model::BroadcastResult& result : orchestrator_.list()) {
      if (result.state != model::RunState::Stopped && result.state != model::RunState::Failed)
        ++node_.load;
    }
    (void)co_await store_.connect();  // a reconnection is not part of the lease's time
    const std::int64_t askedAtUs = g_get_monotonic_time();
    auto renewed = co_await store_.renew(node_, options_.lease);
    if (!leased_) {
      // Fenced at the deadline while the renewal waited: a new generation, once Redis answers.
      (void)co_await joining();
      continue;
    }
    if (renewed && *renewed) {
      leaseHeldFrom(askedAtUs);
      (void)co_await adoptOrphans();
      continue;
    }
    if (!renewed) {
      report("renew_failed", {}, renewed.error().message);  // the deadline fences, if it comes
      continue;
    }
    report("lease_lost", {}, "the lease is gone (it expired, or another run of this id holds it)");
    fence("the lease was lost");
    (void)co_await joining();
  }
  co_return {};
}

void ClusterNode::fence(const std::string& why) {
  media::setFeedDeadline(g_get_monotonic_time());
  fenceTimer_.cancel();
  leased_ = false;
  dirty_.clear();
  adoptions_.cancelAll();
  adopting_.clear();
  report("fenced", {},
         why + "; every broadcast here is abandoned for adopters (" +
             std::to_string(media::packetsHeldBack() - heldBackBefore_) +
             " RTP packets held back past the lease)");
  heldBackBefore_ = media::packetsHeldBack();
  orchestrator_.abandonAll();
}

Result<std::string> ClusterNode::sealed(const model::BroadcastRequest& request,
                                        const std::string& broadcastId) const {
  return key_.seal(json::Value::of(request.toPayload()).toString(), broadcastId);
}

Task<Claim> ClusterNode::claim(model::BroadcastRequest request) {
  if (!leased_) co_return Claim{.outcome = Claim::Outcome::NoLease};
  if (!request.broadcastId) co_return Claim{};
  const std::string& id = *request.broadcastId;
  auto sealedRequest = sealed(request, id);
  if (!sealedRequest) co_return sealedRequest.error();
  OwnerRecord record{.broadcastId = id,
                     .node = node_.id,
                     .generation = node_.generation,
                     .state = "starting",
                     .resultJson = "{}",
                     .sealedRequest = std::move(*sealedRequest)};
  auto claimed = co_await store_.claim(std::move(record));
  if (claimed && claimed->outcome == Claim::Outcome::OwnedElsewhere)
    report("claim_refused", id, "owned by " + claimed->owner);
  co_return claimed;
}

void ClusterNode::noteState(const std::string& broadcastId) {
  if (!leased_ || stopping_) return;
  if (std::find(dirty_.begin(), dirty_.end(), broadcastId) == dirty_.end())
    dirty_.push_back(broadcastId);
  wake_.notify();
}

Result<OwnerRecord> ClusterNode::recordOf(const model::BroadcastResult& result) const {
  auto sealedRequest = sealed(result.request, result.broadcastId);
  if (!sealedRequest) return sealedRequest.error();
  return OwnerRecord{
      .broadcastId = result.broadcastId,
      .node = node_.id,
      .generation = node_.generation,
      .state = std::string(model::nameOf(result.state)),
      .resultJson = json::Value::of(model::redacted(result.toPayload().get())).toString(),
      .sealedRequest = std::move(*sealedRequest)};
}

Task<void> ClusterNode::writingRecords() {
  for (;;) {
    while (dirty_.empty() && !stopping_)
      co_await wake_.next();
    if (dirty_.empty()) break;
    const std::string id = dirty_.front();
    dirty_.pop_front();
    const auto result = orchestrator_.result(id);
    // Not known here (a claimed start refused before it ran): no record of this node's stays.
    const bool gone =
        !result ||
        ((result->state == model::RunState::Stopped || result->state == model::RunState::Failed) &&
         !orchestrator_.cleanupPending(id));
    if (gone) {
      if (auto released = co_await store_.release(id, node_.id, node_.generation); !released)
        report("record_failed", id, released.error().message);
      continue;
    }
    auto record = recordOf(*result);
    if (!record) {
      report("record_failed", id, record.error().message);
      continue;
    }
    Result<bool> mine = true;
    if (result->state == model::RunState::Starting) {
      auto claimed = co_await store_.claim(*record);
      mine = claimed ? Result<bool>(claimed->outcome == Claim::Outcome::Claimed)
                     : Result<bool>(claimed.error());
    } else {
      mine = co_await store_.update(*record);
    }
    if (!mine) {
      report("record_failed", id, mine.error().message);
    } else if (!*mine && leased_) {
      // Another node owns it now (adopted while this one could not renew): hands off.
      report("record_lost", id, "another node owns it now; abandoned here");
      orchestrator_.abandon(id);
    }
  }
  writerDone_.fire();
  co_return {};
}

Task<void> ClusterNode::adoptOrphans() {
  if (!leased_ || stopping_) co_return {};
  auto nodes = co_await store_.nodes();
  if (!nodes) {
    report("adopt_failed", {}, nodes.error().message);
    co_return {};
  }
  std::map<std::string, std::int64_t> alive;
  for (const NodeInfo& node : *nodes)
    alive[node.id] = node.generation;
  auto records = co_await store_.records();
  if (!records) {
    report("adopt_failed", {}, records.error().message);
    co_return {};
  }
  for (OwnerRecord& orphan : *records) {
    auto owner = alive.find(orphan.node);
    if (owner != alive.end() && owner->second == orphan.generation) continue;
    if (adopting_.contains(orphan.broadcastId)) continue;
    if (options_.capacity > 0 && node_.load + std::int64_t(adopting_.size()) >= options_.capacity)
      break;
    OwnerRecord mine = orphan;
    mine.node = node_.id;
    mine.generation = node_.generation;
    mine.state = "adopting";
    mine.updatedAtMs = 0;
    auto adopted = co_await store_.adopt(orphan, mine);
    if (!adopted || !*adopted) continue;  // another node was first, or Redis failed: next tick
    adopting_.insert(orphan.broadcastId);
    adoptions_.spawn(adoptOne(std::move(orphan)));
  }
  co_return {};
}

Task<void> ClusterNode::adoptOne(OwnerRecord orphan) {
  const std::string id = orphan.broadcastId;
  const std::string from = orphan.node + " (generation " + std::to_string(orphan.generation) + ")";
  auto text = key_.open(orphan.sealedRequest, id);
  auto request = text ? model::BroadcastRequest::fromPayload(*text)
                      : Result<model::BroadcastRequest>(text.error());
  if (!request) {
    // Kept as this node's, failed, for operators to see (another cluster key, most likely).
    adopting_.erase(id);
    report("adopt_failed", id, "from " + from + ": " + request.error().message);
    orphan.node = node_.id;
    orphan.generation = node_.generation;
    orphan.state = "failed";
    orphan.updatedAtMs = 0;
    (void)co_await store_.update(std::move(orphan));
    co_return {};
  }
  // One that was stopping (or stopped with cleanup left) when its owner died is taken over to
  // finish that: started on what its owner left, then stopped with its cleanup.
  const bool finishing =
      orphan.state == "stopping" || orphan.state == "stopped" || orphan.state == "failed";
  orchestrator::StartOptions origin;
  auto left = model::BroadcastResult::fromPayload(orphan.resultJson);
  if (left && left->mountpoint && left->mountpoint->id != 0) {
    pinMountpoint(*request, *left->mountpoint);
    origin.adopt = true;
  } else {
    origin.takeOver = true;  // it died while starting: whatever it made is a leftover
  }
  report("adopting", id, "from " + from);
  auto started = co_await call<model::BroadcastResult>([&](auto done) {
    orchestrator_.start(std::move(*request), std::move(done), std::move(origin));
  });
  adopting_.erase(id);
  const bool stopAsked = stopWhenAdopted_.erase(id) > 0;
  if (!started) {
    report("adopt_failed", id, started.error().message);
  } else if (started->state == model::RunState::Failed) {
    report("adopt_failed", id, started->error ? started->error->message : "it failed");
  } else {
    report("adopted", id, "from " + from);
  }
  if (finishing || stopAsked) {
    (void)co_await call<model::BroadcastResult>(
        [&](auto done) { orchestrator_.stop(id, std::move(done)); });
    report("cleaned_up", id,
           stopAsked ? "a stop was asked while it was adopted"
                     : "it was " + orphan.state + " when " + from + " died");
  }
  co_return {};
}

Task<void> ClusterNode::controlling() {
  bool open = false;
  while (!stopping_) {
    if (!open) {
      auto opened = co_await store_.openControl(node_.id);
      if (!opened) {
        report("control_failed", {}, opened.error().message);
        co_await sleep(Milliseconds(1000));
        continue;
      }
      open = true;
    }
    auto messages = co_await store_.readControl(node_.id, Milliseconds(2000));
    if (!messages) {
      report("control_failed", {}, messages.error().message);
      open = false;  // Redis may have restarted without the group
      co_await sleep(Milliseconds(1000));
      continue;
    }
    for (const ControlMessage& message : *messages) {
      if (message.action == "adopt" && message.from != node_.id) {
        (void)co_await adoptOrphans();  // a node left its broadcasts: now, not at the next tick
        continue;
      }
      if (message.action == "stop" && stopHere(message.broadcastId))
        report("stop_asked", message.broadcastId, "by " + message.from);
    }
  }
  co_return {};
}

bool ClusterNode::stopHere(const std::string& broadcastId) {
  const auto result = orchestrator_.result(broadcastId);
  if (!result && adopting_.contains(broadcastId)) {
    stopWhenAdopted_.insert(broadcastId);  // adoptOne stops it once started
    return true;
  }
  if (!result || result->state == model::RunState::Stopped ||
      result->state == model::RunState::Failed) {
    return false;  // not this node's, or stopped already
  }
  orchestrator_.stop(broadcastId, [](const Result<model::BroadcastResult>&) {});
  return true;
}

Task<bool> ClusterNode::routeStop(std::string broadcastId) {
  std::string askedOf;       // the live owner the stop was last sent to
  bool marked = false;       // on the record of an owner not alive, for its adopter
  bool stoppedHere = false;  // adopted by this node meanwhile
  const std::int64_t deadline = monotonicMs() + 30'000;
  for (;;) {
    auto route = co_await store_.requestStop(broadcastId);
    if (!route) {
      // Before anything was done: the stop fails (the job is tried again). After: ask again.
      if (askedOf.empty() && !marked && !stoppedHere) co_return route.error();
    } else if (route->outcome == StopRoute::Outcome::Nothing) {
      co_return !askedOf.empty() || marked || stoppedHere;
    } else if (route->outcome == StopRoute::Outcome::Marked) {
      if (!marked)
        report("stop_marked", broadcastId, route->owner + " is not alive: its adopter stops it");
      marked = true;
    } else if (route->owner == node_.id) {  // adopted here meanwhile
      if (!stoppedHere) stoppedHere = stopHere(broadcastId);
    } else if (route->owner != askedOf) {
      askedOf = route->owner;
      ControlMessage message{.action = "stop", .broadcastId = broadcastId, .from = node_.id};
      if (auto sent = co_await store_.sendControl(std::move(message)); !sent)
        co_return sent.error();
      report("stop_sent", broadcastId, "to " + askedOf);
    }
    if (monotonicMs() >= deadline) {
      co_return makeError(ClusterError::OwnerSilent,
                          broadcastId + " was not stopped within 30 s (by " +
                              (askedOf.empty() ? "an adopter" : askedOf) + ")");
    }
    co_await sleep(Milliseconds(250));
  }
}

void ClusterNode::stop(bool leave, std::function<void()> done) {
  stopTask_ = stopping(leave, std::move(done));
  stopTask_.start(context_.get());
}

Task<void> ClusterNode::stopping(bool leave, std::function<void()> done) {
  stopping_ = true;
  fenceTimer_.cancel();
  runTask_.reset();
  controlTask_.reset();
  adoptions_.cancelAll();
  wake_.notify();
  (void)co_await writerDone_.wait();  // the records of what stopped meanwhile are written
  if (leave && node_.generation > 0) {
    if (auto left = co_await store_.leave(node_); !left)
      report("leave_failed", {}, left.error().message);
    (void)co_await store_.closeControl(node_.id);
    // What it still owns is orphaned now: the others adopt it at once. (A named message: a
    // braced temporary inside co_await trips g++ 12.)
    ControlMessage adoptNow{.action = "adopt", .from = node_.id};
    (void)co_await store_.sendControl(std::move(adoptNow));
  }
  leased_ = false;
  done();
  co_return {};
}

}  // namespace su::cluster
