#include "service/local_janus.hpp"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "core/loopback.hpp"
#include "su_config.h"

namespace su::service {

GQuark errorDomainOf(LocalJanusError) {
  return g_quark_from_static_string("su-local-janus-error");
}

namespace {

constexpr const char* kConfigFiles[] = {"janus.jcfg", "janus.transport.websockets.jcfg",
                                        "janus.plugin.streaming.jcfg",
                                        "janus.plugin.videoroom.jcfg"};

bool isDir(const std::string& path) {
  return g_file_test(path.c_str(), G_FILE_TEST_IS_DIR);
}

std::string randomSecret() {
  auto uuid = GUnique<char>::adopt(g_uuid_string_random());
  return uuid.get();
}

void fill(std::string& text, const std::string& placeholder, const std::string& value) {
  for (auto at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
}

}  // namespace

std::string janusTemplatesDir() {
  if (const char* dir = g_getenv("SU_DATA_DIR"); dir && *dir) return std::string(dir) + "/janus";
  for (const std::string base : {SU_INSTALLED_DATA_DIR, SU_SOURCE_DATA_DIR}) {
    if (isDir(base + "/janus")) return base + "/janus";
  }
  return std::string(SU_INSTALLED_DATA_DIR) + "/janus";
}

Result<void> writeJanusConfig(const std::string& templatesDir, const std::string& dir,
                              JanusConfig& config) {
  if (config.adminWsPort == 0) config.adminWsPort = freeLoopbackPort();
  for (std::string* secret :
       {&config.adminSecret, &config.streamingAdminKey, &config.videoRoomAdminKey}) {
    if (secret->empty()) *secret = randomSecret();
  }
  for (const char* name : kConfigFiles) {
    const std::string source = templatesDir + "/" + name + ".in";
    GUnique<char> contents;
    GUnique<GError> error;
    if (!g_file_get_contents(source.c_str(), contents.outPtr(), nullptr, error.outPtr())) {
      return makeError(LocalJanusError::Config,
                       "cannot read the Janus config template: " + std::string(error->message));
    }
    std::string text = contents.get();
    fill(text, "@CONFIG_DIR@", dir);
    fill(text, "@DEBUG_LEVEL@", std::to_string(config.debugLevel));
    fill(text, "@ADMIN_SECRET@", config.adminSecret);
    fill(text, "@SESSION_TIMEOUT@", std::to_string(config.sessionTimeoutSeconds));
    fill(text, "@RTP_PORT_RANGE@", config.rtpPortRange);
    fill(text, "@WS_PORT@", std::to_string(config.wsPort));
    fill(text, "@WS_IP@", config.wsIp);
    fill(text, "@ADMIN_WS_PORT@", std::to_string(config.adminWsPort));
    fill(text, "@STREAMING_ADMIN_KEY@", config.streamingAdminKey);
    fill(text, "@VIDEOROOM_ADMIN_KEY@", config.videoRoomAdminKey);
    const std::string target = dir + "/" + name;
    if (!g_file_set_contents_full(target.c_str(), text.c_str(), static_cast<gssize>(text.size()),
                                  G_FILE_SET_CONTENTS_NONE, 0600, error.outPtr())) {
      return makeError(LocalJanusError::Config,
                       "cannot write " + target + ": " + std::string(error->message));
    }
  }
  return {};
}

Result<std::unique_ptr<LocalJanus>> LocalJanus::start(JanusConfig config,
                                                      std::chrono::milliseconds timeout) {
  std::unique_ptr<LocalJanus> janus(new LocalJanus);
  GUnique<GError> error;
  auto dir = GUnique<char>::adopt(g_dir_make_tmp("streaming-utils-janus-XXXXXX", error.outPtr()));
  if (!dir) {
    return makeError(LocalJanusError::Config,
                     "cannot make a folder for Janus: " + std::string(error->message));
  }
  janus->dir_ = dir.get();
  janus->logPath_ = janus->dir_ + "/janus.log";
  if (auto written = writeJanusConfig(janusTemplatesDir(), janus->dir_, config); !written) {
    return written.error();
  }
  janus->config_ = config;

  auto launcher =
      GRef<GObject>::adopt(G_OBJECT(g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE)));
  g_subprocess_launcher_set_stdout_file_path(G_SUBPROCESS_LAUNCHER(launcher.get()),
                                             janus->logPath_.c_str());
  // A session of its own: Ctrl-C at the terminal must not reach it before we have cleaned up.
  g_subprocess_launcher_set_child_setup(
      G_SUBPROCESS_LAUNCHER(launcher.get()), [](gpointer) { setsid(); }, nullptr, nullptr);
  const std::string jcfg = janus->dir_ + "/janus.jcfg";
  const char* argv[] = {"janus", "-C", jcfg.c_str(), "-F", janus->dir_.c_str(), nullptr};
  janus->process_ = GRef<GSubprocess>::adopt(
      g_subprocess_launcher_spawnv(G_SUBPROCESS_LAUNCHER(launcher.get()), argv, error.outPtr()));
  if (!janus->process_) {
    return makeError(LocalJanusError::Launch,
                     "cannot start janus (is the Debian package `janus` installed?): " +
                         std::string(error->message));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!janus->running()) {
      return makeError(LocalJanusError::Launch,
                       "janus exited at start; its log ends:\n" + janus->logTail(1500));
    }
    if (acceptsConnections(config.wsPort)) return janus;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return makeError(LocalJanusError::NotListening,
                   "janus did not listen on port " + std::to_string(config.wsPort) + " within " +
                       std::to_string(timeout.count()) + " ms; its log ends:\n" +
                       janus->logTail(1500));
}

LocalJanus::~LocalJanus() {
  if (process_ && running()) {
    g_subprocess_send_signal(process_.get(), SIGINT);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (running()) g_subprocess_force_exit(process_.get());
    g_subprocess_wait(process_.get(), nullptr, nullptr);
  }
  if (dir_.empty()) return;
  if (GDir* dir = g_dir_open(dir_.c_str(), 0, nullptr)) {
    while (const char* name = g_dir_read_name(dir))
      g_remove((dir_ + "/" + name).c_str());
    g_dir_close(dir);
  }
  g_rmdir(dir_.c_str());
}

std::string LocalJanus::url() const {
  return "ws://127.0.0.1:" + std::to_string(config_.wsPort);
}

bool LocalJanus::running() const {
  // GLib reaps the child on its worker thread; the identifier is gone once it has exited.
  return process_ && g_subprocess_get_identifier(process_.get()) != nullptr;
}

std::string LocalJanus::logTail(std::size_t bytes) const {
  GUnique<char> contents;
  gsize length = 0;
  if (!g_file_get_contents(logPath_.c_str(), contents.outPtr(), &length, nullptr)) return {};
  const std::string log(contents.get(), length);
  return log.size() > bytes ? log.substr(log.size() - bytes) : log;
}

}  // namespace su::service
