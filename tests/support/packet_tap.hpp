// A capture of the UDP packets to one address that cross one network interface (an AF_PACKET
// socket, on a thread of its own): when each arrived, from which address, to which port. What the
// partition tests count RTP with: the packets that reach Janus from each node. Needs root.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace su::test {

class PacketTap {
 public:
  using Clock = std::chrono::steady_clock;
  struct Packet {
    Clock::time_point at;
    std::string from;        // the sender's IPv4 address
    std::uint16_t port = 0;  // where it went
  };

  // Listens on `interface` for UDP to `destination`; false (with why) when it cannot.
  bool start(const std::string& interface, const std::string& destination, std::string& why);
  ~PacketTap();

  // The packets so far (a copy).
  std::vector<Packet> packets() const;

 private:
  void capture();

  int fd_ = -1;
  std::uint32_t destination_ = 0;  // network order
  std::atomic<bool> stopping_{false};
  mutable std::mutex lock_;
  std::vector<Packet> packets_;
  std::thread thread_;
};

// What the packets of `from` tell: how many, the first and the last.
struct SenderWindow {
  std::size_t count = 0;
  PacketTap::Clock::time_point first = PacketTap::Clock::time_point::max();
  PacketTap::Clock::time_point last = PacketTap::Clock::time_point::min();
};
SenderWindow windowOf(const std::vector<PacketTap::Packet>& packets, const std::string& from,
                      PacketTap::Clock::time_point since = PacketTap::Clock::time_point::min());

}  // namespace su::test
