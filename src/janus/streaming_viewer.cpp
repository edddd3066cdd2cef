#include "janus/streaming_viewer.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "core/log.hpp"
#include "janus/errors.hpp"
#include "json/reader.hpp"
#include "json/writer.hpp"

#define GST_CAT_DEFAULT su::log::janus

namespace su::janus {

namespace {

// A decoded stream: counted (and its video size noted), then shown or dropped.
void onDecoded(GstElement* decoder, GstPad* pad, gpointer data) noexcept {
  auto* decoded = static_cast<StreamingViewer::Decoded*>(data);
  auto caps = GRef<GstCaps>::adopt(gst_pad_get_current_caps(pad));
  if (!caps) caps = GRef<GstCaps>::adopt(gst_pad_query_caps(pad, nullptr));
  const GstStructure* structure = gst_caps_get_structure(caps.get(), 0);
  const std::string_view kind = gst_structure_get_name(structure);
  const bool video = kind.starts_with("video/");
  const bool audio = kind.starts_with("audio/");
  auto bin = GRef<GstElement>::adopt(GST_ELEMENT(gst_object_get_parent(GST_OBJECT(decoder))));
  if (!bin) return;
  std::string description = "fakesink sync=false async=false";
  if (decoded->display && video) description = "videoconvert ! autovideosink sync=false";
  if (decoded->display && audio) {
    description = "audioconvert ! audioresample ! autoaudiosink sync=false";
  }
  GstElement* sink = gst_parse_bin_from_description(description.c_str(), TRUE, nullptr);
  if (!sink) return;
  gst_bin_add(GST_BIN(bin.get()), sink);
  gst_element_sync_state_with_parent(sink);
  auto sinkPad = GRef<GstPad>::adopt(gst_element_get_static_pad(sink, "sink"));
  if (video || audio) {
    gst_pad_add_probe(
        sinkPad.get(), GST_PAD_PROBE_TYPE_BUFFER,
        video ? +[](GstPad* probed, GstPadProbeInfo*, gpointer target) -> GstPadProbeReturn {
          auto* counts = static_cast<StreamingViewer::Decoded*>(target);
          if (counts->video.fetch_add(1) == 0) {
            auto current = GRef<GstCaps>::adopt(gst_pad_get_current_caps(probed));
            int width = 0, height = 0;
            if (current) {
              const GstStructure* s = gst_caps_get_structure(current.get(), 0);
              gst_structure_get_int(s, "width", &width);
              gst_structure_get_int(s, "height", &height);
            }
            counts->width = width;
            counts->height = height;
          }
          return GST_PAD_PROBE_OK;
        }
              : +[](GstPad*, GstPadProbeInfo*, gpointer target) -> GstPadProbeReturn {
                  static_cast<StreamingViewer::Decoded*>(target)->audio.fetch_add(1);
                  return GST_PAD_PROBE_OK;
                },
        decoded, nullptr);
  }
  gst_pad_link(pad, sinkPad.get());
}

// Each stream from Janus goes through its own decodebin.
void onIncoming(GstElement* webrtc, GstPad* pad, gpointer data) noexcept {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  auto pipeline = GRef<GstElement>::adopt(GST_ELEMENT(gst_object_get_parent(GST_OBJECT(webrtc))));
  GstElement* decoder = gst_element_factory_make("decodebin", nullptr);
  if (!pipeline || !decoder) return;
  g_signal_connect(decoder, "pad-added", G_CALLBACK(onDecoded), data);
  gst_bin_add(GST_BIN(pipeline.get()), decoder);
  gst_element_sync_state_with_parent(decoder);
  auto sink = GRef<GstPad>::adopt(gst_element_get_static_pad(decoder, "sink"));
  gst_pad_link(pad, sink.get());
}

}  // namespace

StreamingViewer::StreamingViewer(GMainContext* context, std::shared_ptr<Handle> handle,
                                 Options options)
    : context_(GRef<GMainContext>::ref(context)), handle_(std::move(handle)) {
  decoded_->display = options.display;
}

StreamingViewer::~StreamingViewer() {
  *alive_ = false;
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

ViewerStats StreamingViewer::stats() const {
  ViewerStats stats{.videoFrames = decoded_->video.load(), .audioBuffers = decoded_->audio.load()};
  if (decoded_->width > 0) stats.width = decoded_->width.load();
  if (decoded_->height > 0) stats.height = decoded_->height.load();
  return stats;
}

void StreamingViewer::failStart(const std::string& message) {
  if (started_) take(started_)(makeError(JanusError::Negotiation, message));
}

void StreamingViewer::watch(std::int64_t mountpoint, Callback<void> done,
                            const std::optional<std::string>& pin) {
  started_ = std::move(done);
  json::ObjectWriter request;
  request.set("request", "watch").set("id", mountpoint).set("pin", pin);
  std::weak_ptr<bool> alive = alive_;
  handle_->message(request.node(), [this, alive, mountpoint](Result<PluginReply> reply) {
    if (alive.expired() || !started_) return;
    if (!reply) return take(started_)(reply.error());
    if (!reply->jsep.present() || !reply->jsep.isObject()) {
      return failStart("Janus sent no offer to watch mountpoint " + std::to_string(mountpoint));
    }
    answer(reply->jsep);
  });
}

void StreamingViewer::answer(const json::Value& offer) {
  json::Diagnostics problems;
  auto jsep = json::ObjectReader::fromNode(offer.node(), "jsep", problems);
  const auto text = jsep ? jsep->string("sdp") : std::nullopt;
  GstSDPMessage* sdp = nullptr;
  if (!text || gst_sdp_message_new_from_text(text->c_str(), &sdp) != GST_SDP_OK) {
    return failStart("Janus's offer carries no SDP this viewer can read");
  }
  // Not gst_parse_launch: for a lone element it returns the element, not a pipeline.
  pipeline_ = GRef<GstElement>::adopt(gst_pipeline_new("su-streaming-viewer"));
  webrtc_ = gst_element_factory_make("webrtcbin", "webrtc");
  if (!webrtc_) {
    gst_sdp_message_free(sdp);
    return failStart("webrtcbin is missing (Debian: gstreamer1.0-plugins-bad, gstreamer1.0-nice)");
  }
  gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");
  gst_bin_add(GST_BIN(pipeline_.get()), webrtc_);
  g_signal_connect(webrtc_, "pad-added", G_CALLBACK(onIncoming), decoded_.get());
  struct Owner {
    GMainContext* context;
    std::weak_ptr<bool> alive;
    StreamingViewer* self;
  };
  // Our ICE candidates, trickled to Janus from the control context.
  g_signal_connect_data(
      webrtc_, "on-ice-candidate",
      G_CALLBACK(+[](GstElement*, guint mline, gchar* candidate, gpointer data) {
        auto* owner = static_cast<Owner*>(data);
        StreamingViewer* self = owner->self;
        invokeIfAlive(owner->context, owner->alive, [self, mline, line = std::string(candidate)] {
          json::ObjectWriter trickle;
          trickle.set("candidate", line).set("sdpMLineIndex", static_cast<std::int64_t>(mline));
          self->handle_->trickle(trickle.node(), [](Result<void>) {});
        });
      }),
      new Owner{context_.get(), alive_, this},
      [](gpointer data, GClosure*) { delete static_cast<Owner*>(data); }, GConnectFlags(0));
  gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);

  GstWebRTCSessionDescription* remote =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);  // takes sdp
  g_signal_emit_by_name(webrtc_, "set-remote-description", remote, nullptr);
  gst_webrtc_session_description_free(remote);
  GstPromise* promise = gst_promise_new_with_change_func(
      [](GstPromise* reply, gpointer data) {
        auto* owner = static_cast<Owner*>(data);
        if (owner->alive.expired()) return gst_promise_unref(reply);
        owner->self->answerCreated(reply);
      },
      new Owner{context_.get(), alive_, this},
      [](gpointer data) { delete static_cast<Owner*>(data); });
  g_signal_emit_by_name(webrtc_, "create-answer", nullptr, promise);
}

// On a webrtcbin thread.
void StreamingViewer::answerCreated(GstPromise* promise) {
  GstWebRTCSessionDescription* answer = nullptr;
  if (const GstStructure* reply = gst_promise_get_reply(promise)) {
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  }
  gst_promise_unref(promise);
  if (!answer) {
    invokeIfAlive(context_.get(), alive_, [this] { failStart("webrtcbin made no answer"); });
    return;
  }
  g_signal_emit_by_name(webrtc_, "set-local-description", answer, nullptr);
  auto text = GUnique<char>::adopt(gst_sdp_message_as_text(answer->sdp));
  gst_webrtc_session_description_free(answer);
  invokeIfAlive(context_.get(), alive_, [this, sdp = std::string(text.get())] { sendStart(sdp); });
}

void StreamingViewer::sendStart(std::string sdp) {
  json::ObjectWriter start;
  start.set("request", "start");
  json::ObjectWriter jsep;
  jsep.set("type", "answer").set("sdp", sdp);
  std::weak_ptr<bool> alive = alive_;
  handle_->message(
      start.node(),
      [this, alive](Result<PluginReply> reply) {
        if (alive.expired() || !started_) return;
        take(started_)(reply ? Result<void>() : Result<void>(reply.error()));
      },
      jsep.node());
}

}  // namespace su::janus
