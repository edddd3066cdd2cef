// What a broadcast set up, and how to undo it (the original's lifecycle manager, fixed): closers
// run last-first; a failing closer does not stop the others; every failure is reported together.
// A closer that failed in a way worth another try (Janus unreachable: the thing is still there)
// can be kept for the next closeAll.
#pragma once

#include <functional>
#include <memory>
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
  // Whether a closer that failed with this error is kept, to run again at the next closeAll.
  using Keep = std::function<bool(const Error&)>;

  Lifecycle() = default;
  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;
  ~Lifecycle() { *alive_ = false; }

  // `kind` says what sort of thing it undoes, for whoever reports progress.
  void add(std::string what, Closer closer, std::string kind = {});
  bool empty() const noexcept { return closers_.empty(); }
  std::size_t size() const noexcept { return closers_.size(); }
  // What is registered, in the order it was set up.
  std::vector<std::string> names() const;

  // Runs and forgets every closer, the last added first. `done` gets one error per closer that
  // failed, each message prefixed with what it was closing (none: everything closed); the ones
  // `keep` accepts are registered again, in their order, before `done` is called.
  void closeAll(std::function<void(std::vector<Error>)> done, Progress progress = {},
                Keep keep = {});

 private:
  struct Closing;
  static void closeNext(std::shared_ptr<Closing> closing);

  std::vector<Entry> closers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su::orchestrator
