// A small network of test hosts on this machine: a network namespace per host, each on a veth
// pair into one bridge, and the test process on the bridge too (its address, `self()`), so that
// it reaches every host and every host reaches the services it runs. Addresses are a private
// /24 of its own (10.X.Y.0, from the process id), interface and namespace names carry the process
// id: tests side by side do not meet. What it made goes with it. Needs root and iproute2.
//
// A partition is a route: cut(host, address) makes `address` a blackhole in the host's
// namespace (its packets to it are dropped, as behind a failed link; nothing is refused), and
// mend() takes the route away again.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace su::test {

class TestNetwork {
 public:
  // Null, with why in `why`, when it cannot be made here (not root, no namespaces).
  static std::unique_ptr<TestNetwork> create(const std::vector<std::string>& hosts,
                                             std::string& why);
  ~TestNetwork();
  TestNetwork(const TestNetwork&) = delete;
  TestNetwork& operator=(const TestNetwork&) = delete;

  // The test process's address on the bridge, and another one for a second service there.
  std::string self() const { return prefix_ + ".254"; }
  std::string selfSecond() const { return prefix_ + ".253"; }
  std::string address(const std::string& host) const;
  // The bridge's interface name (what a tap listens on).
  const std::string& bridge() const noexcept { return bridge_; }
  // `argv` run inside `host`'s namespace.
  std::vector<std::string> inHost(const std::string& host, std::vector<std::string> argv) const;

  void cut(const std::string& host, const std::string& address);
  void mend(const std::string& host, const std::string& address);

 private:
  TestNetwork() = default;
  bool run(std::vector<std::string> argv, std::string* error = nullptr) const;
  std::string namespaceOf(const std::string& host) const;

  std::string tag_;     // from the process id
  std::string prefix_;  // 10.X.Y
  std::string bridge_;
  std::vector<std::string> hosts_;
  std::vector<std::string> links_;  // root-side veth ends, deleted with the bridge
};

}  // namespace su::test
