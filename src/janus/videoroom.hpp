// The VideoRoom plugin: rooms and rtp_forward, typed, with Janus's quirks handled: `ensure`
// tolerates a room created meanwhile (427); `rtp_forward` replies carry no mid, so forwarders
// are matched to the requested streams by host and port, and a stream Janus skipped (an unknown
// mid is skipped silently) fails the request after the forwarders it did create are stopped.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "janus/session.hpp"
#include "janus/streaming.hpp"
#include "model/broadcast_result.hpp"
#include "model/room.hpp"
#include "model/rtp_forward.hpp"

namespace su::janus {

struct RoomCreated {
  std::int64_t room = 0;
  bool permanent = false;
  json::Value raw;
};

struct RoomEnsured {
  std::int64_t room = 0;
  bool created = false;  // false: it existed (only its creator may destroy it)
  json::Value raw;
};

struct RtpForwarded {
  std::int64_t room = 0;
  std::int64_t publisherId = 0;
  std::vector<model::Forwarder> forwarders;  // one per forwarded port, with the requested mid
  json::Value raw;
};

struct ForwarderEntry {
  std::int64_t streamId = 0;
  std::string type;  // audio, video, data
  std::string host;
  std::int64_t port = 0;
};

struct PublisherForwarders {
  std::int64_t publisherId = 0;
  std::vector<ForwarderEntry> forwarders;
};

// A publisher in a room and the streams it publishes (from `joined` and `publishers` events).
struct PublishedStream {
  std::string mid;
  model::MediaType type = model::MediaType::Video;
  std::int64_t mindex = 0;
  std::optional<std::string> codec;
  bool disabled = false;
};
struct RoomPublisher {
  std::int64_t id = 0;
  std::optional<std::string> display;
  std::vector<PublishedStream> streams;
};

// Watches who publishes in a room, from a participant that joins and publishes nothing: the
// current publishers, and each one that publishes or stops (unpublishes or leaves) after.
// Destroying it leaves the room (a handler may do so).
class RoomWatcher {
 public:
  struct Handlers {
    std::function<void(const RoomPublisher&)> onPublished;
    std::function<void(std::int64_t id)> onUnpublished;
  };
  explicit RoomWatcher(std::shared_ptr<Handle> handle);
  ~RoomWatcher();

  void join(std::int64_t room, const std::optional<std::string>& pin, Callback<void> done);
  void setHandlers(Handlers handlers) { handlers_ = std::move(handlers); }
  const std::vector<RoomPublisher>& publishers() const noexcept { return publishers_; }
  const RoomPublisher* find(std::int64_t id) const;
  const RoomPublisher* findByDisplay(const std::string& display) const;

  RoomWatcher(const RoomWatcher&) = delete;
  RoomWatcher& operator=(const RoomWatcher&) = delete;

 private:
  void onEvent(const HandleEvent& event);
  void published(std::vector<RoomPublisher> publishers);
  void gone(std::int64_t id);

  std::shared_ptr<Handle> handle_;
  std::int64_t room_ = 0;
  bool joined_ = false;
  std::vector<RoomPublisher> publishers_;
  Handlers handlers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Credentials a room request may need: the room secret, and the plugin admin key (create, and
// rtp_forward when the plugin sets lock_rtp_forward).
struct RoomAccess {
  std::optional<std::string> secret;
  std::optional<std::string> adminKey;
};

// What the orchestrator needs from Janus VideoRoom; VideoRoomClient is the real one.
class VideoRoomBackend {
 public:
  virtual ~VideoRoomBackend() = default;
  virtual void exists(std::int64_t room, Callback<bool> done) = 0;
  virtual void create(const model::RoomSpec& room, Callback<RoomCreated> done) = 0;
  virtual void ensure(const model::RoomSpec& room, Callback<RoomEnsured> done) = 0;
  // A room that no longer exists (426) is AlreadyGone, not an error.
  virtual void destroy(std::int64_t room, const std::optional<std::string>& secret, bool permanent,
                       Callback<Removal> done) = 0;
  virtual void rtpForward(const model::RtpForwardRequestSpec& forward,
                          Callback<RtpForwarded> done) = 0;
  virtual void stopRtpForward(std::int64_t room, std::int64_t publisherId, std::int64_t streamId,
                              const RoomAccess& access, Callback<void> done) = 0;
  virtual void listForwarders(std::int64_t room, const RoomAccess& access,
                              Callback<std::vector<PublisherForwarders>> done) = 0;
  // Joins `room` (with its pin, if it has one) as a watcher of its publishers.
  virtual void watch(std::int64_t room, const std::optional<std::string>& pin,
                     Callback<std::unique_ptr<RoomWatcher>> done) = 0;
};

class VideoRoomClient final : public VideoRoomBackend {
 public:
  static void attach(Session& session, Callback<std::unique_ptr<VideoRoomClient>> done);
  explicit VideoRoomClient(std::shared_ptr<Handle> handle) : handle_(std::move(handle)) {}

  void exists(std::int64_t room, Callback<bool> done) override;
  void create(const model::RoomSpec& room, Callback<RoomCreated> done) override;
  void ensure(const model::RoomSpec& room, Callback<RoomEnsured> done) override;
  void destroy(std::int64_t room, const std::optional<std::string>& secret, bool permanent,
               Callback<Removal> done) override;
  void rtpForward(const model::RtpForwardRequestSpec& forward,
                  Callback<RtpForwarded> done) override;
  void stopRtpForward(std::int64_t room, std::int64_t publisherId, std::int64_t streamId,
                      const RoomAccess& access, Callback<void> done) override;
  void listForwarders(std::int64_t room, const RoomAccess& access,
                      Callback<std::vector<PublisherForwarders>> done) override;
  void watch(std::int64_t room, const std::optional<std::string>& pin,
             Callback<std::unique_ptr<RoomWatcher>> done) override;

  Handle& handle() const noexcept { return *handle_; }

 private:
  void stopAll(std::int64_t room, std::int64_t publisherId, std::vector<std::int64_t> streamIds,
               const RoomAccess& access, std::function<void()> then);

  std::shared_ptr<Handle> handle_;
};

// Matches an rtp_forward reply to the request: forwarders by host and port, each given the
// requested mid. The error names every stream Janus skipped.
Result<RtpForwarded> matchForwarders(const model::RtpForwardRequestSpec& request,
                                     const json::Value& data);
Result<std::vector<PublisherForwarders>> parseForwarders(const json::Value& data);
// The `publishers` list of a joined or publishers event (absent: none).
Result<std::vector<RoomPublisher>> parsePublishers(const json::Value& data);

}  // namespace su::janus
