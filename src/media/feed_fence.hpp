// The feed fence: a deadline, for the whole process, after which in-process relays send no more
// RTP or RTCP (each packet is dropped at its udpsink, where the relay counts what it sends).
//
// A cluster node sets it to where its lease may lapse (src/cluster/cluster_node.hpp). A process
// frozen past that point (SIGSTOP, a stalled VM) runs its streaming threads again before its
// control loop can notice, while the node that adopted its broadcasts already feeds the same
// ports: those packets must not leave. Subprocess relays (ffmpeg) are not covered: they stop
// when the control loop fences the node, at the same deadline (a timer of its own); a node
// frozen past it runs them until it wakes.
#pragma once

#include <cstdint>

namespace su::media {

// Monotonic time (g_get_monotonic_time) after which packets are held back; 0: no fence.
void setFeedDeadline(std::int64_t monotonicUs) noexcept;
// Whether a packet may leave now; counts the ones held back.
bool feedAllowed() noexcept;
// Packets held back since the process started.
std::uint64_t packetsHeldBack() noexcept;

}  // namespace su::media
