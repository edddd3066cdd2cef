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
  // Told about each closer as it finishes, with the kind it was added with.
  struct Entry {
    std::string what;
    Closer closer;
    std::string kind;
  };
  using Progress = std::function<void(const std::string& what, const std::string& kind,
                                      const Result<void>& outcome)>;

  // `kind` says what sort of thing it undoes, for whoever reports progress.
  void add(std::string what, Closer closer, std::string kind = {});
  bool empty() const noexcept { return closers_.empty(); }
  // What is registered, in the order it was set up.
  std::vector<std::string> names() const;

  // Runs and forgets every closer, the last added first. `done` gets one error per closer that
  // failed, each message prefixed with what it was closing (none: everything closed).
  void closeAll(std::function<void(std::vector<Error>)> done, Progress progress = {});

 private:
  std::vector<Entry> closers_;
};

}  // namespace su::orchestrator
