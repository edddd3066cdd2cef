#include "service/admission.hpp"

#include <glib.h>
#include <sys/resource.h>

#include <cstdio>
#include <limits>

namespace su::service {

namespace {

bool active(model::RunState state) {
  return state == model::RunState::Starting || state == model::RunState::Running ||
         state == model::RunState::Retrying;
}

int asInt(rlim_t limit) {
  return limit > static_cast<rlim_t>(std::numeric_limits<int>::max())
             ? std::numeric_limits<int>::max()
             : static_cast<int>(limit);
}

std::string percent(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

}  // namespace

double RelayCosts::of(RelayWork work) const noexcept {
  switch (work) {
    case RelayWork::None:
      return 0;
    case RelayWork::Passthrough:
      return passthrough;
    case RelayWork::AudioTranscode:
      return audioTranscode;
    case RelayWork::VideoTranscode:
      return videoTranscode;
  }
  return videoTranscode;
}

RelayWork relayWorkOf(const model::BroadcastRequest& request) {
  using model::SourceKind;
  if (request.effectiveRelayKind() == model::RelayKind::None) return RelayWork::None;
  if (request.sourceKind == SourceKind::TestPattern || request.gstreamerPipeline) {
    return RelayWork::VideoTranscode;
  }
  if (!request.mountpointSpec) return RelayWork::AudioTranscode;
  bool audioTranscode = false;
  for (const model::MediaTrack& media : request.mountpointSpec->media) {
    const std::string codec = media.codec.value_or("");
    if (media.type == model::MediaType::Video && !codec.empty() && codec != "h264") {
      // Ingest sources send H.264.
      return RelayWork::VideoTranscode;
    }
    if (media.type == model::MediaType::Audio) {
      // RTMP carries AAC; only a camera's G.711 reaches a G.711 media untouched.
      const bool g711 = codec == "pcmu" || codec == "pcma";
      audioTranscode |= !(request.sourceKind == SourceKind::RtspCamera && g711);
    }
  }
  return audioTranscode ? RelayWork::AudioTranscode : RelayWork::Passthrough;
}

NodeLoad loadOf(const std::vector<model::BroadcastResult>& broadcasts, const RelayCosts& costs) {
  NodeLoad load;
  for (const model::BroadcastResult& broadcast : broadcasts) {
    if (!active(broadcast.state)) continue;
    ++load.broadcasts;
    load.cpuPercent += costs.of(relayWorkOf(broadcast.request));
  }
  return load;
}

std::optional<std::string> refusal(const AdmissionPolicy& policy, const NodeLoad& load,
                                   RelayWork work) {
  if (policy.maxBroadcasts > 0 && load.broadcasts >= policy.maxBroadcasts) {
    return "at capacity: " + std::to_string(load.broadcasts) + " of " +
           std::to_string(policy.maxBroadcasts) + " broadcasts";
  }
  const double cost = policy.costs.of(work);
  if (policy.cpuBudgetPercent > 0 && load.cpuPercent + cost > policy.cpuBudgetPercent) {
    return "over the CPU budget: a " + std::string(model::nameOf(work)) + " broadcast costs " +
           percent(cost) + " % of a core, " + percent(load.cpuPercent) + " of " +
           percent(policy.cpuBudgetPercent) + " % are taken";
  }
  return std::nullopt;
}

Descriptors descriptorsNow() {
  Descriptors descriptors;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    descriptors.limit = asInt(limit.rlim_cur);
  }
  // The directory's own descriptor is counted: one the caller does not hold, but one it needs.
  if (GDir* dir = g_dir_open("/proc/self/fd", 0, nullptr)) {
    while (g_dir_read_name(dir))
      ++descriptors.open;
    g_dir_close(dir);
  }
  return descriptors;
}

std::optional<std::string> descriptorRefusal(const Descriptors& descriptors) {
  if (descriptors.limit == 0 || descriptors.limit - descriptors.open >= kDescriptorsForOneMore) {
    return std::nullopt;
  }
  return "too few file descriptors left: " + std::to_string(descriptors.open) + " of " +
         std::to_string(descriptors.limit) + " open, a broadcast needs " +
         std::to_string(kDescriptorsForOneMore) + " (raise LimitNOFILE)";
}

int raiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return asInt(limit.rlim_cur);
}

double automaticCpuBudget() {
  return 80.0 * g_get_num_processors();
}

}  // namespace su::service
