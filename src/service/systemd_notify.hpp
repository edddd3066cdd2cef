// Tells systemd how `serve` is doing (Type=notify, through libsystemd's sd_notify): READY once
// the HTTP API listens, a STATUS line as things change, STOPPING when a drain begins, and a
// watchdog ping from the control context every half of WatchdogSec — a wedged main loop stops
// the pings and systemd restarts the service. Does nothing when not started by systemd (no
// $NOTIFY_SOCKET): the same binary runs by hand.
#pragma once

#include <string>

#include "core/main_context.hpp"

namespace su::service {

class SystemdNotifier {
 public:
  // Starts the watchdog pings when systemd asked for them ($WATCHDOG_USEC for this process).
  explicit SystemdNotifier(GMainContext* context);

  void ready(const std::string& status);
  void status(const std::string& status);
  void stopping(const std::string& status);
  // Under systemd with a watchdog: the ping interval, 0 otherwise.
  std::uint64_t watchdogIntervalUs() const noexcept { return watchdogUs_ / 2; }

 private:
  std::uint64_t watchdogUs_ = 0;
  Source pings_;
};

}  // namespace su::service
