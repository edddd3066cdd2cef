#include "support/media_sources.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "json/writer.hpp"

namespace su::test {

namespace {

constexpr const char* kVideoChain =
    "videotestsrc is-live=true pattern=ball ! "
    "video/x-raw,format=I420,width=320,height=240,framerate=15/1 ! "
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=300 ! "
    "video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 mtu=1200 ";
constexpr const char* kAudioChain =
    "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! "
    "audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay ";

GRef<GstElement> launch(const std::string& description) {
  GUnique<GError> error;
  auto pipeline = GRef<GstElement>::adopt(gst_parse_launch(description.c_str(), error.outPtr()));
  EXPECT_TRUE(pipeline) << description << ": " << (error ? error->message : "");
  return pipeline;
}

}  // namespace

std::unique_ptr<RtpSender> RtpSender::start(const std::vector<Target>& targets) {
  std::string description;
  for (const Target& target : targets) {
    description += target.video ? kVideoChain : kAudioChain;
    description +=
        "pt=" + std::to_string(target.payloadType) +
        " ! udpsink host=127.0.0.1 sync=false async=false port=" + std::to_string(target.port) +
        " ";
  }
  auto sender = std::make_unique<RtpSender>();
  sender->pipeline_ = launch(description);
  if (!sender->pipeline_) return nullptr;
  if (gst_element_set_state(sender->pipeline_.get(), GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    ADD_FAILURE() << "the RTP sender did not start";
    return nullptr;
  }
  return sender;
}

RtpSender::~RtpSender() {
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

VideoRoomPublisher::VideoRoomPublisher(GMainContext* context, std::shared_ptr<janus::Handle> handle)
    : context_(GRef<GMainContext>::ref(context)), handle_(std::move(handle)) {
  handle_->onEvent([this](const janus::HandleEvent& event) {
    if (event.type == "webrtcup") webrtcUp_ = true;
    if (event.type == "hangup") webrtcUp_ = false;
  });
}

VideoRoomPublisher::~VideoRoomPublisher() {
  // Stopping the pipeline joins webrtcbin's threads; work they queued checks `alive_`.
  if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  handle_->onEvent({});
  alive_.reset();
}

void VideoRoomPublisher::publish(std::int64_t room, std::int64_t id,
                                 const std::optional<std::string>& pin, Callback<void> done,
                                 const std::string& display) {
  published_ = std::move(done);
  json::ObjectWriter join;
  join.set("request", "join")
      .set("ptype", "publisher")
      .set("room", room)
      .set("id", id)
      .set("display", display)
      .set("pin", pin);
  handle_->message(join.node(), [this](Result<janus::PluginReply> joined) {
    if (!joined) return published_(joined.error());
    startPipeline();
  });
}

void VideoRoomPublisher::startPipeline() {
  pipeline_ = launch(std::string("webrtcbin name=webrtc bundle-policy=max-bundle ") + kVideoChain +
                     "pt=96 ! application/x-rtp,media=video,encoding-name=H264,payload=96 ! "
                     "webrtc. " +
                     kAudioChain +
                     "pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! "
                     "webrtc.");
  if (!pipeline_)
    return published_(Error{g_quark_from_static_string("su-test"), 1, "no pipeline", {}});
  webrtc_ = GRef<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "webrtc"));
  g_signal_connect(
      webrtc_.get(), "on-ice-candidate",
      G_CALLBACK(+[](GstElement*, guint mline, gchar* candidate, gpointer data) {
        auto* self = static_cast<VideoRoomPublisher*>(data);
        invokeIfAlive(
            self->context_.get(), self->alive_, [self, mline, text = std::string(candidate)] {
              json::ObjectWriter trickle;
              trickle.set("candidate", text).set("sdpMLineIndex", static_cast<std::int64_t>(mline));
              self->handle_->trickle(trickle.node(), [](Result<void>) {});
            });
      }),
      this);
  gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
  // An offer made before the payloaders' caps reach webrtcbin lacks codecs: wait for them.
  waitForCaps_ = Source::timeout(
      context_.get(), std::chrono::milliseconds(10),
      [this] {
        bool ready = true;
        GstIterator* pads = gst_element_iterate_sink_pads(webrtc_.get());
        GValue item = G_VALUE_INIT;
        int count = 0;
        while (gst_iterator_next(pads, &item) == GST_ITERATOR_OK) {
          ready = ready && gst_pad_has_current_caps(GST_PAD(g_value_get_object(&item)));
          ++count;
          g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(pads);
        if (!ready || count < 2) return true;
        createOffer();
        return false;
      },
      "su-test-wait-for-caps");
}

void VideoRoomPublisher::createOffer() {
  struct Owner {
    std::weak_ptr<bool> alive;
    VideoRoomPublisher* self;
  };
  GstPromise* promise = gst_promise_new_with_change_func(
      [](GstPromise* reply, gpointer data) {
        auto* owner = static_cast<Owner*>(data);
        if (owner->alive.expired()) return gst_promise_unref(reply);
        owner->self->offerCreated(reply);
      },
      new Owner{alive_, this}, [](gpointer data) { delete static_cast<Owner*>(data); });
  g_signal_emit_by_name(webrtc_.get(), "create-offer", nullptr, promise);
}

void VideoRoomPublisher::offerCreated(GstPromise* promise) {
  GstWebRTCSessionDescription* offer = nullptr;
  const GstStructure* reply = gst_promise_get_reply(promise);
  gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  gst_promise_unref(promise);
  if (!offer) {
    invokeIfAlive(context_.get(), alive_, [this] {
      published_(Error{g_quark_from_static_string("su-test"), 1, "webrtcbin made no offer", {}});
    });
    return;
  }
  g_signal_emit_by_name(webrtc_.get(), "set-local-description", offer, nullptr);
  for (guint i = 0; i < gst_sdp_message_medias_len(offer->sdp); ++i) {
    const GstSDPMedia* media = gst_sdp_message_get_media(offer->sdp, i);
    const char* mid = gst_sdp_media_get_attribute_val(media, "mid");
    if (!mid) continue;
    (g_strcmp0(gst_sdp_media_get_media(media), "video") == 0 ? videoMid_ : audioMid_) = mid;
  }
  auto text = GUnique<char>::adopt(gst_sdp_message_as_text(offer->sdp));
  gst_webrtc_session_description_free(offer);
  invokeIfAlive(context_.get(), alive_, [this, sdp = std::string(text.get())] { sendOffer(sdp); });
}

void VideoRoomPublisher::sendOffer(std::string sdp) {
  json::ObjectWriter publish;
  publish.set("request", "publish").set("audio", true).set("video", true);
  json::ObjectWriter jsep;
  jsep.set("type", "offer").set("sdp", sdp);
  handle_->message(
      publish.node(),
      [this](Result<janus::PluginReply> reply) {
        if (!reply) return published_(reply.error());
        if (!reply->jsep.present()) {
          return published_(Error{g_quark_from_static_string("su-test"),
                                  1,
                                  "Janus answered publish without an SDP",
                                  {}});
        }
        applyAnswer(reply->jsep);
      },
      jsep.node());
}

void VideoRoomPublisher::applyAnswer(const json::Value& jsep) {
  const char* text = json_object_get_string_member(jsep.object(), "sdp");
  GstSDPMessage* sdp = nullptr;
  gst_sdp_message_new_from_text(text, &sdp);
  GstWebRTCSessionDescription* answer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name(webrtc_.get(), "set-remote-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
  published_(Result<void>());
}

void VideoRoomPublisher::unpublish(Callback<void> done) {
  json::ObjectWriter request;
  request.set("request", "unpublish");
  handle_->message(request.node(), [done](Result<janus::PluginReply> reply) {
    if (!reply) return done(reply.error());
    done(Result<void>());
  });
}

}  // namespace su::test
