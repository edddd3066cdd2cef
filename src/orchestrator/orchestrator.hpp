// BroadcastOrchestrator: many broadcasts on one control context, each started, stopped, listed
// and health-checked by its id. Starting an id that is already starting or running returns that
// broadcast instead of provisioning twice; ids are generated when a request has none. Finished
// broadcasts stay listed (with their error) until their id is started again, or until newer
// ones push them out (BroadcastOptions::finishedKept).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/broadcast.hpp"

namespace su::orchestrator {

struct AggregateHealth {
  bool healthy = true;  // every active broadcast healthy
  int active = 0;
  int failed = 0;
  int cleanupPending = 0;  // stopped or failed, with steps to undo when Janus is back
  std::vector<std::pair<std::string, HealthReport>> broadcasts;
};

class BroadcastOrchestrator {
 public:
  BroadcastOrchestrator(GMainContext* context, Backends backends, BroadcastOptions options,
                        Observer observer = {});
  // Stops every active broadcast first, running the context until they are (each step is
  // bounded by its own timeout): call it on the control context's thread.
  ~BroadcastOrchestrator();

  // The broadcast's result once it runs or has failed (a failed start is a result too, with
  // its error; the callback's error is for requests that cannot be started at all).
  void start(model::BroadcastRequest request, Callback<model::BroadcastResult> done,
             StartOptions options = {});
  void stop(const std::string& id, Callback<model::BroadcastResult> done);
  void stopAll(std::function<void()> done);
  // Forgets every broadcast without undoing anything: what they set up stays in Janus (a worker
  // that exits without --stop-on-exit). Their relays end with this process.
  void abandonAll();
  // The same for one broadcast (another node owns it now).
  void abandon(const std::string& id);
  std::optional<model::BroadcastResult> result(const std::string& id) const;
  std::vector<model::BroadcastResult> list() const;
  // Stopped or failed, with steps Janus could not be reached for (done when it is back).
  bool cleanupPending(const std::string& id) const;
  void health(std::function<void(AggregateHealth)> done);
  // Janus is back after the session was lost: every running broadcast restores what Janus may
  // have forgotten, and every stopped one with cleanup pending undoes what is left (see
  // Broadcast::restore). The service calls it from the session's listener.
  void janusRestored();
  // The same for one of the other Janus servers outputs feed (JanusServers::onRestored).
  void outputJanusRestored(const std::string& url);

  BroadcastOrchestrator(const BroadcastOrchestrator&) = delete;
  BroadcastOrchestrator& operator=(const BroadcastOrchestrator&) = delete;

 private:
  struct Entry {
    std::unique_ptr<Broadcast> broadcast;
    std::vector<Callback<model::BroadcastResult>> waiting;  // starts of an id already starting
    std::uint64_t startOrder = 0;
  };
  std::string newId() const;
  // Forgets the settled broadcasts beyond the finishedKept most recently started.
  void forgetOldFinished();
  void metricRunning();

  GRef<GMainContext> context_;
  Backends backends_;
  BroadcastOptions options_;
  Observer observer_;
  std::map<std::string, Entry> broadcasts_;
  std::uint64_t starts_ = 0;
  // Broadcasts whose id was started again while their cleanup waited for Janus.
  std::vector<std::unique_ptr<Broadcast>> leftovers_;
  Deferred deferred_;
};

enum class OrchestratorError { UnknownBroadcast = 1 };
GQuark errorDomainOf(OrchestratorError);

}  // namespace su::orchestrator
