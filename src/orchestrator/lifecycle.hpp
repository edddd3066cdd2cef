// What a broadcast set up, and how to undo it (the original's lifecycle manager, fixed): closers
// run last-first; a failing closer does not stop the others; every failure is reported together.
// A closer that failed in a way worth another try (Janus unreachable: the thing is still there)
// can be kept for the next closeAll.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/task.hpp"

namespace su::orchestrator {

class Lifecycle {
 public:
  // Undoes one thing. Build the task from a member coroutine that takes what it needs by value
  // (`[this, id] { return destroyMountpoint(id); }`): a lambda that is itself a coroutine would
  // leave its captures behind when it is moved.
  using Closer = std::function<Task<void>()>;
  struct Entry {
    std::string what;
    Closer closer;
    std::string kind;  // what sort of thing it undoes, for whoever reports progress
  };
  // Told about each closer as it finishes, with the kind it was added with.
  using Progress = std::function<void(const std::string& what, const std::string& kind,
                                      const Result<void>& outcome)>;
  // Whether a closer that failed with this error is kept, to run again at the next closeAll.
  using Keep = std::function<bool(const Error&)>;

  Lifecycle() = default;
  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;

  void add(std::string what, Closer closer, std::string kind = {});
  bool empty() const noexcept { return closers_.empty(); }
  std::size_t size() const noexcept { return closers_.size(); }
  // What is registered, in the order it was set up.
  std::vector<std::string> names() const;

  // Runs and forgets every closer, the last added first. The result has one error per closer
  // that failed, each message prefixed with what it was closing (none: everything closed); the
  // ones `keep` accepts are registered again, in their order, before it is given.
  Task<std::vector<Error>> closeAll(Progress progress = {}, Keep keep = {});

 private:
  std::vector<Entry> closers_;
};

// What a closeAll() reported; an error of its own (it had none to give) counts as one more.
inline std::vector<Error> errorsOf(Result<std::vector<Error>> closed) {
  return closed ? std::move(closed).value() : std::vector<Error>{closed.error()};
}

}  // namespace su::orchestrator
