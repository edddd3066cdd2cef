#include "support/service_process.hpp"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/loopback.hpp"

namespace su::test {

std::string readFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

std::string dataPath(const std::string& relative) {
  const char* dir = g_getenv("SU_DATA_DIR");
  return std::string(dir ? dir : "data") + "/" + relative;
}

ServiceProcess::ServiceProcess(std::string name) : name_(std::move(name)) {
  GUnique<GError> error;
  auto dir =
      GUnique<char>::adopt(g_dir_make_tmp(("su-" + name_ + "-XXXXXX").c_str(), error.outPtr()));
  EXPECT_TRUE(dir) << "no temporary folder: " << (error ? error->message : "");
  if (dir) dir_ = dir.get();
}

ServiceProcess::~ServiceProcess() {
  kill();
  if (dir_.empty()) return;
  // What the service itself wrote there (pid files, temp folders) goes too.
  const std::vector<std::string> argv{"rm", "-rf", dir_};
  std::vector<const char*> raw;
  for (const auto& arg : argv)
    raw.push_back(arg.c_str());
  raw.push_back(nullptr);
  auto remover =
      GRef<GSubprocess>::adopt(g_subprocess_newv(raw.data(), G_SUBPROCESS_FLAGS_NONE, nullptr));
  if (remover) g_subprocess_wait(remover.get(), nullptr, nullptr);
}

bool ServiceProcess::writeConfig(const std::string& templatePath, const std::string& fileName,
                                 const std::vector<std::pair<std::string, std::string>>& values) {
  std::string text = readFile(templatePath);
  if (text.empty()) {
    ADD_FAILURE() << "missing config template " << templatePath;
    return false;
  }
  for (const auto& [placeholder, value] : values) {
    for (std::size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  const std::string path = dir_ + "/" + fileName;
  auto parent = GUnique<char>::adopt(g_path_get_dirname(path.c_str()));
  g_mkdir_with_parents(parent.get(), 0700);
  std::ofstream(path) << text;
  return true;
}

bool ServiceProcess::start(const std::vector<std::string>& argv, std::uint16_t port,
                           std::chrono::milliseconds timeout) {
  GUnique<GError> error;
  const std::string log = dir_ + "/" + name_ + ".log";
  std::ofstream(log, std::ios::trunc);  // a second start's log is its own (GLib only opens it)
  auto launcher = GRef<GObject>::adopt(
      G_OBJECT(g_subprocess_launcher_new(GSubprocessFlags(G_SUBPROCESS_FLAGS_STDERR_MERGE))));
  g_subprocess_launcher_set_stdout_file_path(G_SUBPROCESS_LAUNCHER(launcher.get()), log.c_str());
  for (const auto& [name, value] : environment_) {
    g_subprocess_launcher_setenv(G_SUBPROCESS_LAUNCHER(launcher.get()), name.c_str(), value.c_str(),
                                 TRUE);
  }
  std::vector<const char*> raw;
  for (const auto& arg : argv)
    raw.push_back(arg.c_str());
  raw.push_back(nullptr);
  process_ = GRef<GSubprocess>::adopt(g_subprocess_launcher_spawnv(
      G_SUBPROCESS_LAUNCHER(launcher.get()), raw.data(), error.outPtr()));
  if (!process_) {
    ADD_FAILURE() << "cannot start " << argv.front() << ": " << (error ? error->message : "");
    return false;
  }
  if (port == 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      ADD_FAILURE() << name_ << " exited at start:\n" << logTail();
      return false;
    }
    if (acceptsConnections(port, readyHost_.c_str())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << name_ << " did not listen on " << port << " in time:\n" << logTail();
  return false;
}

void ServiceProcess::kill() {
  if (!process_) return;
  g_subprocess_send_signal(process_.get(), SIGKILL);
  g_subprocess_wait(process_.get(), nullptr, nullptr);
  process_.reset();
}

void ServiceProcess::signal(int signum) {
  if (process_) g_subprocess_send_signal(process_.get(), signum);
}

std::optional<int> ServiceProcess::interrupt(std::chrono::milliseconds timeout, int signum) {
  signal(signum);
  return waitForExit(timeout);
}

std::optional<int> ServiceProcess::waitForExit(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (running()) {
    kill();
    return std::nullopt;
  }
  g_subprocess_wait(process_.get(), nullptr, nullptr);
  const int status = g_subprocess_get_if_exited(process_.get())
                         ? g_subprocess_get_exit_status(process_.get())
                         : 128 + g_subprocess_get_term_sig(process_.get());
  process_.reset();
  return status;
}

bool ServiceProcess::running() const {
  // GLib reaps the child on its worker thread; the identifier is gone once it has exited.
  return process_ && g_subprocess_get_identifier(process_.get()) != nullptr;
}

int ServiceProcess::pid() const {
  const char* identifier = process_ ? g_subprocess_get_identifier(process_.get()) : nullptr;
  return identifier ? std::atoi(identifier) : 0;
}

std::string ServiceProcess::logTail(std::size_t bytes) const {
  const std::string log = readFile(dir_ + "/" + name_ + ".log");
  return log.size() > bytes ? log.substr(log.size() - bytes) : log;
}

}  // namespace su::test
