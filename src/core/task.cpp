#include "core/task.hpp"

#include <exception>
#include <stdexcept>

namespace su {

namespace task_detail {

void resume(Root* root, std::coroutine_handle<> handle) noexcept {
  ++root->resuming;
  handle.resume();
  if (--root->resuming == 0 && root->abandoned) {
    const std::coroutine_handle<> frame = root->frame;  // `root` lives in that frame
    frame.destroy();
  }
}

Error fromException() noexcept {
  std::string what = "unknown exception";
  try {
    throw;
  } catch (const std::exception& exception) {
    what = exception.what();
  } catch (...) {
  }
  return Error{G_IO_ERROR, G_IO_ERROR_FAILED, "internal error: " + what, {}};
}

}  // namespace task_detail

Task<void> delay(Milliseconds interval) {
  co_await sleep(interval);
  co_return {};
}

void TaskGroup::spawn(Task<void> task) {
  auto it = tasks_.insert(tasks_.end(), std::move(task));
  it->start(context_.get(), [this, it](Result<void>) { tasks_.erase(it); });
}

Condition::~Condition() {
  for (Awaiter* awaiter : waiters_) {
    awaiter->condition_ = nullptr;
    awaiter->waiting_ = false;
  }
}

void Condition::notify() {
  const std::vector<Awaiter*> waiting = std::exchange(waiters_, {});
  for (Awaiter* awaiter : waiting) {
    awaiter->waiting_ = false;
    awaiter->resumer_.resumeSoon();
  }
}

void Condition::forget(Awaiter* awaiter) {
  std::erase(waiters_, awaiter);
}

Task<void> Trigger::wait() {
  while (!fired_) co_await changed_.next();
  co_return {};
}

}  // namespace su
