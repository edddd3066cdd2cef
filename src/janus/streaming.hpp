// The Streaming plugin: typed requests from the models, lenient typed replies that keep the raw
// JSON. Replies are parsed as Janus 1.1 sends them, not as its docs say (`created`, types `live`
// / `on demand`, `rtcp_port` in create replies but `rtcpport` in info...).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "janus/session.hpp"
#include "model/broadcast_result.hpp"
#include "model/mountpoint.hpp"

namespace su::janus {

struct MountPointCreated {
  std::int64_t id = 0;
  std::string name;
  std::string type;  // "live", "on demand"...
  bool permanent = false;
  std::vector<model::MountPointPort> ports;  // where Janus listens, per mid (rtp only)
  json::Value raw;
};

struct MountPointMedia {
  std::string mid;
  model::MediaType type = model::MediaType::Video;
  std::optional<std::int64_t> mindex;
  std::optional<std::string> label;
  std::optional<std::string> codec;
  std::optional<std::int64_t> pt;
  std::optional<std::string> fmtp;
  // Ports are only reported to whoever gives the right secret.
  std::optional<std::int64_t> port;
  std::optional<std::int64_t> rtcpPort;
  std::optional<std::int64_t> port2;
  std::optional<std::int64_t> port3;
  // Milliseconds since the last packet, or since creation if none ever came: judge freshness by
  // a threshold, never by presence.
  std::optional<std::int64_t> ageMs;
};

// From `info` (everything the secret allows) or from `list` (a summary).
struct MountPointInfo {
  std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> metadata;
  std::string type;
  bool enabled = false;
  std::optional<std::int64_t> viewers;
  std::vector<MountPointMedia> media;
  json::Value raw;
};

enum class Removal { Destroyed, AlreadyGone };

struct MountPointEdit {
  std::optional<std::string> secret;  // the current secret
  std::optional<std::string> newDescription;
  std::optional<std::string> newMetadata;
  std::optional<std::string> newSecret;
  std::optional<std::string> newPin;
  std::optional<bool> newIsPrivate;
  bool permanent = false;
};

// What the orchestrator needs from Janus Streaming; StreamingClient is the real one.
class StreamingBackend {
 public:
  virtual ~StreamingBackend() = default;
  virtual void create(const model::MountPoint& mountpoint, Callback<MountPointCreated> done) = 0;
  // A mountpoint that no longer exists (455) is AlreadyGone, not an error.
  virtual void destroy(std::int64_t id, const std::optional<std::string>& secret, bool permanent,
                       Callback<Removal> done) = 0;
  virtual void info(std::int64_t id, const std::optional<std::string>& secret,
                    Callback<MountPointInfo> done) = 0;
  // Every mountpoint that is not private.
  virtual void list(Callback<std::vector<MountPointInfo>> done) = 0;
  virtual void edit(std::int64_t id, const MountPointEdit& edit, Callback<void> done) = 0;
  virtual void enable(std::int64_t id, const std::optional<std::string>& secret,
                      Callback<void> done) = 0;
  virtual void disable(std::int64_t id, const std::optional<std::string>& secret,
                       Callback<void> done) = 0;
};

class StreamingClient final : public StreamingBackend {
 public:
  // Attaches a Streaming handle on `session`.
  static void attach(Session& session, Callback<std::unique_ptr<StreamingClient>> done);
  explicit StreamingClient(std::shared_ptr<Handle> handle) : handle_(std::move(handle)) {}

  void create(const model::MountPoint& mountpoint, Callback<MountPointCreated> done) override;
  void destroy(std::int64_t id, const std::optional<std::string>& secret, bool permanent,
               Callback<Removal> done) override;
  void info(std::int64_t id, const std::optional<std::string>& secret,
            Callback<MountPointInfo> done) override;
  void list(Callback<std::vector<MountPointInfo>> done) override;
  void edit(std::int64_t id, const MountPointEdit& edit, Callback<void> done) override;
  void enable(std::int64_t id, const std::optional<std::string>& secret,
              Callback<void> done) override;
  void disable(std::int64_t id, const std::optional<std::string>& secret,
               Callback<void> done) override;

  Handle& handle() const noexcept { return *handle_; }

 private:
  std::shared_ptr<Handle> handle_;
};

// Parsers of the plugin's replies (plugindata.data), exposed for tests.
Result<MountPointCreated> parseCreated(const json::Value& data);
Result<MountPointInfo> parseInfo(const json::Value& data);
Result<std::vector<MountPointInfo>> parseList(const json::Value& data);

}  // namespace su::janus
