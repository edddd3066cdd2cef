#include "support/packet_tap.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace su::test {

bool PacketTap::start(const std::string& interface, const std::string& destination,
                      std::string& why) {
  if (inet_pton(AF_INET, destination.c_str(), &destination_) != 1) {
    why = "not an IPv4 address: " + destination;
    return false;
  }
  // SOCK_DGRAM: the link layer's header is taken off, each read is one IP packet.
  fd_ = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
  if (fd_ < 0) {
    why = std::string("no packet socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_IP);
  address.sll_ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
  if (address.sll_ifindex == 0 ||
      bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    why = "cannot listen on " + interface + ": " + std::strerror(errno);
    return false;
  }
  thread_ = std::thread([this] { capture(); });
  return true;
}

PacketTap::~PacketTap() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

void PacketTap::capture() {
  unsigned char buffer[2048];
  while (!stopping_) {
    pollfd readable{.fd = fd_, .events = POLLIN, .revents = 0};
    if (poll(&readable, 1, 100) != 1) continue;
    sockaddr_ll from{};
    socklen_t size = sizeof from;
    const ssize_t got =
        recvfrom(fd_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &size);
    const auto at = Clock::now();
    // Only what the bridge receives from a host (not what it sends out again).
    if (got < static_cast<ssize_t>(sizeof(iphdr) + sizeof(udphdr)) ||
        from.sll_pkttype == PACKET_OUTGOING) {
      continue;
    }
    iphdr ip{};
    std::memcpy(&ip, buffer, sizeof ip);
    const std::size_t header = ip.ihl * 4u;
    if (ip.protocol != IPPROTO_UDP || ip.daddr != destination_ ||
        got < static_cast<ssize_t>(header + sizeof(udphdr))) {
      continue;
    }
    udphdr udp{};
    std::memcpy(&udp, buffer + header, sizeof udp);
    const std::uint16_t port = ntohs(udp.dest);
    char source[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &ip.saddr, source, sizeof source);
    std::lock_guard guard(lock_);
    packets_.push_back({.at = at, .from = source, .port = port});
  }
}

std::vector<PacketTap::Packet> PacketTap::packets() const {
  std::lock_guard guard(lock_);
  return packets_;
}

SenderWindow windowOf(const std::vector<PacketTap::Packet>& packets, const std::string& from,
                      PacketTap::Clock::time_point since) {
  SenderWindow window;
  for (const PacketTap::Packet& packet : packets) {
    if (packet.from != from || packet.at < since) continue;
    ++window.count;
    window.first = std::min(window.first, packet.at);
    window.last = std::max(window.last, packet.at);
  }
  return window;
}

}  // namespace su::test
