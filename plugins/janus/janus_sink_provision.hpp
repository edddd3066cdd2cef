// janussink's dealings with Janus, apart from the element: the settings it is given, the
// mountpoint they describe (checked without asking Janus), and provisioning it — created, or an
// existing one's ports read — with a branch planned per media; and destroying it on stop.
// Provisioning runs on the element's own thread with a private Janus session.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "media/output.hpp"
#include "model/mountpoint.hpp"

namespace su::janussink {

using model::MediaType;

inline constexpr const char* kDefaultJanusUrl = "ws://127.0.0.1:8188";

struct Settings {
  std::string janusUrl = kDefaultJanusUrl;
  std::int64_t mountpointId = 0;  // 0: from the spec, or Janus picks one
  std::string mountpointSpec;     // JSON; empty: one media per pad
  bool createMountpoint = false;
  bool destroyOnStop = true;
  std::string adminKey;
  std::string secret;
  std::string rtpHost;  // empty: the host of janus-url
  std::string videoCodec = "h264";
  std::string audioCodec = "opus";
  su::media::VideoEncoding video;
  guint timeoutMs = 10000;
  // RTCP both ways for media with an RTCP port (video media of a mountpoint it creates get one):
  // viewers' keyframe requests reach an encoder upstream.
  bool rtcp = true;
};

// One request pad and the branch its caps chose.
struct Input {
  GstPad* pad;  // owned by the element
  MediaType type;
  int index;                     // video_N, audio_N
  GstElement* branch = nullptr;  // owned by the bin once built
};

enum class JanusSinkError { Settings = 1 };  // settings that describe no usable mountpoint
GQuark errorDomainOf(JanusSinkError);

// What NULL -> READY checks without asking Janus: the mountpoint to create or use, and where
// RTP goes.
struct Plan {
  su::model::MountPoint mountpoint;
  std::string host;
};

struct Provisioned {
  su::model::MountPoint mountpoint;
  std::vector<su::media::OutputTrack> tracks;
  std::optional<std::int64_t> owned;
};

Result<Plan> planMountpoint(const Settings& settings, const std::vector<Input>& inputs,
                            const std::string& name);
// On the provisioning thread: creates the mountpoint or reads the existing one, and plans a
// branch per media. A mountpoint created here and then found unusable is destroyed before
// returning the error. Every request is bounded by the timeout setting.
Result<Provisioned> provision(const Settings& settings, const std::vector<Input>& inputs,
                              const std::string& name, Plan plan);
// READY -> NULL: destroys what provision created.
Result<void> destroyMountpoint(const Settings& settings, std::int64_t id);
// While it runs: whether Janus still has the mountpoint provision created; if it forgot it (a
// restart forgets what is not permanent), it is created again with the same id and ports, so
// that the branches feed it as before. True when it was re-created.
Result<bool> keepMountpoint(const Settings& settings, const Provisioned& provisioned);

}  // namespace su::janussink
