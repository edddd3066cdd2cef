#include "orchestrator/lifecycle.hpp"

#include <memory>

namespace su::orchestrator {

void Lifecycle::add(std::string what, Closer closer) {
  closers_.push_back({std::move(what), std::move(closer)});
}

std::vector<std::string> Lifecycle::names() const {
  std::vector<std::string> names;
  for (const Entry& entry : closers_)
    names.push_back(entry.what);
  return names;
}

namespace {

struct Closing {
  std::vector<std::pair<std::string, Lifecycle::Closer>> remaining;  // the next is at the back
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
  auto [what, closer] = std::move(closing->remaining.back());
  closing->remaining.pop_back();
  closer([closing, what = what](Result<void> outcome) {
    if (!outcome) {
      Error failure = outcome.error();
      failure.message = what + ": " + failure.message;
      closing->failures.push_back(std::move(failure));
    }
    if (closing->progress) closing->progress(what, outcome);
    closeNext(closing);
  });
}

}  // namespace

void Lifecycle::closeAll(std::function<void(std::vector<Error>)> done, Progress progress) {
  auto closing = std::make_shared<Closing>();
  for (Entry& entry : closers_)
    closing->remaining.emplace_back(std::move(entry.what), std::move(entry.closer));
  closers_.clear();
  closing->done = std::move(done);
  closing->progress = std::move(progress);
  closeNext(std::move(closing));
}

}  // namespace su::orchestrator
