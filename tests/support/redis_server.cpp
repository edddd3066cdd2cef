#include "support/redis_server.hpp"

#include "support/janus_server.hpp"
#include "support/process.hpp"

namespace su::test {

std::unique_ptr<RedisServer> RedisServer::start(Options options) {
  std::unique_ptr<RedisServer> server(new RedisServer);
  server->options_ = std::move(options);
  server->port_ = freeTcpPort();
  if (!server->launch()) return nullptr;
  return server;
}

bool RedisServer::launch() {
  std::vector<std::string> argv{"redis-server", "--port",    std::to_string(port_),
                                "--bind",       "127.0.0.1", "--dir",
                                process_.dir(), "--save",    ""};
  if (options_.persistent) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  if (options_.password) argv.insert(argv.end(), {"--requirepass", *options_.password});
  return process_.start(argv, port_);
}

std::string RedisServer::url(const std::string& stream, const std::string& group) const {
  std::string auth = options_.password ? ":" + *options_.password + "@" : "";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/0?stream=" + stream +
         "&group=" + group;
}

std::string RedisServer::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"redis-cli", "-p", std::to_string(port_), "--raw"};
  if (options_.password) argv.insert(argv.end(), {"--no-auth-warning", "-a", *options_.password});
  argv.insert(argv.end(), args.begin(), args.end());
  return runArgv(argv, std::nullopt).out;
}

}  // namespace su::test
