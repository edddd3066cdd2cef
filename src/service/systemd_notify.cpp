#include "service/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include "core/log.hpp"
#include "model/redaction.hpp"

namespace su::service {

namespace {

// A status line is one line, masked like every other output (it may quote a URL with
// credentials): systemd shows it in `systemctl status` and the journal.
std::string oneLine(const std::string& status) {
  std::string text = model::redactText(status);
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

void notify(const std::string& state) {
  // 0: nothing to tell (not under systemd); < 0: the socket refused it, worth a line.
  if (const int sent = sd_notify(0, state.c_str()); sent < 0) {
    GST_WARNING("sd_notify: %s", g_strerror(-sent));
  }
}

}  // namespace

SystemdNotifier::SystemdNotifier(GMainContext* context) {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdogUs_ = usec;
    pings_ = Source::timeout(
        context, std::chrono::milliseconds(std::max<std::uint64_t>(usec / 2000, 1)),
        [] {
          notify("WATCHDOG=1");
          return true;
        },
        "su-systemd-watchdog");
  }
}

void SystemdNotifier::ready(const std::string& status) {
  notify("READY=1\nSTATUS=" + oneLine(status));
}

void SystemdNotifier::status(const std::string& status) {
  notify("STATUS=" + oneLine(status));
}

void SystemdNotifier::stopping(const std::string& status) {
  notify("STOPPING=1\nSTATUS=" + oneLine(status));
}

}  // namespace su::service
