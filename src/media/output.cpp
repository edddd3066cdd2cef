#include "media/output.hpp"

#include <gst/pbutils/pbutils.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "json/diagnostics.hpp"
#include "media/feed_fence.hpp"
#include "model/rules.hpp"
#include "model/track.hpp"

namespace su::media {

GQuark errorDomainOf(MediaError) {
  return g_quark_from_static_string("su-media-error");
}

namespace {

struct Codec {
  std::string_view name;
  model::MediaType type;
  std::string_view encodedCaps;  // what passes through without transcoding
  std::string_view passthrough;  // chain for a stream that passes through (may be empty)
  std::string_view encoder;      // chain from decoded (raw) media to this codec; %d: see below
  std::string_view payloader;
};

// Encoder chains take, in order: keyframe interval in frames, bitrate in kbit/s.
constexpr std::array kCodecs{
    Codec{"h264", model::MediaType::Video, "video/x-h264", "h264parse",
          "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=veryfast "
          "bframes=0 key-int-max=%d bitrate=%d ! video/x-h264,profile=constrained-baseline ! "
          "h264parse",
          "rtph264pay config-interval=-1 aggregate-mode=zero-latency"},
    Codec{"vp8", model::MediaType::Video, "video/x-vp8", "",
          "videoconvert ! vp8enc deadline=1 cpu-used=8 error-resilient=partitions "
          "keyframe-max-dist=%d target-bitrate=%d000",
          "rtpvp8pay picture-id-mode=15-bit"},
    Codec{"vp9", model::MediaType::Video, "video/x-vp9", "",
          "videoconvert ! vp9enc deadline=1 cpu-used=8 keyframe-max-dist=%d "
          "target-bitrate=%d000",
          "rtpvp9pay picture-id-mode=15-bit"},
    Codec{
        "opus", model::MediaType::Audio, "audio/x-opus", "opusparse",
        "audioconvert dithering=none ! audioresample ! audio/x-raw,rate=48000,channels=2 ! opusenc "
        "bitrate=64000 bitrate-type=constrained-vbr complexity=10 frame-size=20 "
        "audio-type=generic",
        "rtpopuspay"},
    Codec{"pcmu", model::MediaType::Audio, "audio/x-mulaw", "",
          "audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! mulawenc",
          "rtppcmupay"},
    Codec{"pcma", model::MediaType::Audio, "audio/x-alaw", "",
          "audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! alawenc",
          "rtppcmapay"},
    Codec{"g722", model::MediaType::Audio, "audio/G722", "",
          "audioconvert ! audioresample ! audio/x-raw,rate=16000,channels=1 ! avenc_g722",
          "rtpg722pay"},
};

constexpr int kAssumedFramerate = 30;  // x264enc counts its keyframe interval in frames
constexpr unsigned kMtu = 1200;

const Codec* findCodec(std::string_view name) {
  const auto* it = std::find_if(kCodecs.begin(), kCodecs.end(),
                                [&](const Codec& codec) { return codec.name == name; });
  return it == kCodecs.end() ? nullptr : it;
}

// GStreamer's name for an H.264 profile (pbutils), from the three bytes an SPS, an
// AVCDecoderConfigurationRecord and a profile-level-id share: profile_idc, the constraint flags,
// level_idc.
std::optional<std::string> h264Profile(const guint8 (&idc)[3]) {
  const char* profile = gst_codec_utils_h264_get_profile(idc, sizeof idc);
  return profile ? std::optional<std::string>(profile) : std::nullopt;
}

std::optional<std::string> profileFromCodecData(const GstStructure* structure) {
  const GValue* value = gst_structure_get_value(structure, "codec_data");
  if (!value || !GST_VALUE_HOLDS_BUFFER(value)) return std::nullopt;
  guint8 record[4] = {};  // configurationVersion, then the three bytes
  if (gst_buffer_extract(gst_value_get_buffer(value), 0, record, sizeof record) < sizeof record) {
    return std::nullopt;
  }
  return h264Profile({record[1], record[2], record[3]});
}

// Each profile decodes the streams of the ones before it (the High subsets go with High).
constexpr std::array<std::string_view, 7> kProfileChain{
    "constrained-baseline", "baseline", "main", "high", "high-10", "high-4:2:2", "high-4:4:4"};
constexpr std::array<std::string_view, 2> kHighSubsets{"progressive-high", "constrained-high"};

// The H.264 profiles (as GStreamer names them) that decode where the mountpoint's fmtp promises
// its profile-level-id; none when it promises nothing we know.
std::optional<std::vector<std::string_view>> allowedProfiles(
    const std::optional<std::string>& fmtp) {
  if (!fmtp) return std::nullopt;
  const std::size_t at = fmtp->find("profile-level-id=");
  if (at == std::string::npos || fmtp->size() < at + 17 + 6) return std::nullopt;
  guint8 idc[3] = {};
  for (std::size_t i = 0; i < 3; ++i) {
    const int high = g_ascii_xdigit_value((*fmtp)[at + 17 + 2 * i]);
    const int low = g_ascii_xdigit_value((*fmtp)[at + 17 + 2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    idc[i] = static_cast<guint8>(high * 16 + low);
  }
  const auto promised = h264Profile(idc);
  const auto* last = promised ? std::find(kProfileChain.begin(), kProfileChain.end(), *promised)
                              : kProfileChain.end();
  if (last == kProfileChain.end()) return std::nullopt;
  std::vector<std::string_view> fits(kProfileChain.begin(), last + 1);
  if (last - kProfileChain.begin() >= 3) {
    fits.insert(fits.end(), kHighSubsets.begin(), kHighSubsets.end());
  }
  return fits;
}

bool profileFits(const std::string& profile, const std::optional<std::string>& fmtp) {
  const auto fits = allowedProfiles(fmtp);
  return !fits || std::find(fits->begin(), fits->end(), profile) != fits->end();
}

// Everything of a media type that a branch can take, passed through or transcoded.
constexpr std::string_view kAnyVideo =
    "video/x-raw; video/x-h264; video/x-h265; video/x-vp8; "
    "video/x-vp9; video/x-av1; image/jpeg";
constexpr std::string_view kAnyAudio =
    "audio/x-raw; audio/x-opus; audio/mpeg; audio/x-alaw; "
    "audio/x-mulaw; audio/G722; audio/x-ac3; audio/x-vorbis";

bool isRaw(std::string_view caps) {
  return caps == "video/x-raw" || caps == "audio/x-raw";
}

std::string safeName(std::string_view mid) {
  std::string name(mid);
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !g_ascii_isalnum(c); }, '_');
  return name;
}

// Names of the d-th destination's elements: "udp", "udp-1", ...
std::string destinationName(std::string_view base, std::size_t d) {
  return d == 0 ? std::string(base) : std::string(base) + "-" + std::to_string(d);
}

GRef<GstElement> childNamed(GstBin* bin, const std::string& name) {
  return GRef<GstElement>::adopt(gst_bin_get_by_name(bin, name.c_str()));
}

// What follows the payloader for the d-th destination: its udpsink, through rtpbin session d
// when it has an RTCP port (RTCP out and in on one socket, set in wireRtcp).
std::string senderDescription(const OutputTrack& track, std::size_t d) {
  const std::string n = std::to_string(d);
  const std::string udp = "udpsink name=" + destinationName("udp", d) + " sync=false async=false";
  if (!track.rtcpPort) return udp;
  return "rtp.send_rtp_sink_" + n + " rtp.send_rtp_src_" + n + " ! " + udp + " rtp.send_rtcp_src_" +
         n + " ! udpsink name=" + destinationName("rtcp-out", d) +
         " sync=false async=false udpsrc name=" + destinationName("rtcp-in", d) +
         " caps=application/x-rtcp ! rtp.recv_rtcp_sink_" + n;
}

// One UDP socket for the destination's RTCP, both ways: sender reports leave from it, and Janus's
// feedback comes back to it (Janus latches onto the address its RTCP port last heard from).
Result<void> wireRtcp(GstBin* bin, const OutputTrack& track, std::size_t d) {
  auto host = GRef<GObject>::adopt(G_OBJECT(g_inet_address_new_from_string(track.host.c_str())));
  const GSocketFamily family =
      host ? g_inet_address_get_family(G_INET_ADDRESS(host.get())) : G_SOCKET_FAMILY_IPV4;
  GUnique<GError> error;
  auto socket = GRef<GObject>::adopt(G_OBJECT(
      g_socket_new(family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error.outPtr())));
  if (socket) {
    auto any = GRef<GObject>::adopt(G_OBJECT(g_inet_address_new_any(family)));
    auto local =
        GRef<GObject>::adopt(G_OBJECT(g_inet_socket_address_new(G_INET_ADDRESS(any.get()), 0)));
    if (!g_socket_bind(G_SOCKET(socket.get()), G_SOCKET_ADDRESS(local.get()), FALSE,
                       error.outPtr())) {
      socket = {};
    }
  }
  if (!socket) {
    return makeError(MediaError::Link, "cannot open the RTCP socket for mid " + track.mid + ": " +
                                           (error ? error->message : "unknown error"));
  }
  auto out = childNamed(bin, destinationName("rtcp-out", d));
  g_object_set(out.get(), "socket", socket.get(), "close-socket", FALSE, "host", track.host.c_str(),
               "port", *track.rtcpPort, nullptr);
  // Not a sink for end-of-stream: rtpbin sends EOS on its RTCP only after a BYE it schedules
  // itself, which sometimes comes late or not at all — the branch ends when its RTP has
  // (gst-launch -e waited for it in one run out of eight).
  GST_OBJECT_FLAG_UNSET(out.get(), GST_ELEMENT_FLAG_SINK);
  auto in = childNamed(bin, destinationName("rtcp-in", d));
  g_object_set(in.get(), "socket", socket.get(), "close-socket", FALSE, nullptr);
  // A sender report every second or so instead of every 5 s: Janus sends a viewer's keyframe
  // request only once it has heard from us, so the first one should come early.
  auto rtpbin = childNamed(bin, "rtp");
  GstElement* session = nullptr;
  g_signal_emit_by_name(rtpbin.get(), "get-session", static_cast<guint>(d), &session);
  if (session) {
    g_object_set(session, "rtcp-min-interval", static_cast<guint64>(GST_SECOND), nullptr);
    gst_object_unref(session);
  }
  return {};
}

}  // namespace

std::string relayableCodecs() {
  std::string list;
  for (const Codec& codec : kCodecs) {
    if (!list.empty()) list += ", ";
    list += codec.name;
  }
  return list;
}

bool isRelayableCodec(std::string_view codec) {
  return findCodec(codec) != nullptr;
}

std::uint32_t stableSsrc(std::string_view relayName, std::string_view mid) {
  std::uint32_t hash = 2166136261u;  // FNV-1a
  auto mix = [&](std::string_view text) {
    for (char c : text)
      hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  };
  mix(relayName);
  mix(":");
  mix(mid);
  return hash == 0 ? 1 : hash;
}

bool sameEncoding(const OutputTrack& a, const OutputTrack& b) {
  return a.type == b.type && a.sourceIndex == b.sourceIndex && a.codec == b.codec &&
         a.payloadType == b.payloadType && a.fmtp == b.fmtp;
}

Result<std::vector<OutputTrack>> planOutput(const model::MountPoint& mountpoint,
                                            const std::vector<model::MountPointPort>& ports,
                                            const std::string& host, std::string_view relayName,
                                            std::string_view specPath) {
  json::Diagnostics problems;
  std::vector<OutputTrack> tracks;
  int ordinal[2] = {0, 0};  // per type: audio, video
  for (std::size_t i = 0; i < mountpoint.media.size(); ++i) {
    const model::MediaTrack& media = mountpoint.media[i];
    if (media.type == model::MediaType::Data) continue;
    const std::string path = json::indexPath(json::childPath(specPath, "media"), i);
    const int typeIndex = media.type == model::MediaType::Audio ? 0 : 1;
    const int nth = ordinal[typeIndex]++;
    const std::string mid = media.mid.value_or(std::to_string(i));
    const std::string codec = media.codec.value_or("");
    if (!isRelayableCodec(codec)) {
      problems.error(path + ".codec", model::quoted(codec) + " cannot be sent by a relay (" +
                                          "relayable: " + relayableCodecs() + ")");
      continue;
    }
    const auto port = std::find_if(ports.begin(), ports.end(),
                                   [&](const model::MountPointPort& p) { return p.mid == mid; });
    std::optional<std::int64_t> portNumber =
        port != ports.end() ? std::optional(port->port) : media.port;
    if (!portNumber) {
      problems.error(path + ".port", "unknown: create the mountpoint first, or give its port");
      continue;
    }
    tracks.push_back(OutputTrack{.mid = mid,
                                 .type = media.type,
                                 .codec = codec,
                                 .payloadType = static_cast<int>(media.pt.value_or(
                                     model::defaultPayloadType(codec).value_or(96))),
                                 .host = host,
                                 .port = static_cast<int>(*portNumber),
                                 .fmtp = media.fmtp,
                                 .sourceIndex = static_cast<int>(media.mindex.value_or(nth)),
                                 .ssrc = stableSsrc(relayName, mid)});
    const auto rtcpPort = port != ports.end() && port->rtcpPort ? port->rtcpPort : media.rtcpPort;
    if (rtcpPort && *rtcpPort > 0) tracks.back().rtcpPort = static_cast<int>(*rtcpPort);
  }
  if (!problems.ok()) {
    return makeError(MediaError::Unrelayable, "the relay cannot feed this mountpoint",
                     problems.errors());
  }
  if (tracks.empty()) {
    return makeError(MediaError::Unrelayable, "the mountpoint has no audio or video media");
  }
  return tracks;
}

bool canPassThrough(const GstCaps* caps, const OutputTrack& track, const VideoEncoding& video) {
  const Codec* codec = findCodec(track.codec);
  if (!codec || !caps || gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return false;
  if (track.type == model::MediaType::Video && video.always) return false;
  const GstStructure* structure = gst_caps_get_structure(caps, 0);
  if (gst_structure_get_name(structure) != codec->encodedCaps) return false;
  if (track.codec != "h264") return true;
  const char* profile = gst_structure_get_string(structure, "profile");
  const auto fromRecord =
      profile ? std::optional<std::string>(profile) : profileFromCodecData(structure);
  return !fromRecord || profileFits(*fromRecord, track.fmtp);  // unknown: trust the source
}

Result<GRef<GstElement>> makeOutputBranch(const OutputTrack& track, const GstCaps* caps,
                                          const VideoEncoding& video) {
  return makeOutputBranch(std::span<const OutputTrack>(&track, 1), caps, video);
}

Result<GRef<GstElement>> makeOutputBranch(std::span<const OutputTrack> destinations,
                                          const GstCaps* caps, const VideoEncoding& video) {
  const OutputTrack& track = destinations.front();
  const Codec* codec = findCodec(track.codec);
  if (!codec) {
    return makeError(MediaError::Unrelayable, "no relay branch for codec " + track.codec);
  }
  const std::string input = caps && !gst_caps_is_empty(caps)
                                ? gst_structure_get_name(gst_caps_get_structure(caps, 0))
                                : "";
  // A transcoding branch runs in a thread of its own (the queue), so that encoding never holds
  // up the source's streaming thread and the other media. A passthrough branch costs next to
  // nothing and runs in the source's thread: one thread and one hand-over less per packet.
  std::string chain;
  std::string entry = "in";
  if (canPassThrough(caps, track, video)) {
    chain = codec->passthrough.empty() ? "" : std::string(codec->passthrough) + " name=in";
    if (chain.empty()) entry = "pay";
  } else {
    char encoder[512];
    std::snprintf(encoder, sizeof encoder, std::string(codec->encoder).c_str(),
                  video.keyframeIntervalSeconds * kAssumedFramerate, video.bitrateKbps);
    chain =
        "queue name=in max-size-buffers=0 max-size-bytes=0 max-size-time=2000000000 "
        "leaky=downstream ! " +
        (isRaw(input) ? std::string(encoder) : "decodebin ! " + std::string(encoder));
  }
  // The payloader, then a sender per destination (teed when there are several, in the same
  // thread: udpsinks that neither sync nor wait do not hold it up).
  std::string output = " name=pay";
  bool anyRtcp = false;
  if (destinations.size() == 1) {
    output += " ! " + senderDescription(track, 0);
  } else {
    output += " ! tee name=fan";
    for (std::size_t d = 0; d < destinations.size(); ++d)
      output += " fan. ! " + senderDescription(destinations[d], d);
  }
  for (const OutputTrack& destination : destinations)
    anyRtcp = anyRtcp || destination.rtcpPort.has_value();
  if (anyRtcp) output += " rtpbin name=rtp";
  const std::string description =
      (chain.empty() ? std::string() : chain + " ! ") + std::string(codec->payloader) + output;
  GUnique<GError> error;
  // Ghosted by hand: with `decodebin ! x`, x's sink is unlinked too until decodebin has a pad.
  auto bin = GRef<GstElement>::adopt(
      gst_parse_bin_from_description(description.c_str(), FALSE, error.outPtr()));
  if (!bin) {
    const bool missing =
        error && error->domain == GST_PARSE_ERROR && error->code == GST_PARSE_ERROR_NO_SUCH_ELEMENT;
    return makeError(missing ? MediaError::MissingElement : MediaError::BadDescription,
                     "cannot build the " + track.codec + " branch for mid " + track.mid + ": " +
                         (error ? error->message : "unknown error"));
  }
  const std::string prefix =
      track.output == 0 ? "out-" : "out" + std::to_string(track.output) + "-";
  gst_object_set_name(GST_OBJECT(bin.get()), (prefix + safeName(track.mid)).c_str());
  GstBin* elements = GST_BIN(bin.get());
  auto first = childNamed(elements, entry);
  auto entryPad = GRef<GstPad>::adopt(gst_element_get_static_pad(first.get(), "sink"));
  GstPad* ghostPad = gst_ghost_pad_new("sink", entryPad.get());
  gst_pad_set_active(ghostPad, TRUE);
  gst_element_add_pad(bin.get(), ghostPad);
  auto payloader = childNamed(elements, "pay");
  g_object_set(payloader.get(), "pt", static_cast<guint>(track.payloadType), "ssrc", track.ssrc,
               "mtu", kMtu, nullptr);
  for (std::size_t d = 0; d < destinations.size(); ++d) {
    const OutputTrack& destination = destinations[d];
    auto sink = childNamed(elements, destinationName("udp", d));
    g_object_set(sink.get(), "host", destination.host.c_str(), "port", destination.port, nullptr);
    if (destination.rtcpPort) {
      if (auto wired = wireRtcp(elements, destination, d); !wired) return wired.error();
    }
  }
  return bin;
}

GRef<GstCaps> acceptedCaps(const OutputTrack& track, const VideoEncoding& video) {
  const bool isVideo = track.type == model::MediaType::Video;
  std::string caps;
  const Codec* codec = findCodec(track.codec);
  if (codec && !(isVideo && video.always)) {
    caps = std::string(codec->encodedCaps);
    const auto profiles = track.codec == "h264" ? allowedProfiles(track.fmtp) : std::nullopt;
    if (profiles) {
      caps += ", profile=(string){ ";
      for (std::size_t i = 0; i < profiles->size(); ++i) {
        caps += (i ? ", " : "") + std::string((*profiles)[i]);
      }
      caps += " }";
    }
    caps += "; ";
  }
  caps += isVideo ? kAnyVideo : kAnyAudio;
  return GRef<GstCaps>::adopt(gst_caps_from_string(caps.c_str()));
}

GRef<GstCaps> branchCaps(model::MediaType type) {
  const std::string caps(type == model::MediaType::Video ? kAnyVideo : kAnyAudio);
  return GRef<GstCaps>::adopt(gst_caps_from_string(caps.c_str()));
}

namespace {

struct CountingProbe {
  TrackCounters* counters;
  std::shared_ptr<FirstPacket> first;
};

GstPadProbeReturn countRtp(GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
  if (!feedAllowed()) return GST_PAD_PROBE_DROP;  // a cluster node past its lease
  auto* probe = static_cast<CountingProbe*>(data);
  TrackCounters* counters = probe->counters;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    packets = 1;
    bytes = gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    packets = gst_buffer_list_length(list);
    bytes = gst_buffer_list_calculate_size(list);
  }
  const std::int64_t now = g_get_monotonic_time();
  counters->packets.fetch_add(packets, std::memory_order_relaxed);
  counters->bytes.fetch_add(bytes, std::memory_order_relaxed);
  std::int64_t none = 0;
  counters->firstPacketUs.compare_exchange_strong(none, now, std::memory_order_relaxed);
  counters->lastPacketUs.store(now, std::memory_order_relaxed);
  if (probe->first && probe->first->notice.notify && !probe->first->seen.exchange(true)) {
    // The only work a streaming thread hands over: one hop to the control context.
    g_main_context_invoke_full(
        probe->first->notice.context, G_PRIORITY_DEFAULT,
        [](gpointer call) -> gboolean {
          (*static_cast<std::function<void()>*>(call))();
          return G_SOURCE_REMOVE;
        },
        new std::function<void()>(probe->first->notice.notify),
        [](gpointer call) { delete static_cast<std::function<void()>*>(call); });
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace

void countPacketsInto(GstElement* sink, TrackCounters* counters,
                      std::shared_ptr<FirstPacket> first) {
  auto pad = GRef<GstPad>::adopt(gst_element_get_static_pad(sink, "sink"));
  gst_pad_add_probe(pad.get(),
                    GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    countRtp, new CountingProbe{counters, std::move(first)},
                    [](gpointer data) { delete static_cast<CountingProbe*>(data); });
}

void countSentPackets(GstElement* branch, TrackCounters* counters,
                      std::shared_ptr<FirstPacket> first) {
  countSentPackets(branch, std::span<TrackCounters* const>(&counters, 1), std::move(first));
}

void countSentPackets(GstElement* branch, std::span<TrackCounters* const> counters,
                      std::shared_ptr<FirstPacket> first) {
  GstBin* elements = GST_BIN(branch);
  auto rtpbin = childNamed(elements, "rtp");
  for (std::size_t d = 0; d < counters.size(); ++d) {
    auto udp = childNamed(elements, destinationName("udp", d));
    countPacketsInto(udp.get(), counters[d], first);

    auto rtcpIn = childNamed(elements, destinationName("rtcp-in", d));
    if (!rtcpIn) continue;
    // Sender reports stop with the RTP past a cluster node's lease: rtpbin's RTCP thread sends
    // them on its own clock (a frozen node sent one as it woke).
    auto rtcpOut = childNamed(elements, destinationName("rtcp-out", d));
    auto reports = GRef<GstPad>::adopt(gst_element_get_static_pad(rtcpOut.get(), "sink"));
    gst_pad_add_probe(
        reports.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo*, gpointer) noexcept {
          return feedAllowed() ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
        },
        nullptr, nullptr);
    auto received = GRef<GstPad>::adopt(gst_element_get_static_pad(rtcpIn.get(), "src"));
    gst_pad_add_probe(
        received.get(), GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo*, gpointer data) noexcept {
          static_cast<TrackCounters*>(data)->rtcpReceived.fetch_add(1, std::memory_order_relaxed);
          return GST_PAD_PROBE_OK;
        },
        counters[d], nullptr);
    // rtpbin turns a PLI or FIR into a force-key-unit event sent upstream from this session's
    // RTP sink, on to the payloader (through the tee) and the encoder.
    auto session = GRef<GstPad>::adopt(
        gst_element_get_static_pad(rtpbin.get(), ("send_rtp_sink_" + std::to_string(d)).c_str()));
    gst_pad_add_probe(
        session.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) noexcept {
          const GstStructure* structure = gst_event_get_structure(GST_PAD_PROBE_INFO_EVENT(info));
          if (structure && gst_structure_has_name(structure, "GstForceKeyUnit")) {
            static_cast<TrackCounters*>(data)->keyframeRequests.fetch_add(
                1, std::memory_order_relaxed);
          }
          return GST_PAD_PROBE_OK;
        },
        counters[d], nullptr);
  }
}

}  // namespace su::media
