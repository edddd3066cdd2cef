#include "support/obs_server.hpp"

#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "support/janus_server.hpp"

namespace su::test {

namespace {

std::string socketOf(int display) {
  return "/tmp/.X11-unix/X" + std::to_string(display);
}

}  // namespace

std::unique_ptr<ObsServer> ObsServer::start(Options options) {
  std::unique_ptr<ObsServer> server(new ObsServer);
  server->port_ = freeTcpPort();
  server->password_ = options.password;
  const std::string config = ".config/obs-studio/";
  if (!server->obs_.writeConfig(
          dataPath("obs/global.ini.in"), config + "global.ini",
          {{"@PORT@", std::to_string(server->port_)}, {"@PASSWORD@", server->password_}}) ||
      !server->obs_.writeConfig(dataPath("obs/basic.ini.in"),
                                config + "basic/profiles/Test/basic.ini", {}) ||
      !server->obs_.writeConfig(dataPath("obs/streamEncoder.json"),
                                config + "basic/profiles/Test/streamEncoder.json", {}) ||
      !server->launchDisplay() || !server->launchObs()) {
    return nullptr;
  }
  return server;
}

// Xvfb on the first free display from a per-process starting point: parallel tests each find
// their own, and one taken meanwhile makes Xvfb exit, so the next is tried.
bool ObsServer::launchDisplay() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int display = 100 + (static_cast<int>(getpid()) + attempt * 7) % 800;
    if (g_file_test(socketOf(display).c_str(), G_FILE_TEST_EXISTS) ||
        g_file_test(("/tmp/.X" + std::to_string(display) + "-lock").c_str(), G_FILE_TEST_EXISTS)) {
      continue;
    }
    if (!xvfb_.start({"Xvfb", ":" + std::to_string(display), "-screen", "0", "1280x720x24",
                      "-nolisten", "tcp"})) {
      return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (xvfb_.running() && std::chrono::steady_clock::now() < deadline) {
      if (g_file_test(socketOf(display).c_str(), G_FILE_TEST_EXISTS)) {
        display_ = display;
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    xvfb_.kill();
  }
  ADD_FAILURE() << "no Xvfb display could be started:\n" << xvfb_.logTail();
  return false;
}

bool ObsServer::launchObs() {
  obs_.setEnvironment({{"HOME", obs_.dir()},
                       {"XDG_CONFIG_HOME", obs_.dir() + "/.config"},
                       {"DISPLAY", ":" + std::to_string(display_)},
                       {"LIBGL_ALWAYS_SOFTWARE", "1"},
                       {"QT_QPA_PLATFORM", "xcb"}});
  const auto launched = std::chrono::steady_clock::now();
  if (!obs_.start({"obs", "--multi", "--disable-shutdown-check", "--disable-missing-files-check"},
                  port_, std::chrono::seconds(30))) {
    return false;
  }
  startupTime_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - launched);
  return true;
}

}  // namespace su::test
