// The Janus session against a scripted fake server: what real Janus will not do on demand
// (never answer, answer garbage, answer another transaction, drop the connection mid-request).
#include <gtest/gtest.h>

#include "janus/session.hpp"
#include "json/parse.hpp"
#include "support/main_context_test.hpp"
#include "support/ws_test_server.hpp"

namespace su::janus {
namespace {

using namespace std::chrono_literals;

// Answers create and attach like Janus; what happens to plugin messages is up to each test.
class FakeJanus {
 public:
  // On the thread-default context: call it once the test's context is pushed.
  void start() {
    server_ = test::WsTestServer::start({.protocols = {"janus-protocol"}});
    server_->onMessage([this](std::size_t connection, std::string_view text) {
      auto parsed = json::parse(text);
      ASSERT_TRUE(parsed.ok());
      JsonObject* request = json_node_get_object(parsed->get());
      const std::string type = json_object_get_string_member(request, "janus");
      const std::string transaction = json_object_get_string_member(request, "transaction");
      requests.push_back(type);
      if (type == "create") {
        ++sessions;
        reply(connection, R"({"janus":"success","transaction":")" + transaction +
                              R"(","data":{"id":)" + std::to_string(1000 + sessions) + "}}");
      } else if (type == "attach") {
        ++handles;
        reply(connection, R"({"janus":"success","transaction":")" + transaction +
                              R"(","data":{"id":)" + std::to_string(2000 + handles) + "}}");
      } else if (type == "keepalive") {
        if (answerKeepalives) {
          reply(connection, R"({"janus":"ack","transaction":")" + transaction + "\"}");
        }
      } else if (onRequest) {
        onRequest(connection, type, transaction);
      }
    });
  }

  void reply(std::size_t connection, const std::string& text) { server_->send(connection, text); }
  std::string url() const { return server_->url(); }
  test::WsTestServer& server() { return *server_; }

  std::function<void(std::size_t, const std::string&, const std::string&)> onRequest;
  std::vector<std::string> requests;
  int sessions = 0;
  int handles = 0;
  bool answerKeepalives = true;

 private:
  std::unique_ptr<test::WsTestServer> server_;
};

class RecordingListener : public SessionListener {
 public:
  void onSessionLost(const Error& reason) override { lost.push_back(reason); }
  void onSessionRestored() override { ++restored; }
  std::vector<Error> lost;
  int restored = 0;
};

class JanusProtocolTest : public test::MainContextTest {
 protected:
  void SetUp() override {
    MainContextTest::SetUp();
    fake.start();
  }

  void connect(SessionOptions options = {}) {
    options.url = fake.url();
    if (options.requestTimeout == SessionOptions{}.requestTimeout) options.requestTimeout = 300ms;
    auto created = Session::create(context(), options);
    ASSERT_TRUE(created.ok());
    session = std::move(created).value();
    session->addListener(&listener);
    std::optional<Result<void>> connected;
    session->connect([&](Result<void> result) { connected = result; });
    ASSERT_TRUE(runUntil([&] { return connected.has_value(); }));
    ASSERT_TRUE(connected->ok()) << connected->error().message;
    std::optional<Result<std::shared_ptr<Handle>>> attached;
    session->attach(kStreamingPlugin, [&](auto result) { attached = result; });
    ASSERT_TRUE(runUntil([&] { return attached.has_value(); }));
    ASSERT_TRUE(attached->ok());
    handle = **attached;
  }

  Result<PluginReply> ask(const std::string& request = "info") {
    std::optional<Result<PluginReply>> reply;
    handle->message(*json::parse(R"({"request":")" + request + "\"}"),
                    [&](Result<PluginReply> result) { reply = result; });
    EXPECT_TRUE(runUntil([&] { return reply.has_value(); }));
    return reply ? *reply : Result<PluginReply>(Error{});
  }

  FakeJanus fake;
  RecordingListener listener;
  std::unique_ptr<Session> session;
  std::shared_ptr<Handle> handle;
};

bool isJanusError(const Error& error, JanusError code) {
  return error.is(errorDomainOf(code), static_cast<int>(code));
}

TEST_F(JanusProtocolTest, SynchronousPluginRepliesCarryPlugindata) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string& t) {
    fake.reply(
        c,
        R"({"janus":"success","transaction":")" + t +
            R"(","plugindata":{"plugin":"janus.plugin.streaming","data":{"streaming":"info","info":{"id":1}}}})");
  };
  connect();
  auto reply = ask();
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->data.toString(), R"({"streaming":"info","info":{"id":1}})");
  EXPECT_FALSE(reply->jsep.present());
  EXPECT_EQ(session->id(), 1001u);
  EXPECT_EQ(handle->id(), 2001u);
}

TEST_F(JanusProtocolTest, AsynchronousRepliesAreAckThenEventWithTheSameTransaction) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string& t) {
    fake.reply(c, R"({"janus":"ack","transaction":")" + t + "\"}");
    fake.reply(
        c,
        R"({"janus":"event","sender":2001,"transaction":")" + t +
            R"(","plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"joined"}},"jsep":{"type":"answer","sdp":"v=0"}})");
  };
  connect();
  auto reply = ask("join");
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->data.toString(), R"({"videoroom":"joined"})");
  EXPECT_EQ(reply->jsep.toString(), R"({"type":"answer","sdp":"v=0"})");
}

TEST_F(JanusProtocolTest, PluginErrorsInsideSuccessAreTypedErrors) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string& t) {
    fake.reply(
        c,
        R"({"janus":"success","transaction":")" + t +
            R"(","plugindata":{"plugin":"janus.plugin.streaming","data":{"streaming":"event","error_code":455,"error":"No such mountpoint/stream 9"}}})");
  };
  connect();
  auto reply = ask("destroy");
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(isPluginError(reply.error(), kStreamingNoSuchMountpoint));
  EXPECT_EQ(reply.error().message,
            "Janus streaming destroy failed: No such mountpoint/stream 9 (error 455)");
}

TEST_F(JanusProtocolTest, CoreErrorsAreTypedWithJanusCodes) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string& t) {
    fake.reply(c, R"({"janus":"error","transaction":")" + t +
                      R"(","error":{"code":459,"reason":"No such handle 2001 in session 1001"}})");
  };
  connect();
  auto reply = ask();
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(reply.error().is(janusCoreErrorDomain(), kCoreHandleNotFound));
  EXPECT_EQ(reply.error().message,
            "Janus refused streaming info: No such handle 2001 in session 1001 (error 459)");
}

TEST_F(JanusProtocolTest, AReplyThatNeverComesTimesOut) {
  connect();
  const auto start = std::chrono::steady_clock::now();
  auto reply = ask();
  ASSERT_FALSE(reply.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_TRUE(isJanusError(reply.error(), JanusError::Timeout));
  EXPECT_EQ(reply.error().message, "Janus did not answer streaming info within 300 ms");
}

TEST_F(JanusProtocolTest, MalformedMessagesAreIgnoredAndExplainTheTimeout) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string&) {
    fake.reply(c, "{\"janus\": \"success\", oops");
  };
  connect();
  auto reply = ask();
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(isJanusError(reply.error(), JanusError::Timeout));
  EXPECT_EQ(reply.error().message,
            "Janus did not answer streaming info within 300 ms (it sent a malformed message: "
            "line 1, column 22: unexpected 'o', expected a string key)");
  EXPECT_TRUE(session->ready()) << "garbage alone does not end the session";
}

TEST_F(JanusProtocolTest, RepliesForUnknownTransactionsAreIgnored) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string& t) {
    fake.reply(c, R"({"janus":"success","transaction":"not-ours","plugindata":{"data":{"x":1}}})");
    fake.reply(c, R"({"janus":"ack","transaction":"not-ours-either"})");
    fake.reply(c, R"({"janus":"success","transaction":")" + t +
                      R"(","plugindata":{"plugin":"p","data":{"streaming":"ok"}}})");
  };
  connect();
  auto reply = ask();
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->data.toString(), R"({"streaming":"ok"})");
}

TEST_F(JanusProtocolTest, RepliesWithoutPlugindataAreProtocolErrors) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string& t) {
    fake.reply(c, R"({"janus":"success","transaction":")" + t + "\"}");
  };
  connect();
  auto reply = ask();
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(isJanusError(reply.error(), JanusError::Protocol));
  EXPECT_EQ(reply.error().message, "malformed Janus reply to streaming info: no plugindata.data");
}

TEST_F(JanusProtocolTest, AConnectionCutMidRequestFailsItAndReportsTheLoss) {
  fake.onRequest = [&](std::size_t, const std::string&, const std::string&) {
    fake.server().cutAll();
  };
  connect({.reconnect = false});
  auto reply = ask();
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(isJanusError(reply.error(), JanusError::ConnectionLost)) << reply.error().message;
  EXPECT_EQ(reply.error().message.rfind("connection to Janus lost: ", 0), 0u);
  ASSERT_EQ(listener.lost.size(), 1u);
  EXPECT_FALSE(session->ready());
  auto late = ask();
  EXPECT_TRUE(isJanusError(late.error(), JanusError::NotConnected));
}

TEST_F(JanusProtocolTest, AnOversizedMessageEndsTheConnectionClearly) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string&) {
    fake.reply(c, R"({"janus":"event","pad":")" + std::string(4096, 'x') + "\"}");
  };
  connect({.reconnect = false, .maxMessageSize = 1024});
  auto reply = ask();
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(isJanusError(reply.error(), JanusError::ConnectionLost));
  EXPECT_NE(reply.error().message.find("a message exceeded 1024 bytes"), std::string::npos)
      << reply.error().message;
}

TEST_F(JanusProtocolTest, UnsolicitedEventsReachTheirHandle) {
  connect();
  std::vector<HandleEvent> events;
  handle->onEvent([&](const HandleEvent& event) { events.push_back(event); });
  fake.server().sendToAll(R"({"janus":"webrtcup","session_id":1001,"sender":2001})");
  fake.server().sendToAll(
      R"({"janus":"hangup","session_id":1001,"sender":2001,"reason":"DTLS alert"})");
  fake.server().sendToAll(
      R"({"janus":"event","sender":2001,"plugindata":{"plugin":"p","data":{"streaming":"event","result":{"status":"stopped"}}}})");
  fake.server().sendToAll(R"({"janus":"media","sender":9999,"type":"video"})");  // not ours
  ASSERT_TRUE(runUntil([&] { return events.size() == 3; }));
  EXPECT_EQ(events[0].type, "webrtcup");
  EXPECT_EQ(events[1].type, "hangup");
  EXPECT_EQ(events[2].type, "event");
  EXPECT_EQ(events[2].data.toString(), R"({"streaming":"event","result":{"status":"stopped"}})");
  runFor(30ms);
  EXPECT_EQ(events.size(), 3u);
}

TEST_F(JanusProtocolTest, ASessionTimeoutFromJanusIsALossThenANewSessionAndHandle) {
  connect();
  fake.server().sendToAll(R"({"janus":"timeout","session_id":1001})");
  ASSERT_TRUE(runUntil([&] { return listener.restored == 1; }));
  ASSERT_EQ(listener.lost.size(), 1u);
  EXPECT_TRUE(isJanusError(listener.lost[0], JanusError::SessionLost));
  EXPECT_EQ(session->id(), 1002u);
  EXPECT_EQ(handle->id(), 2002u) << "the handle is attached again";
}

TEST_F(JanusProtocolTest, SessionNotFoundFromJanusAlsoRestoresTheSession) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string& t) {
    fake.reply(c, R"({"janus":"error","transaction":")" + t +
                      R"(","error":{"code":458,"reason":"No such session 1001"}})");
  };
  connect();
  auto reply = ask();
  EXPECT_TRUE(reply.error().is(janusCoreErrorDomain(), kCoreSessionNotFound));
  ASSERT_TRUE(runUntil([&] { return listener.restored == 1; }));
  EXPECT_EQ(fake.sessions, 2);
}

TEST_F(JanusProtocolTest, AKeepaliveWithoutAnswerDropsTheConnectionAndReconnects) {
  fake.answerKeepalives = false;
  connect({.requestTimeout = 100ms,
           .keepaliveInterval = 50ms,
           .reconnectBackoff = {.initial = 20ms, .jitter = 0.0}});
  ASSERT_TRUE(runUntil([&] { return listener.lost.size() == 1; }));
  EXPECT_NE(listener.lost[0].message.find("Janus did not answer keepalive within 100 ms"),
            std::string::npos)
      << listener.lost[0].message;
  ASSERT_TRUE(runUntil([&] { return listener.restored >= 1; }));
  EXPECT_GE(fake.sessions, 2);
}

TEST_F(JanusProtocolTest, KeepalivesAreSentWhileIdle) {
  connect({.keepaliveInterval = 20ms});
  runFor(150ms);
  EXPECT_GE(std::count(fake.requests.begin(), fake.requests.end(), "keepalive"), 4);
  EXPECT_TRUE(listener.lost.empty());
}

TEST_F(JanusProtocolTest, DestroyingTheSessionCancelsWhatIsPending) {
  connect();
  std::optional<Result<PluginReply>> reply;
  handle->message(*json::parse(R"({"request":"info"})"), [&](auto r) { reply = r; });
  session.reset();
  ASSERT_TRUE(reply.has_value()) << "completed from the destructor";
  EXPECT_TRUE(reply->error().isCancelled());
  std::optional<Result<PluginReply>> late;
  handle->message(*json::parse(R"({"request":"info"})"), [&](auto r) { late = r; });
  EXPECT_FALSE(late.has_value()) << "never inside the call";
  ASSERT_TRUE(runUntil([&] { return late.has_value(); }));
  EXPECT_TRUE(isJanusError(late->error(), JanusError::NotConnected));
}

TEST_F(JanusProtocolTest, ASecondConnectWhileConnectingIsRefusedAndTheFirstStillCompletes) {
  auto created = Session::create(context(), {.url = fake.url()});
  ASSERT_TRUE(created.ok());
  std::optional<Result<void>> first;
  std::optional<Result<void>> second;
  (*created)->connect([&](Result<void> result) { first = result; });
  (*created)->connect([&](Result<void> result) { second = result; });
  ASSERT_TRUE(runUntil([&] { return first.has_value() && second.has_value(); }));
  EXPECT_TRUE(first->ok());
  ASSERT_FALSE(second->ok());
  EXPECT_EQ(second->error().message, "connect() is already in progress");
}

TEST_F(JanusProtocolTest, ConnectingToNothingFailsClearly) {
  auto created = Session::create(
      context(), {.url = "ws://127.0.0.1:1/", .connectTimeout = 200ms, .reconnect = false});
  ASSERT_TRUE(created.ok());
  std::optional<Result<void>> connected;
  (*created)->connect([&](Result<void> result) { connected = result; });
  ASSERT_TRUE(runUntil([&] { return connected.has_value(); }));
  ASSERT_FALSE(connected->ok());
  EXPECT_TRUE(isJanusError(connected->error(), JanusError::NotConnected));
  EXPECT_NE(connected->error().message.find(
                "cannot connect to Janus: cannot connect to ws://127.0.0.1:1/"),
            std::string::npos)
      << connected->error().message;
}

}  // namespace
}  // namespace su::janus

namespace su::janus {
namespace {

// Collects everything su-janus logs while it lives, at every level.
class LogCapture {
 public:
  LogCapture() {
    gst_debug_set_threshold_for_name("su-janus", GST_LEVEL_MEMDUMP);
    // Parenthesized: the macro of the same name trips -Wpedantic in C++.
    (gst_debug_add_log_function)(&LogCapture::collect, this, nullptr);
  }
  ~LogCapture() {
    gst_debug_remove_log_function_by_data(this);
    gst_debug_set_threshold_for_name("su-janus", GST_LEVEL_NONE);
  }
  std::string text() const { return text_; }

 private:
  static void collect(GstDebugCategory* category, GstDebugLevel, const gchar*, const gchar*, gint,
                      GObject*, GstDebugMessage* message, gpointer data) {
    if (g_strcmp0(gst_debug_category_get_name(category), "su-janus") != 0) return;
    static_cast<LogCapture*>(data)->text_ += gst_debug_message_get(message) + std::string("\n");
  }
  std::string text_;
};

TEST_F(JanusProtocolTest, SecretsNeverReachTheLog) {
  fake.onRequest = [&](std::size_t c, const std::string&, const std::string& t) {
    fake.reply(
        c,
        R"({"janus":"success","transaction":")" + t +
            R"(","plugindata":{"plugin":"p","data":{"streaming":"info","info":{"secret":"reply-secret-9","pin":"reply-pin-9"}}}})");
  };
  LogCapture capture;
  connect({.apiSecret = "api-secret-9"});
  std::optional<Result<PluginReply>> reply;
  handle->message(*json::parse(R"({"request":"create","admin_key":"admin-key-9",
      "secret":"mountpoint-secret-9","media":[{"type":"audio","mid":"a","port":0}],
      "url":"rtsp://camera-user:camera-pass-9@cam/s"})"),
                  [&](auto r) { reply = r; });
  ASSERT_TRUE(runUntil([&] { return reply.has_value(); }));
  const std::string log = capture.text();
  EXPECT_NE(log.find("\"janus\":\"message\""), std::string::npos) << "the log has the request";
  EXPECT_NE(log.find("\"streaming\":\"info\""), std::string::npos) << "and the reply";
  for (const char* secret : {"api-secret-9", "admin-key-9", "mountpoint-secret-9", "camera-pass-9",
                             "reply-secret-9", "reply-pin-9"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " leaked into:\n" << log;
  }
}

}  // namespace
}  // namespace su::janus
