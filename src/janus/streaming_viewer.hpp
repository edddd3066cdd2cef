// A Janus Streaming viewer: watches a mountpoint over WebRTC (webrtcbin), decodes what arrives
// and counts it — the proof that media reaches browsers, for `streaming-utils watch` and the
// tests. With `display`, video goes to a window and audio to the speakers as well.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "janus/session.hpp"

typedef struct _GstElement GstElement;
typedef struct _GstPromise GstPromise;

namespace su::janus {

struct ViewerStats {
  std::uint64_t videoFrames = 0;   // decoded
  std::uint64_t audioBuffers = 0;  // decoded
  std::optional<int> width;
  std::optional<int> height;
};

class StreamingViewer {
 public:
  struct Options {
    bool display = false;  // render (autovideosink, autoaudiosink) instead of only counting
  };

  // `handle`: attached to the Streaming plugin, for this viewer alone.
  StreamingViewer(GMainContext* context, std::shared_ptr<Handle> handle, Options options);
  StreamingViewer(GMainContext* context, std::shared_ptr<Handle> handle)
      : StreamingViewer(context, std::move(handle), Options{}) {}
  ~StreamingViewer();

  // Sends `watch`, answers Janus's offer and sends `start`; `done` once started (media flows
  // after ICE and DTLS complete).
  void watch(std::int64_t mountpoint, Callback<void> done,
             const std::optional<std::string>& pin = std::nullopt);
  ViewerStats stats() const;
  std::uint64_t videoFrames() const noexcept { return decoded_->video.load(); }
  std::uint64_t audioBuffers() const noexcept { return decoded_->audio.load(); }

  // What the decoders report, from streaming threads.
  struct Decoded {
    std::atomic<std::uint64_t> video{0};
    std::atomic<std::uint64_t> audio{0};
    std::atomic<int> width{0};
    std::atomic<int> height{0};
    bool display = false;
  };

  StreamingViewer(const StreamingViewer&) = delete;
  StreamingViewer& operator=(const StreamingViewer&) = delete;

 private:
  void answer(const json::Value& offer);
  void answerCreated(GstPromise* promise);
  void sendStart(std::string sdp);
  void failStart(const std::string& message);

  GRef<GMainContext> context_;
  std::shared_ptr<Handle> handle_;
  GRef<GstElement> pipeline_;
  GstElement* webrtc_ = nullptr;  // owned by pipeline_
  std::optional<Callback<void>> started_;
  std::shared_ptr<Decoded> decoded_ = std::make_shared<Decoded>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su::janus
