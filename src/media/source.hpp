// Where a relay reads from: a bin whose src pads, present at once or appearing later (demuxers,
// RTSP streams), each carry one elementary stream — encoded (H.264, AAC, Opus...) or raw.
//
// The custom description contract (`gstreamer_pipeline`): it is parsed as a bin and every src
// pad it leaves unlinked becomes one stream; the caps on that pad say what it carries. Name a
// demuxer's pads to use them (`flvdemux name=d d.video ! queue`), end each chain with an element
// (a caps filter cannot be last: add `! queue`), and end it in encoded or raw audio or video:
// the relay adds parsing, transcoding, payloading and sending.
#pragma once

#include <string>
#include <variant>

#include "core/gref.hpp"
#include "core/result.hpp"
#include "model/rtsp_camera.hpp"

namespace su::media {

struct TestPatternSource {};  // H.264 (constrained baseline, 1 s GOP) and Opus, generated live
struct RtmpSource {
  std::string url;
};
struct RtspSource {
  model::RtspCameraConfig camera;
};
struct UriSource {  // HTTP(S), HLS, SRT, file...
  std::string uri;
};
struct CustomSource {
  std::string description;
};
using SourceSpec = std::variant<TestPatternSource, RtmpSource, RtspSource, UriSource, CustomSource>;

// The source as a bin named `name`. Fails when an element is missing or the description does
// not parse; what happens on the network is reported on the bus once it plays.
Result<GRef<GstElement>> makeSource(const SourceSpec& source, const std::string& name);

// The source as a person reads it in a log or a status, credentials masked.
std::string describeSource(const SourceSpec& source);

}  // namespace su::media
