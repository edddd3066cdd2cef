#include "support/process.hpp"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/gref.hpp"

namespace su::test {

namespace {

std::string bytesToString(GBytes* bytes) {
  if (!bytes) return {};
  gsize size = 0;
  const auto* data = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  return std::string(data, size);
}

// SU_CLI_WRAPPER (set by `meson test --setup valgrind`) runs the program under a tool whose
// failure exit status then fails the exit-status assertions.
std::vector<std::string> wrapper() {
  const char* command = g_getenv("SU_CLI_WRAPPER");
  if (!command || !*command) return {};
  std::vector<std::string> words;
  char** parsed = nullptr;
  if (g_shell_parse_argv(command, nullptr, &parsed, nullptr)) {
    for (char** word = parsed; *word; ++word)
      words.emplace_back(*word);
    g_strfreev(parsed);
  }
  return words;
}

}  // namespace

std::string cliPath() {
  const char* path = g_getenv("SU_CLI");
  return path ? path : "streaming-utils";
}

std::string firstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

ProcessRun runArgv(const std::vector<std::string>& argv, const std::optional<std::string>& input) {
  std::vector<const char*> raw;
  for (const std::string& arg : argv)
    raw.push_back(arg.c_str());
  raw.push_back(nullptr);
  GUnique<GError> error;
  auto process = GRef<GSubprocess>::adopt(g_subprocess_newv(
      raw.data(),
      GSubprocessFlags(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                       G_SUBPROCESS_FLAGS_STDERR_PIPE),
      error.outPtr()));
  EXPECT_TRUE(process) << (error ? error->message : "");
  if (!process) return {};
  auto stdinBytes = GRef<GBytes>::adopt(input ? g_bytes_new(input->data(), input->size())
                                              : g_bytes_new(nullptr, 0));
  GRef<GBytes> out;
  GRef<GBytes> err;
  const bool communicated = g_subprocess_communicate(process.get(), stdinBytes.get(), nullptr,
                                                     out.outPtr(), err.outPtr(), error.outPtr());
  EXPECT_TRUE(communicated) << (error ? error->message : "");
  ProcessRun run;
  // A crash is never an acceptable answer to bad input.
  EXPECT_TRUE(g_subprocess_get_if_exited(process.get())) << "the program did not exit normally";
  if (g_subprocess_get_if_exited(process.get())) {
    run.status = g_subprocess_get_exit_status(process.get());
  }
  run.out = bytesToString(out.get());
  run.err = bytesToString(err.get());
  return run;
}

ProcessRun runCli(std::vector<std::string> args, const std::optional<std::string>& input) {
  args.insert(args.begin(), cliPath());
  const std::vector<std::string> tool = wrapper();
  args.insert(args.begin(), tool.begin(), tool.end());
  return runArgv(args, input);
}

TempFile::TempFile(const std::string& content) {
  GUnique<GError> error;
  GUnique<char> name;
  const int fd = g_file_open_tmp("su-test-XXXXXX.json", name.outPtr(), error.outPtr());
  EXPECT_GE(fd, 0) << (error ? error->message : "");
  path_ = name ? name.get() : "";
  EXPECT_TRUE(g_file_set_contents(path_.c_str(), content.data(),
                                  static_cast<gssize>(content.size()), nullptr));
  if (fd >= 0) close(fd);
}

TempFile::~TempFile() {
  g_unlink(path_.c_str());
}

}  // namespace su::test
