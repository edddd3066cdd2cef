#include "support/test_network.hpp"

#include <unistd.h>

#include <algorithm>

#include "support/process.hpp"

namespace su::test {

namespace {

// Short: interface names have 15 characters at most.
std::string shortName(const std::string& tag, std::size_t index, const char* what) {
  return "su" + tag + std::to_string(index) + what;
}

}  // namespace

std::unique_ptr<TestNetwork> TestNetwork::create(const std::vector<std::string>& hosts,
                                                 std::string& why) {
  if (geteuid() != 0) {
    why = "network namespaces need root";
    return nullptr;
  }
  std::unique_ptr<TestNetwork> network(new TestNetwork);
  const auto pid = static_cast<unsigned>(getpid());
  network->tag_ = std::to_string(pid % 1000000);
  network->prefix_ =
      "10." + std::to_string(100 + (pid >> 8) % 100) + "." + std::to_string(pid & 0xff);
  network->bridge_ = "su" + network->tag_ + "br";
  if (!network->run({"ip", "link", "add", network->bridge_, "type", "bridge"}, &why)) {
    why = "cannot make a bridge (ip link add type bridge): " + why;
    return nullptr;
  }
  network->links_.push_back(network->bridge_);
  bool made =
      network->run({"ip", "addr", "add", network->self() + "/24", "dev", network->bridge_}) &&
      network->run({"ip", "addr", "add", network->selfSecond() + "/32", "dev", network->bridge_}) &&
      network->run({"ip", "link", "set", network->bridge_, "up"});
  for (std::size_t i = 0; made && i < hosts.size(); ++i) {
    const std::string ns = "su" + network->tag_ + "-" + hosts[i];
    const std::string outside = shortName(network->tag_, i, "o");
    const std::string inside = shortName(network->tag_, i, "i");
    const std::string address = network->prefix_ + "." + std::to_string(11 + i);
    made = network->run({"ip", "netns", "add", ns}, &why);
    if (made) network->hosts_.push_back(hosts[i]);
    made =
        made &&
        network->run({"ip", "link", "add", outside, "type", "veth", "peer", "name", inside}, &why);
    if (made) network->links_.push_back(outside);
    made = made && network->run({"ip", "link", "set", inside, "netns", ns}, &why) &&
           network->run({"ip", "link", "set", outside, "master", network->bridge_}, &why) &&
           network->run({"ip", "link", "set", outside, "up"}, &why) &&
           network->run({"ip", "-n", ns, "addr", "add", address + "/24", "dev", inside}, &why) &&
           network->run({"ip", "-n", ns, "link", "set", inside, "up"}, &why) &&
           network->run({"ip", "-n", ns, "link", "set", "lo", "up"}, &why);
  }
  if (!made) {
    why = "cannot make the test network: " + why;
    return nullptr;
  }
  return network;
}

TestNetwork::~TestNetwork() {
  for (const std::string& host : hosts_)
    run({"ip", "netns", "del", namespaceOf(host)});
  for (const std::string& link : links_)
    run({"ip", "link", "del", link});
}

std::string TestNetwork::namespaceOf(const std::string& host) const {
  return "su" + tag_ + "-" + host;
}

std::string TestNetwork::address(const std::string& host) const {
  const auto found = std::find(hosts_.begin(), hosts_.end(), host);
  return prefix_ + "." + std::to_string(11 + (found - hosts_.begin()));
}

std::vector<std::string> TestNetwork::inHost(const std::string& host,
                                             std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {"ip", "netns", "exec", namespaceOf(host)});
  return argv;
}

void TestNetwork::cut(const std::string& host, const std::string& address) {
  run({"ip", "-n", namespaceOf(host), "route", "add", "blackhole", address + "/32"});
}

void TestNetwork::mend(const std::string& host, const std::string& address) {
  run({"ip", "-n", namespaceOf(host), "route", "del", "blackhole", address + "/32"});
}

bool TestNetwork::run(std::vector<std::string> argv, std::string* error) const {
  const ProcessRun ran = runArgv(argv, std::nullopt);
  if (ran.status != 0 && error) *error = firstLine(ran.err);
  return ran.status == 0;
}

}  // namespace su::test
