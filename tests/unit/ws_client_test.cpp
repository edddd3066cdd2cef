// The WebSocket client against an in-process libsoup server on loopback.
#include <gtest/gtest.h>

#include "support/main_context_test.hpp"
#include "support/ws_test_server.hpp"
#include "ws/client.hpp"

namespace su::ws {
namespace {

using namespace std::chrono_literals;
using test::WsTestServer;

class WsClientTest : public test::MainContextTest {
 protected:
  std::unique_ptr<Client> makeClient(ClientOptions options) {
    Client::Handlers handlers;
    handlers.onOpen = [this] { ++opened; };
    handlers.onMessage = [this](std::string_view text) { messages.emplace_back(text); };
    handlers.onClosed = [this](const Error& error) {
      errors.push_back(error);
      if (afterClosed) afterClosed();
    };
    auto client = Client::create(context(), std::move(options), std::move(handlers));
    EXPECT_TRUE(client.ok()) << (client ? "" : client.error().message);
    return client ? std::move(client).value() : nullptr;
  }

  int opened = 0;
  std::vector<std::string> messages;
  std::vector<Error> errors;
  std::function<void()> afterClosed;
};

bool isError(const Error& error, WsError code) {
  return error.is(errorDomainOf(code), static_cast<int>(code));
}

TEST_F(WsClientTest, ConnectsWithTheSubprotocolAndExchangesTextFrames) {
  auto server = WsTestServer::start({.protocols = {"janus-protocol"}});
  ASSERT_TRUE(server);
  server->onMessage([&](std::size_t connection, std::string_view text) {
    server->send(connection, "echo: " + std::string(text));
  });
  auto client = makeClient({.url = server->url(), .protocols = {"janus-protocol"}});
  client->open();
  EXPECT_EQ(opened, 0) << "handlers never run inside open()";
  ASSERT_TRUE(runUntil([&] { return opened == 1; }));
  EXPECT_TRUE(client->isOpen());
  ASSERT_TRUE(client->send(R"({"janus":"ping"})").ok());
  ASSERT_TRUE(runUntil([&] { return messages.size() == 1; }));
  EXPECT_EQ(messages[0], R"(echo: {"janus":"ping"})");
  EXPECT_TRUE(errors.empty());
}

TEST_F(WsClientTest, ASubprotocolTheServerRefusesIsAConnectError) {
  auto server = WsTestServer::start({.protocols = {"obswebsocket.json"}});
  ASSERT_TRUE(server);
  auto client = makeClient({.url = server->url(), .protocols = {"janus-protocol"}});
  client->open();
  ASSERT_TRUE(runUntil([&] { return !errors.empty(); }));
  EXPECT_TRUE(isError(errors[0], WsError::ConnectFailed)) << errors[0].message;
  EXPECT_EQ(opened, 0);
}

TEST_F(WsClientTest, RefusedConnectionsFailQuicklyWithTheUrl) {
  std::uint16_t port = 0;
  {
    auto server = WsTestServer::start({});
    port = server->port();
  }
  const std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/";
  auto client = makeClient({.url = url});
  client->open();
  ASSERT_TRUE(runUntil([&] { return !errors.empty(); }));
  EXPECT_TRUE(isError(errors[0], WsError::ConnectFailed));
  EXPECT_NE(errors[0].message.find(url), std::string::npos) << errors[0].message;
  EXPECT_EQ(client->state(), State::Closed);
}

TEST_F(WsClientTest, AServerThatNeverAnswersTimesOut) {
  test::SilentTcpServer silent;
  auto client = makeClient(
      {.url = "ws://127.0.0.1:" + std::to_string(silent.port()) + "/", .connectTimeout = 200ms});
  const auto start = std::chrono::steady_clock::now();
  client->open();
  ASSERT_TRUE(runUntil([&] { return !errors.empty(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_TRUE(isError(errors[0], WsError::Timeout)) << errors[0].message;
  EXPECT_NE(errors[0].message.find("within 200 ms"), std::string::npos) << errors[0].message;
}

TEST_F(WsClientTest, SecureWebSocketsTrustAGivenCaFile) {
  auto server = WsTestServer::start({.tls = true});
  ASSERT_TRUE(server);
  auto client = makeClient({.url = server->url(), .caFile = test::testDataPath("tls/ca.pem")});
  client->open();
  ASSERT_TRUE(runUntil([&] { return opened == 1 || !errors.empty(); }));
  EXPECT_EQ(opened, 1) << (errors.empty() ? "" : errors[0].message);
}

TEST_F(WsClientTest, AnUntrustedCertificateIsATlsError) {
  auto server = WsTestServer::start({.tls = true});
  ASSERT_TRUE(server);
  auto client = makeClient({.url = server->url()});  // the system store lacks the test CA
  client->open();
  ASSERT_TRUE(runUntil([&] { return !errors.empty(); }));
  EXPECT_EQ(opened, 0);
  EXPECT_TRUE(isError(errors[0], WsError::Tls)) << errors[0].message;
}

TEST_F(WsClientTest, AnUnreadableCaFileIsReportedAtCreation) {
  auto client =
      Client::create(context(), {.url = "wss://127.0.0.1:1/", .caFile = "/nonexistent.pem"}, {});
  ASSERT_FALSE(client.ok());
  EXPECT_TRUE(isError(client.error(), WsError::Tls));
  EXPECT_NE(client.error().message.find("/nonexistent.pem"), std::string::npos);
}

TEST_F(WsClientTest, UrlsThatAreNotWebSocketUrlsAreRejected) {
  for (const char* url : {"http://127.0.0.1:8188/", "ws://", "127.0.0.1:8188", "", "ws:///path"}) {
    auto client = Client::create(context(), {.url = url}, {});
    ASSERT_FALSE(client.ok()) << url;
    EXPECT_TRUE(isError(client.error(), WsError::InvalidUrl)) << url;
  }
}

TEST_F(WsClientTest, AMessageOverTheLimitClosesWithAClearError) {
  auto server = WsTestServer::start({});
  auto client = makeClient({.url = server->url(), .maxMessageSize = 1024});
  client->open();
  ASSERT_TRUE(runUntil([&] { return opened == 1; }));
  server->sendToAll(std::string(1000, 'a'));
  ASSERT_TRUE(runUntil([&] { return messages.size() == 1; }));
  server->sendToAll(std::string(2000, 'b'));
  ASSERT_TRUE(runUntil([&] { return !errors.empty(); }));
  EXPECT_TRUE(isError(errors[0], WsError::MessageTooLarge))
      << errors[0].message << " close code " << client->lastCloseCode();
  EXPECT_NE(errors[0].message.find("1024 bytes"), std::string::npos) << errors[0].message;
  EXPECT_EQ(messages.size(), 1u);
}

TEST_F(WsClientTest, ThePeersCloseCodeAndReasonAreReported) {
  auto server = WsTestServer::start({});
  auto client = makeClient({.url = server->url()});
  client->open();
  ASSERT_TRUE(runUntil([&] { return opened == 1; }));
  server->closeAll(4009, "Authentication failed.");
  ASSERT_TRUE(runUntil([&] { return !errors.empty(); }));
  EXPECT_TRUE(isError(errors[0], WsError::Closed));
  EXPECT_EQ(client->lastCloseCode(), 4009);
  EXPECT_NE(errors[0].message.find("code 4009: Authentication failed."), std::string::npos)
      << errors[0].message;
}

TEST_F(WsClientTest, ACutConnectionIsALoss) {
  auto server = WsTestServer::start({});
  auto client = makeClient({.url = server->url()});
  client->open();
  ASSERT_TRUE(runUntil([&] { return opened == 1; }));
  server->cutAll();
  ASSERT_TRUE(runUntil([&] { return !errors.empty(); }));
  EXPECT_TRUE(isError(errors[0], WsError::Closed)) << errors[0].message;
  EXPECT_FALSE(client->isOpen());
  auto sent = client->send("late");
  ASSERT_FALSE(sent.ok());
  EXPECT_TRUE(isError(sent.error(), WsError::NotOpen));
}

TEST_F(WsClientTest, ReconnectsWithBackoffWhenTheServerComesBack) {
  auto server = WsTestServer::start({});
  const std::uint16_t port = server->port();
  auto client = makeClient({.url = server->url(),
                            .reconnect = true,
                            .reconnectBackoff = {.initial = 20ms, .max = 100ms, .jitter = 0.0}});
  client->open();
  ASSERT_TRUE(runUntil([&] { return opened == 1; }));
  server->stop();
  // Lost, then refused attempts at growing intervals while the server is down.
  ASSERT_TRUE(runUntil([&] { return client->failedAttempts() >= 3; }));
  EXPECT_EQ(client->state(), State::WaitingToReconnect);
  server = WsTestServer::start({.port = port});
  ASSERT_TRUE(server);
  ASSERT_TRUE(runUntil([&] { return opened == 2; }));
  EXPECT_EQ(client->failedAttempts(), 0u);
  EXPECT_GE(errors.size(), 4u);
}

TEST_F(WsClientTest, CloseStopsReconnecting) {
  auto server = WsTestServer::start({});
  auto client = makeClient({.url = server->url(),
                            .reconnect = true,
                            .reconnectBackoff = {.initial = 10ms, .jitter = 0.0}});
  client->open();
  ASSERT_TRUE(runUntil([&] { return opened == 1; }));
  client->close();
  EXPECT_EQ(client->state(), State::Closed);
  ASSERT_TRUE(runUntil([&] { return server->open() == 0; }))
      << "the close frame reaches the server";
  runFor(100ms);
  EXPECT_EQ(opened, 1);
  EXPECT_TRUE(errors.empty()) << "close() reports nothing";
  client->open();  // and can be opened again
  ASSERT_TRUE(runUntil([&] { return opened == 2; }));
}

TEST_F(WsClientTest, AHandlerMayDestroyTheClient) {
  auto server = WsTestServer::start({});
  std::unique_ptr<Client> client =
      makeClient({.url = server->url(), .reconnect = true, .reconnectBackoff = {.initial = 10ms}});
  afterClosed = [&] { client.reset(); };
  client->open();
  ASSERT_TRUE(runUntil([&] { return opened == 1; }));
  server->cutAll();
  ASSERT_TRUE(runUntil([&] { return client == nullptr; }));
  runFor(50ms);
  EXPECT_EQ(errors.size(), 1u);
}

TEST_F(WsClientTest, DestroyingAClientWhileConnectingIsQuiet) {
  test::SilentTcpServer silent;
  {
    auto client = makeClient({.url = "ws://127.0.0.1:" + std::to_string(silent.port()) + "/"});
    client->open();
    runFor(20ms);
  }
  runFor(50ms);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(opened, 0);
}

}  // namespace
}  // namespace su::ws
