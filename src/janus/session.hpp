// A Janus session over the WebSocket API: one connection, one session, its handles.
//
// - Requests are correlated by transaction, each with a timeout. Both reply styles work:
//   "success" (with plugindata for synchronous plugin requests) and "ack" then "event".
// - A keepalive runs well inside Janus's session_timeout; a keepalive without answer counts as
//   a dead connection.
// - When the connection drops, or Janus reports the session gone (timeout, restart), pending
//   requests fail, listeners hear onSessionLost; with reconnect on, the client reconnects with
//   backoff, creates a new session, re-attaches every live handle (new ids) and then tells
//   listeners onSessionRestored, so that the owner can re-provision what Janus forgot.
// - Every callback is called exactly once, on the session's context, never inside the call
//   that started it. When the Session is destroyed, what is still pending completes with
//   G_IO_ERROR_CANCELLED (from the destructor): callers ignore it quietly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.hpp"
#include "core/callbacks.hpp"
#include "core/main_context.hpp"
#include "core/request_table.hpp"
#include "janus/errors.hpp"
#include "json/value.hpp"
#include "json/writer.hpp"
#include "ws/client.hpp"

namespace su::janus {

inline constexpr const char* kStreamingPlugin = "janus.plugin.streaming";
inline constexpr const char* kVideoRoomPlugin = "janus.plugin.videoroom";

struct SessionOptions {
  std::string url = "ws://127.0.0.1:8188";
  std::optional<std::string> caFile;     // wss:// with a private CA
  std::optional<std::string> apiSecret;  // Janus `apisecret`, when the server requires one
  std::optional<std::string> token;      // Janus stored-token authentication
  Milliseconds connectTimeout{5000};
  Milliseconds requestTimeout{10000};
  // Must be shorter than Janus's session_timeout (60 s by default); 0 turns it off.
  Milliseconds keepaliveInterval{25000};
  bool reconnect = true;
  BackoffPolicy reconnectBackoff{.initial = Milliseconds(500), .max = Milliseconds(10000)};
  std::size_t maxMessageSize = 8 << 20;
};

// What a plugin answered: plugindata.data, and the SDP when it negotiates media.
struct PluginReply {
  json::Value data;
  json::Value jsep;
};

// Something Janus says about a handle without being asked.
struct HandleEvent {
  std::string type;  // "event", "webrtcup", "media", "slowlink", "hangup", "detached", "trickle"
  json::Value data;  // plugindata.data, for "event"
  json::Value jsep;
  json::Value message;  // the whole message
};

// One message from Janus, read as the session reads it: a JSON object with a "janus" kind.
struct Incoming {
  std::string kind;  // "success", "ack", "event", "error", "timeout", "webrtcup", ...
  std::optional<std::string> transaction;
  std::optional<std::int64_t> sender;  // the handle it is about
  std::optional<std::int64_t> sessionId;
  GRef<JsonNode> node;  // the whole message
};
// A message as text, or a Protocol error saying why it is not one (not JSON, not an object, no
// "janus"). Everything Janus sends goes through here first.
Result<Incoming> readIncoming(std::string_view text, std::size_t maxBytes);
// An "error" message as an error of the core domain: Janus's code, and its reason naming `what`.
Error coreError(const Incoming& message, std::string_view what);
// The reply to a plugin message: plugindata.data and jsep, or the plugin's error_code as an
// error of the plugin domain, or a Protocol error when there is no plugindata.data.
Result<PluginReply> readPluginReply(const Incoming& message, std::string_view what);

class SessionListener {
 public:
  virtual ~SessionListener() = default;
  // The session is gone; its handles are dead until the session is restored.
  virtual void onSessionLost(const Error& /*reason*/) {}
  // A new session exists and every live handle is attached again. Janus may have restarted:
  // mountpoints, rooms and forwarders may be gone.
  virtual void onSessionRestored() {}
};

class Handle;

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(GMainContext* context, SessionOptions options);
  ~Session();

  // Connects and creates the session. With reconnect on, a failed first attempt is reported here
  // and retried in the background; listeners hear onSessionRestored when it succeeds.
  void connect(Callback<void> done);
  // Destroys the Janus session and closes the connection.
  void destroy(Callback<void> done);
  void attach(const std::string& plugin, Callback<std::shared_ptr<Handle>> done);

  bool ready() const noexcept { return sessionId_ != 0; }
  std::uint64_t id() const noexcept { return sessionId_; }
  const SessionOptions& options() const noexcept { return options_; }
  GMainContext* context() const noexcept { return context_.get(); }

  void addListener(SessionListener* listener);
  void removeListener(SessionListener* listener);

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  friend class Handle;

  enum class Expect {
    Success,      // "success" (create, attach, detach, destroy)
    Ack,          // "ack" (keepalive, trickle)
    PluginReply,  // "success" with plugindata, or "ack" then "event"
  };
  Session(GMainContext* context, SessionOptions options);
  // Sends a Janus request; `done` gets the whole reply message, or the error.
  void request(std::string_view type, json::ObjectWriter fields, std::uint64_t handleId,
               Expect expect, std::string what, std::optional<Milliseconds> timeout,
               Callback<GRef<JsonNode>> done);
  std::string nextTransaction();

  void onSocketOpen();
  void onSocketMessage(std::string_view text);
  void onSocketClosed(const Error& error);
  void createSession();
  void sessionReady(std::uint64_t id);
  // Re-attaches every live handle to a new session, then tells listeners it is restored.
  void reattachHandles();
  void sessionGone(const Error& reason);
  void sendKeepalive();
  void deliverEvent(std::uint64_t handleId, const std::string& type, JsonNode* message);
  void forgetHandle(Handle* handle);

  GRef<GMainContext> context_;
  SessionOptions options_;
  std::unique_ptr<ws::Client> socket_;
  std::uint64_t sessionId_ = 0;
  bool destroying_ = false;
  std::optional<Callback<void>> connectDone_;
  // By transaction; `what` is "create", "streaming info"...
  RequestTable<GRef<JsonNode>, Expect> requests_;
  std::vector<std::weak_ptr<Handle>> handles_;
  ListenerList<SessionListener> listeners_;
  Source keepalive_;
  Deferred deferred_;
  std::string transactionPrefix_;
  std::uint64_t transactionCounter_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class Handle : public std::enable_shared_from_this<Handle> {
 public:
  ~Handle();  // detaches from Janus, without waiting

  std::uint64_t id() const noexcept { return id_; }
  const std::string& plugin() const noexcept { return plugin_; }
  bool attached() const noexcept { return session_ && id_ != 0; }
  // The session it belongs to; null once that session is gone.
  Session* session() const noexcept { return session_; }

  // A plugin request (`body`, and `jsep` when negotiating media). A plugin error inside the
  // reply fails it with su-janus-plugin-error and Janus's error_code.
  void message(GRef<JsonNode> body, Callback<PluginReply> done, GRef<JsonNode> jsep = {},
               std::optional<Milliseconds> timeout = {});
  // An ICE candidate ({"candidate", "sdpMid", "sdpMLineIndex"}), or null when gathering is over.
  void trickle(GRef<JsonNode> candidate, Callback<void> done);
  void detach(Callback<void> done);
  // Unsolicited messages about this handle.
  void onEvent(std::function<void(const HandleEvent&)> handler) {
    eventHandler_ = std::move(handler);
  }

  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

 private:
  friend class Session;
  Handle(Session* session, std::string plugin, std::uint64_t id);
  template <typename T>
  bool failIfDetached(Callback<T>& done);

  Session* session_;  // null once the Session is destroyed
  std::string plugin_;
  std::uint64_t id_;
  std::function<void(const HandleEvent&)> eventHandler_;
  Deferred deferred_;
};

}  // namespace su::janus
