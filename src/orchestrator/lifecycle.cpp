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

struct Lifecycle::Closing {
  std::vector<Entry> remaining;  // the next is at the back
  std::vector<Entry> kept;       // the last added first
  std::vector<Error> failures;
  std::function<void(std::vector<Error>)> done;
  Progress progress;
  Keep keep;
  Lifecycle* owner;
  std::weak_ptr<bool> ownerAlive;
};

void Lifecycle::closeNext(std::shared_ptr<Closing> closing) {
  if (closing->remaining.empty()) {
    if (!closing->kept.empty() && !closing->ownerAlive.expired()) {
      std::vector<Entry>& closers = closing->owner->closers_;
      closers.insert(closers.begin(), std::make_move_iterator(closing->kept.rbegin()),
                     std::make_move_iterator(closing->kept.rend()));
    }
    auto done = std::move(closing->done);
    done(std::move(closing->failures));
    return;
  }
  auto entry = std::make_shared<Entry>(std::move(closing->remaining.back()));
  closing->remaining.pop_back();
  entry->closer([closing, entry](Result<void> outcome) {
    if (!outcome) {
      if (closing->keep && closing->keep(outcome.error())) closing->kept.push_back(*entry);
      Error failure = outcome.error();
      failure.message = entry->what + ": " + failure.message;
      closing->failures.push_back(std::move(failure));
    }
    if (closing->progress) closing->progress(entry->what, entry->kind, outcome);
    closeNext(closing);
  });
}

void Lifecycle::closeAll(std::function<void(std::vector<Error>)> done, Progress progress,
                         Keep keep) {
  auto closing = std::make_shared<Closing>();
  closing->remaining = std::move(closers_);
  closers_.clear();
  closing->done = std::move(done);
  closing->progress = std::move(progress);
  closing->keep = std::move(keep);
  closing->owner = this;
  closing->ownerAlive = alive_;
  closeNext(std::move(closing));
}

}  // namespace su::orchestrator
