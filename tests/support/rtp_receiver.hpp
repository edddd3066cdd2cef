// A UDP port on loopback that counts the RTP packets it receives and notes their payload types
// and SSRCs, on the test's context: to check what a relay sends without a Janus.
#pragma once

#include <cstdint>
#include <set>

#include "core/gref.hpp"
#include "core/main_context.hpp"

namespace su::test {

class RtpReceiver {
 public:
  RtpReceiver();  // binds 127.0.0.1 on a free port
  std::uint16_t port() const noexcept { return port_; }
  std::uint64_t packets() const noexcept { return packets_; }
  const std::set<int>& payloadTypes() const noexcept { return payloadTypes_; }
  const std::set<std::uint32_t>& ssrcs() const noexcept { return ssrcs_; }
  void reset();

 private:
  GRef<GObject> socket_;
  Source source_;
  std::uint16_t port_ = 0;
  std::uint64_t packets_ = 0;
  std::set<int> payloadTypes_;
  std::set<std::uint32_t> ssrcs_;
};

// Open file descriptors and threads of this process, from /proc: for leak checks.
std::size_t openFileDescriptors();
std::size_t threadCount();

}  // namespace su::test
