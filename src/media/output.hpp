// The Janus side of a relay: which source stream feeds which mountpoint media, and the
// GStreamer branch that turns an encoded stream into RTP for one media port.
//
// A branch passes through what the mountpoint accepts (H.264 whose profile fits the fmtp, VP8,
// VP9, Opus, G.711) and transcodes the rest (AAC or MP3 to Opus at 48 kHz, anything to the
// media's codec), always ending in the media's payloader (its payload type, an SSRC that stays
// the same across restarts, MTU 1200, SPS/PPS with every IDR) and a live-safe udpsink.
//
// When the mountpoint media has an RTCP port, the payloader feeds an rtpbin session: RTP to the
// media port, sender reports to the RTCP port from a socket that also receives what Janus sends
// back there (Janus answers to wherever RTCP came from). A PLI or FIR from Janus — a viewer
// asking for a keyframe — becomes rtpbin's upstream force-key-unit event: an encoder of a
// transcoding branch makes a keyframe; on passthrough nothing upstream can, and it is counted.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/gref.hpp"
#include "core/result.hpp"
#include "model/broadcast_result.hpp"
#include "model/mountpoint.hpp"

namespace su::media {

enum class MediaError {
  Unrelayable = 1,  // a mountpoint media the relay cannot produce (codec, no port)
  MissingElement,   // a GStreamer element is not installed
  BadDescription,   // a pipeline description that does not parse
  Link,             // two elements that will not link
};
GQuark errorDomainOf(MediaError);

// Video re-encoding, when the source is not what the mountpoint accepts or when asked.
struct VideoEncoding {
  bool always = false;  // re-encode even what could pass through
  int keyframeIntervalSeconds = 2;
  int bitrateKbps = 2000;
};

struct OutputTrack {
  std::string mid;
  model::MediaType type = model::MediaType::Video;
  std::string codec;  // as in the model: h264, vp8, vp9, opus, pcmu, pcma, g722
  int payloadType = 96;
  std::string host;
  int port = 0;
  std::optional<std::string> fmtp;
  int sourceIndex = 0;  // the n-th source stream of this type feeds it
  std::uint32_t ssrc = 0;
  std::optional<int> rtcpPort;  // Janus's RTCP port for this media: RTCP both ways
  int output = 0;  // which Janus it feeds: 0 the broadcast's own mountpoint, n its n-th output
};

// Whether one branch can make both: the same source stream encoded the same way. Such tracks
// (the same media on several Janus servers) share one branch, encoded once, sent to each.
bool sameEncoding(const OutputTrack& a, const OutputTrack& b);

// One OutputTrack per audio and video media of `mountpoint`, sent to `host` at the ports Janus
// listens on (`ports` from the create reply; the spec's own ports otherwise). A media no branch
// can produce is an error naming it (under `path`); data media are skipped (a relay carries
// none).
Result<std::vector<OutputTrack>> planOutput(const model::MountPoint& mountpoint,
                                            const std::vector<model::MountPointPort>& ports,
                                            const std::string& host, std::string_view relayName,
                                            std::string_view path = "mountpoint_spec");

// The codecs the relays can send.
bool isRelayableCodec(std::string_view codec);
std::string relayableCodecs();  // "h264, vp8, ...", for messages

// An SSRC derived from the relay's name and the media's mid: the same after every restart, so
// that Janus sees one stream, not a new one.
std::uint32_t stableSsrc(std::string_view relayName, std::string_view mid);

// Whether encoded caps (video/x-h264, audio/mpeg...) can go to `track` without transcoding.
bool canPassThrough(const GstCaps* caps, const OutputTrack& track, const VideoEncoding& video);

// The branch for `track`, as a bin named "out-<mid>" with one ghost sink pad taking the encoded
// stream: a passthrough chain, or a queue and a transcoding chain (chosen from `caps`), then the
// payloader ("pay") and udpsink ("udp").
Result<GRef<GstElement>> makeOutputBranch(const OutputTrack& track, const GstCaps* caps,
                                          const VideoEncoding& video);
// One branch for several destinations of the same encoding (sameEncoding): encoded once, the
// payloader teed to a sender per destination — "udp", "udp-1", "udp-2"..., each with its own
// rtpbin session when it has an RTCP port. Named after the first ("out-<mid>", or
// "out<n>-<mid>" when it feeds output n).
Result<GRef<GstElement>> makeOutputBranch(std::span<const OutputTrack> destinations,
                                          const GstCaps* caps, const VideoEncoding& video);

// What a branch for `track` takes, best first: the encoded stream that passes through (an
// H.264 profile the fmtp allows, say), then what it can transcode. For an upstream encoder to
// negotiate with.
GRef<GstCaps> acceptedCaps(const OutputTrack& track, const VideoEncoding& video);
// Everything a branch of `type` can take, whatever its codec.
GRef<GstCaps> branchCaps(model::MediaType type);

// Written by streaming threads, read by anyone.
struct TrackCounters {
  std::atomic<std::uint64_t> packets{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> keyframeRequests{0};  // PLI/FIR from Janus (RTCP branches)
  std::atomic<std::uint64_t> rtcpReceived{0};      // RTCP packets from Janus
  std::atomic<std::int64_t> firstPacketUs{0};      // g_get_monotonic_time() of the first RTP packet
  std::atomic<std::int64_t> lastPacketUs{0};
};

// Called on `context`, once, when the first RTP packet of any branch sharing it leaves.
struct FirstPacketNotice {
  GMainContext* context = nullptr;
  std::function<void()> notify;
};
struct FirstPacket {
  std::atomic<bool> seen{false};
  FirstPacketNotice notice;
};

// Counts what `branch` sends (a probe on its udpsink, atomics only) into `counters`, which must
// outlive the branch. `first` may be null.
void countSentPackets(GstElement* branch, TrackCounters* counters,
                      std::shared_ptr<FirstPacket> first);
// The same for a branch of several destinations: counters[d] for the d-th.
void countSentPackets(GstElement* branch, std::span<TrackCounters* const> counters,
                      std::shared_ptr<FirstPacket> first);
// The same for any sink element: what reaches its sink pad.
void countPacketsInto(GstElement* sink, TrackCounters* counters,
                      std::shared_ptr<FirstPacket> first);

}  // namespace su::media
