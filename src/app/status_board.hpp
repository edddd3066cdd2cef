// What `run` shows while a broadcast runs: a block of status lines (one per track) redrawn in
// place on a terminal, with events and errors printed above it as they happen. Off a terminal
// (a log, a pipe) the block is printed whole each time instead of redrawn.
#pragma once

#include <string>
#include <vector>

#include "orchestrator/broadcast.hpp"

namespace su::app {

class StatusBoard {
 public:
  explicit StatusBoard(bool terminal) : terminal_(terminal) {}

  // A line above the status block, timestamped, secrets masked.
  void say(const std::string& line);
  void show(std::vector<std::string> lines);
  // Takes the block off the terminal for good.
  void clear();

  // The status lines of one broadcast: its state, then per track the relay's bitrate and
  // packets with Janus's age_ms for that media.
  static std::vector<std::string> render(const model::BroadcastResult& result,
                                         const orchestrator::HealthReport& report);

 private:
  void erase();
  void draw();

  bool terminal_;
  std::vector<std::string> lines_;
  std::size_t drawn_ = 0;  // lines of the block on the terminal now
};

}  // namespace su::app
