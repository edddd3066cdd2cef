#include "app/cluster_command.hpp"

#include <cstdio>
#include <string>

#include "app/arguments.hpp"
#include "app/command_output.hpp"
#include "app/exit_codes.hpp"
#include "cluster/cluster_key.hpp"
#include "cluster/cluster_status.hpp"
#include "core/main_context.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"
#include "queue/queue_url.hpp"

namespace su::app {

namespace {

constexpr const char* kUsage =
    "usage: streaming-utils cluster status [--redis URL] [--name NAME]\n"
    "       streaming-utils cluster keygen\n"
    "\n"
    "status: the cluster's nodes (lease generation and time left, load and capacity, API) and\n"
    "its broadcasts (owner, state, mountpoint) as JSON; \"orphans\" lists the broadcasts whose\n"
    "owner is not alive (the other nodes adopt them). Nothing secret is printed: requests stay\n"
    "sealed.\n"
    "keygen: prints a new cluster key (32 random bytes, base64) for [cluster] key_file.\n"
    "\n"
    "Options:\n"
    "  --redis URL       the cluster's Redis, redis://[user:password@]host[:port][/db]\n"
    "                    (default $SU_CLUSTER_REDIS, else redis://127.0.0.1:6379/0)\n"
    "  --name NAME       the cluster's name (default $SU_CLUSTER_NAME, else streaming-utils)\n"
    "Exit status: 0 done, 1 Redis cannot be read, 2 wrong arguments.\n";

int status(const std::string& url, const std::string& name) {
  auto address = queue::parseRedisAddress(url);
  if (!address) return fail(kExitUsage, "--redis: " + address.error().message);
  BlockingContext context;
  cluster::ClusterStore store(context.get(), std::move(*address), name);
  auto status = runTask(context, cluster::clusterStatus(store));
  if (!status) return fail(kExitFailure, "cannot read the cluster: " + status.error().message);
  json::ObjectWriter out;
  out.set("redis", model::redactText(url)).mergeMissing(*status);
  printJson(out.node());
  return kExitOk;
}

}  // namespace

int runCluster(int argc, char** argv) {
  auto arguments = Arguments::parse(argc, argv, {{"redis"}, {"name"}});
  if (!arguments) return failUsage(arguments.error().message, kUsage);
  if (arguments->help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  const std::vector<std::string>& words = arguments->positional();
  if (words == std::vector<std::string>{"keygen"}) {
    auto key = cluster::ClusterKey::generate();
    if (!key) return fail(kExitFailure, key.error().message);
    std::printf("%s\n", key->c_str());
    return kExitOk;
  }
  if (words != std::vector<std::string>{"status"}) {
    return failUsage("the cluster commands are: cluster status, cluster keygen", kUsage);
  }
  return status(arguments->value("redis", "SU_CLUSTER_REDIS").value_or("redis://127.0.0.1:6379/0"),
                arguments->value("name", "SU_CLUSTER_NAME").value_or("streaming-utils"));
}

}  // namespace su::app
