#include "orchestrator/lifecycle.hpp"

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

Task<std::vector<Error>> Lifecycle::closeAll(Progress progress, Keep keep) {
  std::vector<Entry> remaining = std::exchange(closers_, {});
  std::vector<Entry> kept;  // the last added first
  std::vector<Error> failures;
  while (!remaining.empty()) {
    const Entry entry = std::move(remaining.back());
    remaining.pop_back();
    const Result<void> outcome = co_await entry.closer();
    if (!outcome) {
      if (keep && keep(outcome.error())) kept.push_back(entry);
      Error failure = outcome.error();
      failure.message = entry.what + ": " + failure.message;
      failures.push_back(std::move(failure));
    }
    if (progress) progress(entry.what, entry.kind, outcome);
  }
  // Before whatever was added meanwhile: they were set up first.
  closers_.insert(closers_.begin(), std::make_move_iterator(kept.rbegin()),
                  std::make_move_iterator(kept.rend()));
  co_return failures;
}

}  // namespace su::orchestrator
