#include "orchestrator/lifecycle.hpp"

#include <memory>

namespace su::orchestrator {

void Lifecycle::add(std::string what, Closer closer, std::string kind) {
  closers_.push_back({std::move(what), std::move(closer), std::move(kind)});
}

std::vector<std::string> Lifecycle::names() const {
  std::vector<std::string> names;
  for (const Entry& entry : closers_)
    names.push_back(entry.what);
  return names;
}

namespace {

struct Closing {
  std::vector<Lifecycle::Entry> remaining;  // the next is at the back
  std::vector<Error> failures;
  std::function<void(std::vector<Error>)> done;
  Lifecycle::Progress progress;
};

void closeNext(std::shared_ptr<Closing> closing) {
  if (closing->remaining.empty()) {
    auto done = std::move(closing->done);
    done(std::move(closing->failures));
    return;
  }
  Lifecycle::Entry entry = std::move(closing->remaining.back());
  closing->remaining.pop_back();
  entry.closer([closing, what = entry.what, kind = entry.kind](Result<void> outcome) {
    if (!outcome) {
      Error failure = outcome.error();
      failure.message = what + ": " + failure.message;
      closing->failures.push_back(std::move(failure));
    }
    if (closing->progress) closing->progress(what, kind, outcome);
    closeNext(closing);
  });
}

}  // namespace

void Lifecycle::closeAll(std::function<void(std::vector<Error>)> done, Progress progress) {
  auto closing = std::make_shared<Closing>();
  closing->remaining = std::move(closers_);
  closers_.clear();
  closing->done = std::move(done);
  closing->progress = std::move(progress);
  closeNext(std::move(closing));
}

}  // namespace su::orchestrator
