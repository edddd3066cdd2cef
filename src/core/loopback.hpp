// Loopback ports, for starting local services (a Janus of our own, the tests' servers).
#pragma once

#include <cstdint>

namespace su {

// A port on 127.0.0.1 that is free right now (TCP, or UDP), 0 if none could be had.
std::uint16_t freeLoopbackPort(bool udp = false);
// Whether something accepts TCP connections on `host`:`port` (waits at most a second).
bool acceptsConnections(std::uint16_t port, const char* host = "127.0.0.1");

}  // namespace su
