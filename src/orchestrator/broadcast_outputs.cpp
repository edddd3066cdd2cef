// A broadcast's outputs: the same relay feeding mountpoints on more Janus servers. Each output's
// mountpoint is created at the start (its Janus must answer then), torn down with the rest, and
// afterwards lives on its own: when its Janus comes back after the session was lost, its
// mountpoint is created again with the same id and ports (the relay never stopped sending
// there) while the broadcast and its other outputs go on as they were.
#include <algorithm>

#include "core/log.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"
#include "orchestrator/broadcast.hpp"
#include "orchestrator/broadcast_steps.hpp"

#define GST_CAT_DEFAULT su::log::orchestrator

namespace su::orchestrator {

namespace {

json::ObjectWriter outputDetails(std::size_t index, const model::BroadcastOutput& output) {
  json::ObjectWriter details;
  details.set("output", static_cast<std::int64_t>(index + 1))
      .set("janus_url", model::redactText(output.janusUrl));
  return details;
}

}  // namespace

Task<void> Broadcast::provisionOutputs() {
  if (request_.outputs.empty()) co_return {};
  if (!backends_.outputServers) {
    co_return failure("output", makeError(BroadcastError::Unsupported,
                                          "outputs to other Janus servers are not available here"));
  }
  for (std::size_t i = 0; i < request_.outputs.size(); ++i) {
    if (stopping_.fired()) co_return failure("start", stoppedWhileStarting());
    if (auto provisioned = co_await provisionOutput(i); !provisioned) co_return provisioned;
  }
  co_return {};
}

Task<void> Broadcast::provisionOutput(std::size_t index) {
  const model::BroadcastOutput& output = request_.outputs[index];
  const std::string where =
      "output " + std::to_string(index + 1) + " (" + model::redactText(output.janusUrl) + ")";
  auto server =
      co_await call<std::shared_ptr<JanusServer>>([&](Callback<std::shared_ptr<JanusServer>> done) {
        backends_.outputServers->connect(output.janusUrl, output.apiSecret, std::move(done));
      });
  if (!server) {
    co_return failure("output", makeError(BroadcastError::OutputUnreachable,
                                          where + ": " + server.error().message));
  }
  outputLinks_[index].server = std::move(server).value();
  janus::StreamingBackend& streaming = outputLinks_[index].server->streaming();
  const model::MountPoint spec = mountpointToCreate(request_, *output.mountpointSpec);
  auto created = co_await createMountpoint(streaming, spec);
  if (!created) {
    Error error = created.error();
    error.message = where + ": " + error.message;
    co_return failure("output", std::move(error));
  }
  result_.outputs[index].mountpoint = model::MountPointSection{
      .id = created->id, .created = true, .media = created->ports, .raw = created->raw};
  event("output_mountpoint_created", details(outputDetails(index, output).set("id", created->id)));
  if (request_.ownedByApp) {
    // The closer holds the server: its connection stays while something is left to undo there.
    lifecycle_.add("destroy mountpoint " + std::to_string(created->id) + " of " + where,
                   [this, id = created->id, server = outputLinks_[index].server,
                    &wanted = *output.mountpointSpec] {
                     return destroyMountpointOn(server->streaming(), id, wanted);
                   });
  }
  co_return {};
}

Result<std::vector<media::OutputTrack>> Broadcast::planOutputTracks() {
  auto tracks =
      media::planOutput(*request_.mountpointSpec, result_.mountpoint->media, request_.host, id_);
  if (!tracks) return tracks;
  for (std::size_t i = 0; i < request_.outputs.size(); ++i) {
    const model::BroadcastOutput& output = request_.outputs[i];
    auto more = media::planOutput(
        *output.mountpointSpec, result_.outputs[i].mountpoint->media, output.rtpHost(), id_,
        json::childPath(json::indexPath("outputs", i), "mountpoint_spec"));
    if (!more) return more.error();
    for (media::OutputTrack& track : *more) {
      track.output = static_cast<int>(i + 1);
      tracks->push_back(std::move(track));
    }
  }
  return tracks;
}

void Broadcast::outputsFollow(model::RunState state) {
  for (model::OutputSection& output : result_.outputs) {
    // An output being restored stays retrying while the broadcast runs.
    if (state == model::RunState::Running && output.state == model::RunState::Retrying) continue;
    output.state = state;
  }
}

void Broadcast::releaseOutputs() {
  for (OutputLink& link : outputLinks_) {
    link.restore.reset();
    link.server.reset();
  }
}

void Broadcast::outputJanusRestored(const std::string& url) {
  if (!janusBack()) return;
  for (std::size_t i = 0; i < outputLinks_.size(); ++i) {
    if (!outputLinks_[i].server || outputLinks_[i].server->url() != url ||
        !result_.outputs[i].mountpoint) {
      continue;
    }
    result_.outputs[i].state = model::RunState::Retrying;
    event("output_janus_restored", details(outputDetails(i, request_.outputs[i])));
    // Replaces a restore that waits to try again: start over at once.
    outputLinks_[i].restore = restoringOutput(i);
    outputLinks_[i].restore.start(context_.get());
  }
}

Task<void> Broadcast::restoringOutput(std::size_t index) {
  const model::BroadcastOutput& output = request_.outputs[index];
  model::OutputSection& section = result_.outputs[index];
  Milliseconds wait{0};
  for (;;) {
    const std::shared_ptr<JanusServer> server = outputLinks_[index].server;
    auto recreated = co_await recreateMountpoint(server->streaming(), *output.mountpointSpec,
                                                 *section.mountpoint);
    if (!active()) co_return {};
    if (recreated) {
      if (*recreated) {
        event("output_mountpoint_recreated",
              details(outputDetails(index, output).set("id", section.mountpoint->id)));
      }
      section.state = model::RunState::Running;
      event("output_restored", details(outputDetails(index, output)));
      co_return {};
    }
    wait = wait.count() == 0 ? options_.restoreRetry : std::min(wait * 2, options_.restoreRetryMax);
    GST_WARNING("broadcast %s: restoring output %zu failed (again in %lld ms): %s", id_.c_str(),
                index + 1, static_cast<long long>(wait.count()),
                model::redactText(recreated.error().message).c_str());
    if (observer_.onError) observer_.onError(id_, "restore", recreated.error());
    if (!co_await pause(wait)) co_return {};
  }
}

}  // namespace su::orchestrator
