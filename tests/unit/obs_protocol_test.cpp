// The obs-websocket client and bridge against a scripted fake server: what real OBS will not do
// on demand (never answer, send garbage or unknown opcodes, cut the connection mid-request,
// send an oversized message, close with a given code).
#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "obs/bridge.hpp"
#include "obs/client.hpp"
#include "support/main_context_test.hpp"
#include "support/ws_test_server.hpp"

namespace su::obs {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "supersecretpassword";
constexpr const char* kSalt = "PZVbYpvAnZut2SS6JNJytDm9";
constexpr const char* kChallenge = "ztTBnnuqrqaKDzRM3xcVdbYm";
// base64(sha256(base64(sha256(password + salt)) + challenge)), computed with Python's hashlib.
constexpr const char* kExpectedAuthentication = "zZgWipvwSGrw748kHN4gNpBC1IaeiiWX3Hjkrm849Sc=";

// Says Hello (asking for a password), checks Identify, and answers requests as each test says.
class FakeObs {
 public:
  using RequestHandler =
      std::function<void(std::size_t connection, const std::string& type, const std::string& id)>;

  void start() {
    server_ = test::WsTestServer::start({.protocols = {"obswebsocket.json"}});
    server_->onAccept([this](std::size_t connection) {
      send(connection,
           std::string(R"({"op":0,"d":{"obsWebSocketVersion":"5.1.0","rpcVersion":1,)") +
               R"("authentication":{"challenge":")" + kChallenge + R"(","salt":")" + kSalt +
               "\"}}}");
    });
    server_->onMessage([this](std::size_t connection, std::string_view text) {
      auto parsed = json::parse(text);
      ASSERT_TRUE(parsed.ok());
      JsonObject* message = json_node_get_object(parsed->get());
      const gint64 op = json_object_get_int_member(message, "op");
      JsonObject* d = json_object_get_object_member(message, "d");
      if (op == 1) {
        identifies.push_back(json::toString(parsed->get()));
        const char* authentication =
            json_object_get_string_member_with_default(d, "authentication", "");
        if (std::string(authentication) != kExpectedAuthentication) {
          server_->closeAll(4009, "Authentication failed.");
          return;
        }
        send(connection, R"({"op":2,"d":{"negotiatedRpcVersion":1}})");
      } else if (op == 6) {
        const std::string type = json_object_get_string_member(d, "requestType");
        const std::string id = json_object_get_string_member(d, "requestId");
        requests.push_back(type);
        if (onRequest) {
          onRequest(connection, type, id);
        } else {
          succeed(connection, type, id, R"({"echo":")" + type + "\"}");
        }
      } else if (op == 8) {
        const std::string id = json_object_get_string_member(d, "requestId");
        JsonArray* batch = json_object_get_array_member(d, "requests");
        std::string results;
        for (guint i = 0; i < json_array_get_length(batch); ++i) {
          const std::string type =
              json_object_get_string_member(json_array_get_object_element(batch, i), "requestType");
          const bool ok = type != "Fail";
          results += std::string(i ? "," : "") + R"({"requestType":")" + type +
                     R"(","requestStatus":{"result":)" + (ok ? "true" : "false") + R"(,"code":)" +
                     (ok ? "100" : "600") + (ok ? "" : R"(,"comment":"no such thing")") + "}}";
        }
        send(connection,
             R"({"op":9,"d":{"requestId":")" + id + R"(","results":[)" + results + "]}}");
      }
    });
  }

  void send(std::size_t connection, const std::string& text) { server_->send(connection, text); }
  void succeed(std::size_t connection, const std::string& type, const std::string& id,
               const std::string& data = "") {
    send(connection, R"({"op":7,"d":{"requestType":")" + type + R"(","requestId":")" + id +
                         R"(","requestStatus":{"result":true,"code":100})" +
                         (data.empty() ? "" : R"(,"responseData":)" + data) + "}}");
  }
  void fail(std::size_t connection, const std::string& type, const std::string& id, int code,
            const std::string& comment) {
    send(connection, R"({"op":7,"d":{"requestType":")" + type + R"(","requestId":")" + id +
                         R"(","requestStatus":{"result":false,"code":)" + std::to_string(code) +
                         R"(,"comment":")" + comment + "\"}}}");
  }
  void event(const std::string& type, const std::string& data) {
    server_->sendToAll(R"({"op":5,"d":{"eventType":")" + type + R"(","eventIntent":64,)" +
                       R"("eventData":)" + data + "}}");
  }
  std::string url() const { return server_->url(); }
  test::WsTestServer& server() { return *server_; }

  RequestHandler onRequest;
  std::vector<std::string> identifies;
  std::vector<std::string> requests;

 private:
  std::unique_ptr<test::WsTestServer> server_;
};

class RecordingListener : public Listener {
 public:
  void onEvent(const Event& event) override { events.push_back(event); }
  void onConnectionLost(const Error& reason) override { lost.push_back(reason); }
  void onReconnected() override { ++reconnected; }
  std::vector<Event> events;
  std::vector<Error> lost;
  int reconnected = 0;
};

class ObsProtocolTest : public test::MainContextTest {
 protected:
  void SetUp() override {
    MainContextTest::SetUp();
    obs.start();
  }
  void TearDown() override {
    bridge.reset();
    client.reset();
    MainContextTest::TearDown();
  }

  Result<void> connect(ClientOptions options = {}) {
    options.url = obs.url();
    if (!options.password) options.password = kPassword;
    auto created = Client::create(context(), options);
    EXPECT_TRUE(created.ok());
    client = std::move(created).value();
    client->addListener(&listener);
    return wait<void>([&](auto done) { client->connect(done); });
  }

  template <typename T, typename Start>
  Result<T> wait(Start start, std::chrono::milliseconds timeout = 10s) {
    std::optional<Result<T>> result;
    start([&](Result<T> value) { result = std::move(value); });
    if (!runUntil([&] { return result.has_value(); }, timeout)) {
      return Error{g_quark_from_static_string("su-test"), 1, "no answer in time", {}};
    }
    return std::move(*result);
  }

  Result<json::Value> request(const std::string& type) {
    return wait<json::Value>([&](auto done) { client->request(type, {}, done); });
  }

  FakeObs obs;
  RecordingListener listener;
  std::unique_ptr<Client> client;
  std::unique_ptr<Bridge> bridge;
};

bool isObsError(const Error& error, ObsError code) {
  return error.is(errorDomainOf(code), static_cast<int>(code));
}

TEST(ObsAuthentication, IsTheDocumentedSha256Construction) {
  EXPECT_EQ(authenticationString(kPassword, kSalt, kChallenge), kExpectedAuthentication);
}

TEST(ObsCloseCodes, HaveTheirProtocolNames) {
  EXPECT_EQ(closeCodeName(4009), "AuthenticationFailed");
  EXPECT_EQ(closeCodeName(4011), "SessionInvalidated");
  EXPECT_EQ(closeCodeName(4999), "close code 4999");
}

TEST_F(ObsProtocolTest, IdentifiesWithThePasswordAndMatchesAnswersToRequests) {
  // The first request is answered after the second: each gets its own.
  std::vector<std::pair<std::size_t, std::string>> held;
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    if (type == "First") {
      held.emplace_back(connection, id);
      return;
    }
    obs.succeed(connection, type, id, R"({"which":"second"})");
    for (const auto& [c, heldId] : held)
      obs.succeed(c, "First", heldId, R"({"which":"first"})");
  };
  ASSERT_TRUE(connect().ok());
  EXPECT_TRUE(client->identified());
  EXPECT_EQ(client->obsWebSocketVersion(), "5.1.0");
  ASSERT_EQ(obs.identifies.size(), 1u);
  EXPECT_NE(obs.identifies[0].find("\"eventSubscriptions\":65"), std::string::npos)
      << obs.identifies[0];

  std::optional<Result<json::Value>> first, second;
  client->request("First", {}, [&](Result<json::Value> r) { first = std::move(r); });
  client->request("Second", {}, [&](Result<json::Value> r) { second = std::move(r); });
  ASSERT_TRUE(runUntil([&] { return first && second; }));
  ASSERT_TRUE(first->ok() && second->ok());
  EXPECT_EQ((*first)->toString(), R"({"which":"first"})");
  EXPECT_EQ((*second)->toString(), R"({"which":"second"})");
}

TEST_F(ObsProtocolTest, AFailedRequestCarriesItsStatusCode) {
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    obs.fail(connection, type, id, 501, "Stream output is not running");
  };
  ASSERT_TRUE(connect().ok());
  auto stopped = request("StopStream");
  ASSERT_FALSE(stopped.ok());
  EXPECT_TRUE(stopped.error().is(obsRequestErrorDomain(), kStatusOutputNotRunning));
  EXPECT_EQ(stopped.error().message,
            "OBS refused StopStream: Stream output is not running (status 501)");
}

TEST_F(ObsProtocolTest, AWrongPasswordIsFatalNamedAndNeverRetried) {
  auto connected = connect({.password = "not-the-password-5",
                            .reconnect = true,
                            .reconnectBackoff = {.initial = 20ms, .max = 50ms}});
  ASSERT_FALSE(connected.ok());
  EXPECT_TRUE(isObsError(connected.error(), ObsError::AuthenticationFailed))
      << connected.error().message;
  EXPECT_NE(connected.error().message.find("AuthenticationFailed"), std::string::npos);
  EXPECT_EQ(connected.error().message.find("not-the-password-5"), std::string::npos);
  runFor(500ms);
  EXPECT_EQ(obs.server().accepted(), 1u) << "no retry storm";
  EXPECT_FALSE(client->identified());
}

TEST_F(ObsProtocolTest, NoPasswordWhereOneIsRequiredIsFatal) {
  auto created = Client::create(context(), {.url = obs.url()});
  ASSERT_TRUE(created.ok());
  client = std::move(created).value();
  auto connected = wait<void>([&](auto done) { client->connect(done); });
  ASSERT_FALSE(connected.ok());
  EXPECT_TRUE(isObsError(connected.error(), ObsError::PasswordRequired));
  runFor(300ms);
  EXPECT_EQ(obs.server().accepted(), 1u);
}

TEST_F(ObsProtocolTest, ARequestWithoutAnAnswerTimesOutAndMalformedMessagesAreNamed) {
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    if (type == "Hang") {
      obs.send(connection, "this is not JSON");
      obs.send(connection, R"({"op":42,"d":{}})");
      return;
    }
    obs.succeed(connection, type, id);
  };
  ASSERT_TRUE(connect({.requestTimeout = 300ms}).ok());
  auto hung = request("Hang");
  ASSERT_FALSE(hung.ok());
  EXPECT_TRUE(isObsError(hung.error(), ObsError::Timeout));
  EXPECT_EQ(hung.error().message,
            "OBS did not answer Hang within 300 ms (it sent a malformed message: unknown "
            "opcode 42)");
  EXPECT_TRUE(request("GetVersion").ok()) << "garbage does not break the connection";
}

TEST_F(ObsProtocolTest, AConnectionCutMidRequestFailsItAndTheClientReconnects) {
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    if (type == "Hang") return;
    obs.succeed(connection, type, id);
  };
  ASSERT_TRUE(
      connect({.reconnect = true, .reconnectBackoff = {.initial = 50ms, .max = 100ms}}).ok());
  std::optional<Result<json::Value>> hung;
  client->request("Hang", {}, [&](Result<json::Value> r) { hung = std::move(r); });
  runFor(100ms);
  obs.server().cutAll();
  ASSERT_TRUE(runUntil([&] { return hung.has_value(); }));
  ASSERT_FALSE(hung->ok());
  EXPECT_TRUE(isObsError(hung->error(), ObsError::ConnectionLost)) << hung->error().message;
  ASSERT_EQ(listener.lost.size(), 1u);
  ASSERT_TRUE(runUntil([&] { return listener.reconnected == 1; }, 5s));
  EXPECT_EQ(obs.identifies.size(), 2u) << "identified again";
  EXPECT_TRUE(request("GetVersion").ok());
}

TEST_F(ObsProtocolTest, OtherCloseCodesAreReportedByName) {
  ASSERT_TRUE(connect({.reconnect = false}).ok());
  obs.server().closeAll(4011, "Session invalidated");
  ASSERT_TRUE(runUntil([&] { return !listener.lost.empty(); }));
  EXPECT_TRUE(isObsError(listener.lost[0], ObsError::Closed));
  EXPECT_NE(listener.lost[0].message.find("SessionInvalidated"), std::string::npos)
      << listener.lost[0].message;
}

TEST_F(ObsProtocolTest, AnOversizedMessageEndsTheConnectionWithAClearError) {
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    obs.succeed(connection, type, id, R"({"blob":")" + std::string(8192, 'x') + "\"}");
  };
  ASSERT_TRUE(connect({.reconnect = false, .maxMessageSize = 4096}).ok());
  auto big = request("GetBig");
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(isObsError(big.error(), ObsError::ConnectionLost));
  EXPECT_NE(big.error().message.find("exceeded 4096 bytes"), std::string::npos)
      << big.error().message;
}

TEST_F(ObsProtocolTest, BatchesGiveOneResultPerRequestAndEventsReachListeners) {
  ASSERT_TRUE(connect().ok());
  auto results = wait<std::vector<Result<json::Value>>>([&](auto done) {
    client->batch({{"GetVersion", {}}, {"Fail", {}}, {"GetStats", {}}}, false, done);
  });
  ASSERT_TRUE(results.ok()) << results.error().message;
  ASSERT_EQ(results->size(), 3u);
  EXPECT_TRUE((*results)[0].ok());
  ASSERT_FALSE((*results)[1].ok());
  EXPECT_TRUE((*results)[1].error().is(obsRequestErrorDomain(), 600));
  EXPECT_TRUE((*results)[2].ok());

  obs.event("StreamStateChanged",
            R"({"outputActive":true,"outputState":"OBS_WEBSOCKET_OUTPUT_STARTED"})");
  ASSERT_TRUE(runUntil([&] { return !listener.events.empty(); }));
  EXPECT_EQ(listener.events[0].type, "StreamStateChanged");
  EXPECT_NE(listener.events[0].data.toString().find("OUTPUT_STARTED"), std::string::npos);
}

TEST_F(ObsProtocolTest, TheBridgeWaitsForStartedAndTreats500And501AsDone) {
  bool streaming = false;
  int statusLag = 0;  // like OBS, status still says active for a moment after "stopped"
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    if (type == "GetStreamStatus") {
      const bool active = streaming || statusLag-- > 0;
      obs.succeed(connection, type, id,
                  std::string(R"({"outputActive":)") + (active ? "true" : "false") + "}");
    } else if (type == "StartStream" && streaming) {
      obs.fail(connection, type, id, 500, "Streaming is already active");
    } else if (type == "StopStream" && !streaming) {
      obs.fail(connection, type, id, 501, "Streaming is not active");
    } else {
      obs.succeed(connection, type, id);
      if (type == "StartStream" || type == "StopStream") {
        streaming = type == "StartStream";
        statusLag = streaming ? 0 : 2;
        obs.event("StreamStateChanged", std::string(R"({"outputActive":)") +
                                            (streaming ? "true" : "false") +
                                            R"(,"outputState":"OBS_WEBSOCKET_OUTPUT_)" +
                                            (streaming ? "STARTED" : "STOPPED") + "\"}");
      }
    }
  };
  ASSERT_TRUE(connect().ok());
  bridge = std::make_unique<Bridge>(*client, 2s);
  for (int i = 0; i < 2; ++i) {
    auto started = wait<void>([&](auto done) { bridge->start(done); });
    EXPECT_TRUE(started.ok()) << started.error().message;
  }
  for (int i = 0; i < 2; ++i) {
    auto stopped = wait<void>([&](auto done) { bridge->stop(done); });
    EXPECT_TRUE(stopped.ok()) << stopped.error().message;
  }
  // One confirmation each, and two more while the status lagged after the first stop.
  EXPECT_EQ(std::count(obs.requests.begin(), obs.requests.end(), "GetStreamStatus"), 6);
  std::erase(obs.requests, "GetStreamStatus");
  EXPECT_EQ(obs.requests,
            (std::vector<std::string>{"StartStream", "StartStream", "StopStream", "StopStream"}));
}

TEST_F(ObsProtocolTest, TheBridgeConnectsAnUnconnectedClientBeforeStarting) {
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    if (type == "GetStreamStatus") {
      obs.succeed(connection, type, id, R"({"outputActive":true})");
      return;
    }
    obs.succeed(connection, type, id);
    obs.event("StreamStateChanged",
              R"({"outputActive":true,"outputState":"OBS_WEBSOCKET_OUTPUT_STARTED"})");
  };
  auto created = Client::create(context(), {.url = obs.url(), .password = kPassword});
  ASSERT_TRUE(created.ok());
  client = std::move(created).value();
  bridge = std::make_unique<Bridge>(*client, 2s);
  auto started = wait<void>([&](auto done) { bridge->connectAndStart(done); });
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_TRUE(client->identified());
  EXPECT_EQ(obs.requests, (std::vector<std::string>{"StartStream", "GetStreamStatus"}));
}

TEST_F(ObsProtocolTest, TheBridgeReportsAStreamThatStopsWhileStartingOrNeverStarts) {
  int starts = 0;
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    obs.succeed(connection, type, id);
    // The first start fails to connect; the second is never heard of again.
    if (type == "StartStream" && ++starts == 1) {
      obs.event("StreamStateChanged",
                R"({"outputActive":false,"outputState":"OBS_WEBSOCKET_OUTPUT_STOPPED"})");
    }
  };
  ASSERT_TRUE(connect().ok());
  bridge = std::make_unique<Bridge>(*client, 500ms);
  auto failed = wait<void>([&](auto done) { bridge->start(done); });
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.error().is(errorDomainOf(BridgeError::StartFailed),
                                static_cast<int>(BridgeError::StartFailed)));
  auto silent = wait<void>([&](auto done) { bridge->start(done); });
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.error().message, "OBS's stream was not started within 500 ms");
}

TEST_F(ObsProtocolTest, TheBridgeVerifiesStreamSettingsWithoutShowingTheKey) {
  obs.onRequest = [&](std::size_t connection, const std::string& type, const std::string& id) {
    if (type == "GetStreamServiceSettings") {
      // OBS "forgot" the key it was given.
      obs.succeed(connection, type, id,
                  R"({"streamServiceType":"rtmp_custom","streamServiceSettings":)"
                  R"({"server":"rtmp://ingest/live","key":"old-key"}})");
      return;
    }
    obs.succeed(connection, type, id);
  };
  ASSERT_TRUE(connect().ok());
  bridge = std::make_unique<Bridge>(*client);
  auto configured = wait<void>(
      [&](auto done) { bridge->configureCustomRtmp("rtmp://ingest/live", "stream-key-5", done); });
  ASSERT_FALSE(configured.ok());
  EXPECT_TRUE(configured.error().is(errorDomainOf(BridgeError::SettingsNotApplied),
                                    static_cast<int>(BridgeError::SettingsNotApplied)));
  EXPECT_EQ(configured.error().message,
            "OBS did not apply the stream settings: it reports rtmp_custom to rtmp://ingest/live, "
            "with another stream key");
}

}  // namespace
}  // namespace su::obs
