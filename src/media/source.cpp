#include "media/source.hpp"

#include <gst/gst.h>

#include <vector>

#include "core/log.hpp"
#include "core/uri.hpp"
#include "media/output.hpp"
#include "media/rtmp_reader.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::media

namespace su::media {

namespace {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang 14 deduces no aggregate

constexpr const char* kTestPattern =
    "videotestsrc is-live=true pattern=smpte ! "
    "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
    "x264enc tune=zerolatency speed-preset=veryfast bframes=0 key-int-max=30 bitrate=800 ! "
    "video/x-h264,profile=constrained-baseline ! h264parse "
    "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! "
    "audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=64000";

Error missing(const char* factory, const std::string& what) {
  return makeError(MediaError::MissingElement, std::string("GStreamer element ") + factory +
                                                   " is not installed (needed for " + what + ")");
}

Result<GRef<GstElement>> element(const char* factory, const char* name, const std::string& what) {
  GstElement* made = gst_element_factory_make(factory, name);
  if (!made) return missing(factory, what);
  return GRef<GstElement>::adopt(made);
}

// Exposes `pad` (inside `bin`) as one of the bin's src pads.
void ghost(GstElement* bin, GstPad* pad) {
  GstPad* ghostPad = gst_ghost_pad_new(nullptr, pad);
  gst_pad_set_active(ghostPad, TRUE);
  gst_element_add_pad(bin, ghostPad);
}

void ghostPadAdded(GstElement*, GstPad* pad, gpointer bin) noexcept {
  ghost(static_cast<GstElement*>(bin), pad);
}

// Elementary streams out of whatever `pad` carries (RTP, a container, a TS): a parsebin whose
// pads are exposed as they appear. Runs in a streaming thread.
void parseAndGhost(GstElement* bin, GstPad* pad) {
  GstElement* parser = gst_element_factory_make("parsebin", nullptr);
  if (!parser) {
    GST_ELEMENT_ERROR(bin, CORE, MISSING_PLUGIN, ("parsebin is not installed"), (nullptr));
    return;
  }
  g_signal_connect(parser, "pad-added", G_CALLBACK(ghostPadAdded), bin);
  gst_bin_add(GST_BIN(bin), parser);
  gst_element_sync_state_with_parent(parser);
  GstPad* sink = gst_element_get_static_pad(parser, "sink");
  if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK) {
    GST_WARNING_OBJECT(bin, "cannot link %s:%s to parsebin", GST_DEBUG_PAD_NAME(pad));
  }
  gst_object_unref(sink);
}

void parsePadAdded(GstElement*, GstPad* pad, gpointer bin) noexcept {
  parseAndGhost(static_cast<GstElement*>(bin), pad);
}

Result<GRef<GstElement>> rtmp(const RtmpSource& source, const std::string& name) {
  auto bin = GRef<GstElement>::adopt(gst_bin_new(name.c_str()));
  auto demuxer = element("flvdemux", "demux", "RTMP");
  if (!demuxer) return demuxer.error();
  // Plain RTMP is read in the streaming thread (rtmp_reader.hpp says why); TLS by rtmp2src.
  GstElement* reader = nullptr;
  if (g_ascii_strncasecmp(source.url.c_str(), "rtmp://", 7) == 0) {
    reader = GST_ELEMENT(g_object_new(SU_TYPE_RTMP_READER, "name", "read", nullptr));
  } else {
    reader = gst_element_factory_make("rtmp2src", "read");
    if (!reader) return missing("rtmp2src", "RTMPS");
  }
  g_object_set(reader, "location", source.url.c_str(), nullptr);
  gst_bin_add_many(GST_BIN(bin.get()), reader, demuxer->get(), nullptr);
  gst_element_link(reader, demuxer->get());
  g_signal_connect(demuxer->get(), "pad-added", G_CALLBACK(ghostPadAdded), bin.get());
  return bin;
}

const char* rtspProtocols(model::RtspTransport transport) {
  switch (transport) {
    case model::RtspTransport::Tcp:
      return "tcp";
    case model::RtspTransport::Udp:
      return "udp";
    case model::RtspTransport::UdpMulticast:
      return "udp-mcast";
    case model::RtspTransport::Auto:
      return "tcp+udp+udp-mcast";
  }
  return "tcp";
}

Result<GRef<GstElement>> rtsp(const RtspSource& source, const std::string& name) {
  auto bin = GRef<GstElement>::adopt(gst_bin_new(name.c_str()));
  auto reader = element("rtspsrc", "read", "RTSP");
  if (!reader) return reader.error();
  const auto timeoutUs = static_cast<guint64>(source.camera.timeoutSeconds * 1e6);
  gst_util_set_object_arg(G_OBJECT(reader->get()), "protocols",
                          rtspProtocols(source.camera.transport));
  g_object_set(reader->get(), "location", source.camera.url.c_str(), "latency", 200u, "tcp-timeout",
               timeoutUs, "timeout", timeoutUs, nullptr);
  if (source.camera.username) {
    g_object_set(reader->get(), "user-id", source.camera.username->c_str(), nullptr);
  }
  if (source.camera.password) {
    g_object_set(reader->get(), "user-pw", source.camera.password->c_str(), nullptr);
  }
  gst_bin_add(GST_BIN(bin.get()), reader->get());  // takes a reference of its own
  g_signal_connect(reader->get(), "pad-added", G_CALLBACK(parsePadAdded), bin.get());
  return bin;
}

Result<GRef<GstElement>> uri(const UriSource& source, const std::string& name) {
  auto bin = GRef<GstElement>::adopt(gst_bin_new(name.c_str()));
  auto reader = element("urisourcebin", "read", "URL sources");
  if (!reader) return reader.error();
  g_object_set(reader->get(), "uri", source.uri.c_str(), nullptr);
  gst_bin_add(GST_BIN(bin.get()), reader->get());  // takes a reference of its own
  g_signal_connect(reader->get(), "pad-added", G_CALLBACK(parsePadAdded), bin.get());
  return bin;
}

// gst_parse_bin_from_description ghosts only one unlinked src pad: every one is a stream here.
void ghostUnlinkedSrcPads(GstElement* bin) {
  std::vector<GRef<GstPad>> unlinked;
  GstIterator* elements = gst_bin_iterate_recurse(GST_BIN(bin));
  GValue element = G_VALUE_INIT;
  while (gst_iterator_next(elements, &element) == GST_ITERATOR_OK) {
    GstIterator* pads = gst_element_iterate_src_pads(GST_ELEMENT(g_value_get_object(&element)));
    GValue pad = G_VALUE_INIT;
    while (gst_iterator_next(pads, &pad) == GST_ITERATOR_OK) {
      GstPad* candidate = GST_PAD(g_value_get_object(&pad));
      if (!gst_pad_is_linked(candidate)) unlinked.push_back(GRef<GstPad>::ref(candidate));
      g_value_reset(&pad);
    }
    g_value_unset(&pad);
    gst_iterator_free(pads);
    g_value_reset(&element);
  }
  g_value_unset(&element);
  gst_iterator_free(elements);
  for (const auto& pad : unlinked)
    ghost(bin, pad.get());
}

Result<GRef<GstElement>> described(const std::string& description, const std::string& name,
                                   bool custom) {
  GUnique<GError> error;
  GstElement* parsed = gst_parse_bin_from_description(description.c_str(), FALSE, error.outPtr());
  if (!parsed) {
    const bool isMissing =
        error && error->domain == GST_PARSE_ERROR && error->code == GST_PARSE_ERROR_NO_SUCH_ELEMENT;
    return makeError(isMissing ? MediaError::MissingElement : MediaError::BadDescription,
                     std::string(custom ? "gstreamer_pipeline: " : "test pattern: ") +
                         model::redactText(error ? error->message : "does not parse"));
  }
  auto bin = GRef<GstElement>::adopt(parsed);
  gst_object_set_name(GST_OBJECT(bin.get()), name.c_str());
  ghostUnlinkedSrcPads(bin.get());
  return bin;
}

}  // namespace

Result<GRef<GstElement>> makeSource(const SourceSpec& source, const std::string& name) {
  return std::visit(
      Overloaded{
          [&](const TestPatternSource&) { return described(kTestPattern, name, false); },
          [&](const RtmpSource& rtmpSource) { return rtmp(rtmpSource, name); },
          [&](const RtspSource& rtspSource) { return rtsp(rtspSource, name); },
          [&](const UriSource& uriSource) { return uri(uriSource, name); },
          [&](const CustomSource& custom) { return described(custom.description, name, true); },
      },
      source);
}

std::string describeSource(const SourceSpec& source) {
  return std::visit(
      Overloaded{
          [](const TestPatternSource&) { return std::string("test pattern"); },
          [](const RtmpSource& s) {
            // The last path segment of an RTMP URL is the stream key, and a query may carry a
            // token: credentials.
            auto parts = uri::split(s.url);
            if (!parts || uri::lastSegment(*parts).empty()) return model::redactText(s.url);
            parts->path =
                parts->path.substr(0, parts->path.rfind('/') + 1) + std::string(model::kRedacted);
            if (parts->query) parts->query = std::string(model::kRedacted);
            return model::redactText(uri::join(*parts));
          },
          [](const RtspSource& s) { return model::redactText(s.camera.url); },
          [](const UriSource& s) { return model::redactText(s.uri); },
          [](const CustomSource& s) { return "pipeline: " + model::redactText(s.description); },
      },
      source);
}

}  // namespace su::media
