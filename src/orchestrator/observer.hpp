// What the orchestrator tells the outside world (the original's OpsObserver), as plain
// callbacks, each optional, all called on the control context.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "core/result.hpp"
#include "json/value.hpp"
#include "model/kinds.hpp"

namespace su::orchestrator {

struct Observer {
  // A broadcast changed state.
  std::function<void(const std::string& broadcastId, model::RunState state)> onState;
  // Something happened: broadcast_starting, mountpoint_created, relay_started, relay_restarted,
  // media_confirmed, broadcast_running, janus_resource_closed, broadcast_stopped... `details`
  // is a JSON object (may be absent), secrets masked.
  std::function<void(const std::string& broadcastId, const std::string& event,
                     const json::Value& details)>
      onEvent;
  // An error, with the phase it happened in (mountpoint, room, forward, relay, media, obs,
  // cleanup...). The message is masked.
  std::function<void(const std::string& broadcastId, const std::string& phase, const Error& error)>
      onError;
  // A measurement: broadcast_start_ms, relay_restarts, broadcasts_running...
  std::function<void(const std::string& name, double value,
                     const std::map<std::string, std::string>& labels)>
      onMetric;
};

}  // namespace su::orchestrator
