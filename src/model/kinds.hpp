// The enumerations of the domain and their names in JSON.
#pragma once

#include <glib.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace su::model {

enum class ModelError { Invalid = 1 };  // a document that does not describe a valid model
GQuark errorDomainOf(ModelError);

enum class MediaType { Audio, Video, Data };
enum class DataType { Text, Binary };
enum class MountPointType { Rtp, Live, OnDemand, Rtsp };
enum class RtspTransport { Tcp, Udp, UdpMulticast, Auto };

enum class SourceKind {
  VideoRoom,      // a publisher in a Janus VideoRoom, rtp_forwarded by Janus itself
  Obs,            // OBS Studio driven over obs-websocket, publishing to an RTMP ingest
  RtmpExternal,   // someone else publishes to the RTMP ingest (legacy name: "external")
  RtspCamera,     // an RTSP camera pulled by a relay
  FrontendOwned,  // the browser publishes by itself; nothing is relayed
  BrowserWebrtc,  // a browser publisher in a VideoRoom, found by id or display name
  TestPattern,    // generated audio and video, for demos and smoke tests
  Uri,            // any URL a relay can read (HTTP, HLS, SRT, file...)
};
enum class RelayKind { None, Gstreamer, Ffmpeg };
// The life of a broadcast, and of a relay inside it.
enum class RunState { Starting, Running, Retrying, Stopping, Stopped, Failed };
enum class QueueKind { Memory, Redis, Kafka };
enum class JobAction { Start, Stop };

// Name tables: EnumNames<E>::entries lists every value with its JSON name. A value listed twice
// has an alias: the first name is the one written, every name is read.
template <typename E>
struct EnumNames;

#define SU_ENUM_NAMES(Enum, ...)                                                  \
  template <>                                                                     \
  struct EnumNames<Enum> {                                                        \
    static constexpr std::pair<Enum, std::string_view> entries[] = {__VA_ARGS__}; \
  }

SU_ENUM_NAMES(MediaType, {MediaType::Audio, "audio"}, {MediaType::Video, "video"},
              {MediaType::Data, "data"});
SU_ENUM_NAMES(DataType, {DataType::Text, "text"}, {DataType::Binary, "binary"});
SU_ENUM_NAMES(MountPointType, {MountPointType::Rtp, "rtp"}, {MountPointType::Live, "live"},
              {MountPointType::OnDemand, "ondemand"}, {MountPointType::Rtsp, "rtsp"});
SU_ENUM_NAMES(RtspTransport, {RtspTransport::Tcp, "tcp"}, {RtspTransport::Udp, "udp"},
              {RtspTransport::UdpMulticast, "udp-mcast"}, {RtspTransport::Auto, "auto"});
SU_ENUM_NAMES(SourceKind, {SourceKind::VideoRoom, "videoroom"}, {SourceKind::Obs, "obs"},
              {SourceKind::RtmpExternal, "rtmp_external"}, {SourceKind::RtspCamera, "rtsp_camera"},
              {SourceKind::FrontendOwned, "frontend_owned"},
              {SourceKind::BrowserWebrtc, "browser_webrtc"},
              {SourceKind::TestPattern, "test_pattern"}, {SourceKind::Uri, "uri"});
SU_ENUM_NAMES(RelayKind, {RelayKind::None, "none"}, {RelayKind::Gstreamer, "gstreamer"},
              {RelayKind::Ffmpeg, "ffmpeg"});
SU_ENUM_NAMES(RunState, {RunState::Starting, "starting"}, {RunState::Running, "running"},
              {RunState::Retrying, "retrying"}, {RunState::Stopping, "stopping"},
              {RunState::Stopped, "stopped"}, {RunState::Failed, "failed"});
SU_ENUM_NAMES(QueueKind, {QueueKind::Memory, "memory"}, {QueueKind::Redis, "redis"},
              {QueueKind::Kafka, "kafka"});
// The original's names first (what is written); "start" and "stop" are accepted as well.
SU_ENUM_NAMES(JobAction, {JobAction::Start, "start_broadcast"}, {JobAction::Stop, "stop_broadcast"},
              {JobAction::Start, "start"}, {JobAction::Stop, "stop"});

#undef SU_ENUM_NAMES

template <typename E>
constexpr std::string_view nameOf(E value) {
  for (const auto& [entry, name] : EnumNames<E>::entries) {
    if (entry == value) return name;
  }
  return "?";
}

template <typename E>
constexpr std::optional<E> enumFromName(std::string_view name) {
  for (const auto& [entry, entryName] : EnumNames<E>::entries) {
    if (entryName == name) return entry;
  }
  return std::nullopt;
}

// "a, b, c": for error messages that list the accepted values.
template <typename E>
std::string enumNameList() {
  std::string list;
  for (const auto& [entry, name] : EnumNames<E>::entries) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return list;
}

}  // namespace su::model
