// Running the `streaming-utils` program as a user does, for the CLI tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace su::test {

struct ProcessRun {
  int status = -1;  // the exit status; -1 if it did not exit normally (a test failure too)
  std::string out;
  std::string err;
};

// Runs `argv` with `input` on its standard input.
ProcessRun runArgv(const std::vector<std::string>& argv, const std::optional<std::string>& input);
// Runs streaming-utils (SU_CLI) with `args`, under SU_CLI_WRAPPER when set
// (`meson test --setup valgrind` sets it, so the program runs under memcheck too).
ProcessRun runCli(std::vector<std::string> args, const std::optional<std::string>& input = {});
std::string cliPath();
std::string firstLine(const std::string& text);

// A file with `content` in the temporary folder, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& content);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace su::test
