#include "support/redis_server.hpp"

#include "support/janus_server.hpp"
#include "support/process.hpp"
#include "support/test_data.hpp"

namespace su::test {

std::unique_ptr<RedisServer> RedisServer::start(Options options) {
  std::unique_ptr<RedisServer> server(new RedisServer);
  server->options_ = std::move(options);
  server->port_ = freeTcpPort();
  if (!server->launch()) return nullptr;
  return server;
}

bool RedisServer::launch() {
  std::vector<std::string> argv{"redis-server", "--bind", "127.0.0.1"};
  // On a test network's address too: reached from other hosts, without a password.
  if (options_.host != "127.0.0.1")
    argv.insert(argv.end(), {options_.host, "--protected-mode", "no"});
  argv.insert(argv.end(), {"--dir", process_.dir(), "--save", ""});
  if (options_.tls) {
    argv.insert(argv.end(),
                {"--port", "0", "--tls-port", std::to_string(port_), "--tls-cert-file",
                 testDataPath("tls/server.pem"), "--tls-key-file", testDataPath("tls/server.key"),
                 "--tls-ca-cert-file", testDataPath("tls/ca.pem"), "--tls-auth-clients", "yes"});
  } else {
    argv.insert(argv.end(), {"--port", std::to_string(port_)});
  }
  if (options_.persistent) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  if (options_.password) argv.insert(argv.end(), {"--requirepass", *options_.password});
  return process_.start(argv, port_);
}

std::string RedisServer::serverUrl() const {
  std::string auth = options_.password ? ":" + *options_.password + "@" : "";
  std::string url = std::string(options_.tls ? "rediss://" : "redis://") + auth + options_.host +
                    ":" + std::to_string(port_) + "/0";
  if (options_.tls) {
    url += "?tls_ca=" + testDataPath("tls/ca.pem") + "&tls_cert=" + testDataPath("tls/client.pem") +
           "&tls_key=" + testDataPath("tls/client.key");
  }
  return url;
}

std::string RedisServer::url(const std::string& stream, const std::string& group) const {
  const std::string server = serverUrl();
  return server + (options_.tls ? "&" : "?") + "stream=" + stream + "&group=" + group;
}

queue::RedisAddress RedisServer::address() const {
  queue::RedisAddress address{.host = options_.host, .port = port_, .password = options_.password};
  if (options_.tls) {
    address.tls = queue::RedisTls{.caFile = testDataPath("tls/ca.pem"),
                                  .certificate = testDataPath("tls/client.pem"),
                                  .key = testDataPath("tls/client.key"),
                                  .serverName = std::nullopt};
  }
  return address;
}

std::string RedisServer::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"redis-cli", "-p", std::to_string(port_), "--raw"};
  if (options_.tls) {
    argv.insert(argv.end(),
                {"--tls", "--cacert", testDataPath("tls/ca.pem"), "--cert",
                 testDataPath("tls/client.pem"), "--key", testDataPath("tls/client.key")});
  }
  if (options_.password) argv.insert(argv.end(), {"--no-auth-warning", "-a", *options_.password});
  argv.insert(argv.end(), args.begin(), args.end());
  return runArgv(argv, std::nullopt).out;
}

}  // namespace su::test
