#include "orchestrator/orchestrator.hpp"

#include <algorithm>
#include <random>

#include "core/log.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::orchestrator {

GQuark errorDomainOf(OrchestratorError) {
  return g_quark_from_static_string("su-orchestrator-error");
}

BroadcastOrchestrator::BroadcastOrchestrator(GMainContext* context, Backends backends,
                                             BroadcastOptions options, Observer observer)
    : context_(GRef<GMainContext>::ref(context)),
      backends_(backends),
      options_(options),
      observer_(std::move(observer)),
      deferred_(context) {}

BroadcastOrchestrator::~BroadcastOrchestrator() {
  bool stopped = false;
  stopAll([&] { stopped = true; });
  while (!stopped)
    g_main_context_iteration(context_.get(), TRUE);
}

void BroadcastOrchestrator::abandonAll() {
  for (const auto& [id, entry] : broadcasts_) {
    if (entry.broadcast->active()) GST_INFO("broadcast %s left as it is in Janus", id.c_str());
  }
  broadcasts_.clear();
  leftovers_.clear();
}

void BroadcastOrchestrator::abandon(const std::string& id) {
  if (broadcasts_.erase(id) > 0) GST_INFO("broadcast %s left as it is in Janus", id.c_str());
}

std::string BroadcastOrchestrator::newId() const {
  std::random_device random;
  for (;;) {
    char id[20];
    g_snprintf(id, sizeof id, "bc-%06x%06x", random() & 0xffffff, random() & 0xffffff);
    if (!broadcasts_.contains(id)) return id;
  }
}

void BroadcastOrchestrator::start(model::BroadcastRequest request,
                                  Callback<model::BroadcastResult> done, StartOptions options) {
  const std::string id = request.broadcastId.value_or(newId());
  auto existing = broadcasts_.find(id);
  if (existing != broadcasts_.end() && existing->second.broadcast->active()) {
    Entry& entry = existing->second;
    if (entry.broadcast->result().state == model::RunState::Starting) {
      entry.waiting.push_back(std::move(done));
    } else {
      const model::BroadcastResult current = entry.broadcast->result();
      deferred_.post([done, current] { done(current); }, [done] { done(cancelledError()); });
    }
    return;
  }
  forgetOldFinished();
  Entry& entry = broadcasts_[id];
  if (entry.broadcast && entry.broadcast->cleanupPending()) {
    leftovers_.push_back(std::move(entry.broadcast));
  }
  entry.startOrder = ++starts_;
  entry.broadcast = std::make_unique<Broadcast>(context_.get(), id, std::move(request), backends_,
                                                options_, observer_);
  entry.broadcast->setOrigin(std::move(options));
  entry.waiting.push_back(std::move(done));
  // The broadcast holds this callback: it cannot outlive the orchestrator that owns both.
  entry.broadcast->start([this, id] {
    auto it = broadcasts_.find(id);
    if (it == broadcasts_.end()) return;
    const model::BroadcastResult result = it->second.broadcast->result();
    for (auto& waiter : std::exchange(it->second.waiting, {}))
      waiter(result);
    metricRunning();
  });
}

void BroadcastOrchestrator::forgetOldFinished() {
  std::vector<std::pair<std::uint64_t, std::string>> settled;
  for (const auto& [id, entry] : broadcasts_) {
    if (entry.broadcast->settled() && entry.waiting.empty())
      settled.emplace_back(entry.startOrder, id);
  }
  if (settled.size() <= options_.finishedKept) return;
  std::sort(settled.begin(), settled.end());
  settled.resize(settled.size() - options_.finishedKept);  // the oldest
  for (const auto& [order, id] : settled)
    broadcasts_.erase(id);
}

void BroadcastOrchestrator::janusRestored() {
  GST_INFO("Janus is back: restoring %zu broadcasts", broadcasts_.size());
  std::erase_if(leftovers_, [](const auto& leftover) { return !leftover->cleanupPending(); });
  for (auto& [id, entry] : broadcasts_)
    entry.broadcast->restore();
  for (auto& leftover : leftovers_)
    leftover->restore();
}

void BroadcastOrchestrator::outputJanusRestored(const std::string& url) {
  std::erase_if(leftovers_, [](const auto& leftover) { return !leftover->cleanupPending(); });
  for (auto& [id, entry] : broadcasts_)
    entry.broadcast->outputJanusRestored(url);
  for (auto& leftover : leftovers_)
    leftover->outputJanusRestored(url);
}

void BroadcastOrchestrator::stop(const std::string& id, Callback<model::BroadcastResult> done) {
  auto it = broadcasts_.find(id);
  if (it == broadcasts_.end()) {
    const Error unknown =
        makeError(OrchestratorError::UnknownBroadcast, "no broadcast with id " + id);
    deferred_.post([done, unknown] { done(unknown); }, [done, unknown] { done(unknown); });
    return;
  }
  Broadcast* broadcast = it->second.broadcast.get();
  if (broadcast->settled()) {
    // Answered from here: a settled broadcast may be forgotten before its own answer would run.
    const model::BroadcastResult result = broadcast->result();
    deferred_.post([done, result] { done(result); }, [done] { done(cancelledError()); });
    return;
  }
  broadcast->stop([this, broadcast, done] {
    done(broadcast->result());
    metricRunning();
  });
}

void BroadcastOrchestrator::stopAll(std::function<void()> done) {
  std::vector<std::string> active;
  for (const auto& [id, entry] : broadcasts_) {
    if (entry.broadcast->active()) active.push_back(id);
  }
  if (active.empty()) {
    deferred_.post(done, done);
    return;
  }
  auto remaining = std::make_shared<std::size_t>(active.size());
  for (const std::string& id : active) {
    stop(id, [remaining, done](Result<model::BroadcastResult>) {
      if (--*remaining == 0) done();
    });
  }
}

std::optional<model::BroadcastResult> BroadcastOrchestrator::result(const std::string& id) const {
  auto it = broadcasts_.find(id);
  if (it == broadcasts_.end()) return std::nullopt;
  return it->second.broadcast->result();
}

bool BroadcastOrchestrator::cleanupPending(const std::string& id) const {
  auto it = broadcasts_.find(id);
  return it != broadcasts_.end() && it->second.broadcast->cleanupPending();
}

std::vector<model::BroadcastResult> BroadcastOrchestrator::list() const {
  std::vector<model::BroadcastResult> results;
  for (const auto& [id, entry] : broadcasts_)
    results.push_back(entry.broadcast->result());
  return results;
}

void BroadcastOrchestrator::health(std::function<void(AggregateHealth)> done) {
  auto aggregate = std::make_shared<AggregateHealth>();
  std::vector<Broadcast*> checked;
  for (const auto& [id, entry] : broadcasts_) {
    if (entry.broadcast->active()) {
      checked.push_back(entry.broadcast.get());
    } else if (entry.broadcast->result().state == model::RunState::Failed) {
      ++aggregate->failed;
    }
    if (entry.broadcast->cleanupPending()) ++aggregate->cleanupPending;
  }
  for (const auto& leftover : leftovers_) {
    if (leftover->cleanupPending()) ++aggregate->cleanupPending;
  }
  aggregate->active = static_cast<int>(checked.size());
  if (checked.empty()) {
    deferred_.post([done, aggregate] { done(*aggregate); },
                   [done, aggregate] { done(*aggregate); });
    return;
  }
  auto remaining = std::make_shared<std::size_t>(checked.size());
  for (Broadcast* broadcast : checked) {
    broadcast->health([aggregate, remaining, done, id = broadcast->id()](HealthReport report) {
      aggregate->healthy = aggregate->healthy && report.health.healthy;
      aggregate->broadcasts.emplace_back(id, std::move(report));
      if (--*remaining == 0) done(*aggregate);
    });
  }
}

void BroadcastOrchestrator::metricRunning() {
  if (!observer_.onMetric) return;
  double running = 0;
  for (const auto& [id, entry] : broadcasts_) {
    if (entry.broadcast->active()) ++running;
  }
  observer_.onMetric("broadcasts_active", running, {});
}

}  // namespace su::orchestrator
