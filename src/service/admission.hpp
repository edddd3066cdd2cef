// Admission: whether this node takes one more broadcast. Two limits, either may be off: a count
// of broadcasts (`capacity`), and a CPU budget — each broadcast costs what its relay's work costs
// (measured: relay-bench --work, bench/README.md), and one more is taken while the costs of the
// active broadcasts and its own fit in the budget.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/broadcast_result.hpp"

namespace su::service {

// What a broadcast's relay does to the media, the thing its CPU cost depends on.
enum class RelayWork {
  None,            // nothing relayed here: Janus forwards it, or the browser publishes
  Passthrough,     // every media passed through (repacketized only)
  AudioTranscode,  // audio decoded and encoded (AAC to Opus), video passed through
  VideoTranscode,  // video decoded and encoded (or generated), audio too
};

// In percent of one core per broadcast (nothing relayed costs nothing). The defaults are
// relay-bench's in-process figures on the project's 2-vCPU machine, rounded up (bench/README.md,
// "Costs for admission").
struct RelayCosts {
  double passthrough = 2.0;
  double audioTranscode = 4.0;
  double videoTranscode = 40.0;

  double of(RelayWork work) const noexcept;
};

struct AdmissionPolicy {
  int maxBroadcasts = 0;        // 0: no limit
  double cpuBudgetPercent = 0;  // of one core (200: two cores); 0: no budget
  RelayCosts costs;
};

// What a request's relay will do, judged from the request alone: the source's codecs are known
// only once it plays, so a source that usually needs a transcode (RTMP's AAC, a camera's audio
// for an Opus media) is costed as one. A custom pipeline or a generated pattern counts as video
// work.
RelayWork relayWorkOf(const model::BroadcastRequest& request);

// What the node carries now: broadcasts starting, running or retrying, and their costs.
struct NodeLoad {
  int broadcasts = 0;
  double cpuPercent = 0;
};
NodeLoad loadOf(const std::vector<model::BroadcastResult>& broadcasts, const RelayCosts& costs);

// Why `policy` refuses one more broadcast doing `work` on top of `load`; nothing when it fits.
std::optional<std::string> refusal(const AdmissionPolicy& policy, const NodeLoad& load,
                                   RelayWork work);

// The CPU budget `auto` stands for: 80 % of the cores this process may run on.
double automaticCpuBudget();

// File descriptors: those this process has open (/proc/self/fd) and RLIMIT_NOFILE's soft limit.
struct Descriptors {
  int open = 0;
  int limit = 0;
};
Descriptors descriptorsNow();

// One more broadcast is taken while this many descriptors are left: what one takes (its relay's
// sockets and pipes: about 15 for a test pattern into Janus, measured by the fault suite) and a
// reserve for HTTP clients, a Janus reconnection and dot files. Past the limit GLib aborts (it
// cannot make a wakeup pipe) and sockets fail where nobody can report it.
constexpr int kDescriptorsForOneMore = 64;
std::optional<std::string> descriptorRefusal(const Descriptors& descriptors);

// Raises the soft limit to the hard one (systemd starts services with 1024 and 524288); the
// limit now.
int raiseDescriptorLimit();

}  // namespace su::service

namespace su::model {
template <>
struct EnumNames<service::RelayWork> {
  static constexpr std::pair<service::RelayWork, std::string_view> entries[] = {
      {service::RelayWork::None, "none"},
      {service::RelayWork::Passthrough, "passthrough"},
      {service::RelayWork::AudioTranscode, "audio_transcode"},
      {service::RelayWork::VideoTranscode, "video_transcode"}};
};
}  // namespace su::model
