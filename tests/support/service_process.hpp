// A real service for a test (Janus, nginx-rtmp, an ffmpeg publisher...): a private folder, config
// files filled in from templates under data/, a process with its output in a log file, killed
// and cleaned up with the object.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/gref.hpp"

namespace su::test {

class ServiceProcess {
 public:
  explicit ServiceProcess(std::string name);  // makes the private folder
  ~ServiceProcess();                          // kills the process, removes the folder
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  const std::string& dir() const noexcept { return dir_; }
  // Variables set for the process, over the test's own environment.
  void setEnvironment(std::vector<std::pair<std::string, std::string>> environment) {
    environment_ = std::move(environment);
  }
  // Writes `templatePath` to dir()/`fileName` (folders made as needed) with each
  // {@NAME@, value} replaced.
  bool writeConfig(const std::string& templatePath, const std::string& fileName,
                   const std::vector<std::pair<std::string, std::string>>& values);
  // Where start() waits for the port to accept connections (127.0.0.1 unless set).
  void setReadyHost(std::string host) { readyHost_ = std::move(host); }
  // Starts `argv` with stdout and stderr in dir()/<name>.log; with a `port`, waits until it
  // accepts TCP connections on the ready host (or the process exits, or `timeout` passes).
  bool start(const std::vector<std::string>& argv, std::uint16_t port = 0,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL, as a crash would; `start` again afterwards works.
  void kill();
  // SIGINT, as Ctrl-C would (or `signum`: SIGTERM as a service manager would), then waits for
  // the exit: its status, or none if it had to be killed after `timeout`.
  std::optional<int> interrupt(std::chrono::milliseconds timeout, int signum = SIGINT);
  // Sends `signum` without waiting (waitForExit() afterwards collects the exit).
  void signal(int signum);
  // Waits for the exit: its status, or none if it had to be killed after `timeout`.
  std::optional<int> waitForExit(std::chrono::milliseconds timeout);
  bool running() const;
  // Its process id while it runs, else 0.
  int pid() const;
  std::string logTail(std::size_t bytes = 4000) const;

 private:
  std::string name_;
  std::string dir_;
  std::vector<std::string> files_;
  std::vector<std::pair<std::string, std::string>> environment_;
  std::string readyHost_ = "127.0.0.1";
  GRef<GSubprocess> process_;
};

// A whole file's bytes (empty when it cannot be read).
std::string readFile(const std::string& path);

// Where the project's data files are (SU_DATA_DIR, else ./data).
std::string dataPath(const std::string& relative);

}  // namespace su::test
