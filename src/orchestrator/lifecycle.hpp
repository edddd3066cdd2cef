// What a broadcast set up, and how to undo it (the original's lifecycle manager, fixed): closers
// run last-first; a failing closer does not stop the others; every failure is reported together.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace su::orchestrator {

class Lifecycle {
 public:
  using Done = std::function<void(Result<void>)>;
  // Undoes one thing; calls `done` exactly once, on the control context.
  using Closer = std::function<void(Done done)>;
  // Told about each closer as it finishes.
  using Progress = std::function<void(const std::string& what, const Result<void>& outcome)>;

  void add(std::string what, Closer closer);
  bool empty() const noexcept { return closers_.empty(); }
  // What is registered, in the order it was set up.
  std::vector<std::string> names() const;

  // Runs and forgets every closer, the last added first. `done` gets one error per closer that
  // failed, each message prefixed with what it was closing (none: everything closed).
  void closeAll(std::function<void(std::vector<Error>)> done, Progress progress = {});

 private:
  struct Entry {
    std::string what;
    Closer closer;
  };
  std::vector<Entry> closers_;
};

}  // namespace su::orchestrator
