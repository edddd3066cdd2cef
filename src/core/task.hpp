// su::Task<T>: asynchronous sequences written as C++20 coroutines that read top to bottom.
//
//   Task<MountPointSection> provision() {
//     auto created = co_await call<janus::MountPointCreated>(
//         [&](auto done) { streaming.create(spec, std::move(done)); });
//     if (!created) co_return created.error();
//     co_await sleep(200ms);
//     co_return MountPointSection{...};
//   }
//
// Rules (docs/architecture.md, "The async style"):
// - A task yields a Result<T>: `co_return value;`, `co_return error;` (`co_return {};` for
//   Task<void>), and `co_await task` gives the Result. An exception that leaves a coroutine body
//   becomes an error Result; none ever reaches a GLib frame.
// - Tasks are lazy. The root of a tree of tasks is run with start(context, done); its first step
//   and every resumption after a wait run on that context, from its own dispatch: never inside
//   the caller's stack, never on a streaming thread. `done` is called there too.
// - Destroying the Task that owns a tree destroys every suspended frame in it: the awaiters in
//   those frames cancel what they wait on (timers, GCancellables, pending requests) and nothing
//   of the tree runs again, `done` included. This may happen from inside the tree's own code
//   (a continuation that destroys its owner): the frames go once the current step suspends.
#pragma once

#include <coroutine>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/backoff.hpp"
#include "core/callbacks.hpp"
#include "core/main_context.hpp"
#include "core/result.hpp"

namespace su {

template <typename T>
class Task;

namespace task_detail {

// What the coroutines of one tree share: the context they run on, and whether the tree's owner
// let go of it while one of them was running.
struct Root {
  GMainContext* context = nullptr;
  int resuming = 0;
  bool abandoned = false;
  std::coroutine_handle<> frame;
};

// Resumes `handle`, a suspended coroutine of `root`'s tree, and destroys the tree afterwards if
// its owner let go of it meanwhile.
void resume(Root* root, std::coroutine_handle<> handle) noexcept;

// The error an exception leaving a coroutine body becomes.
Error fromException() noexcept;

struct PromiseBase {
  Root ownRoot;                          // used when this coroutine is a tree's root
  Root* root = nullptr;                  // set when it is started or awaited
  std::coroutine_handle<> continuation;  // the coroutine awaiting it, if any
  std::function<void()> onDone;          // otherwise told here when it finishes

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
      PromiseBase& promise = self.promise();
      if (promise.continuation) return promise.continuation;
      // May destroy the tree's owner; the tree then goes once the running step is over.
      if (auto done = std::exchange(promise.onDone, nullptr)) done();
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
};

template <typename T>
struct Promise : PromiseBase {
  std::optional<Result<T>> result;

  Task<T> get_return_object() noexcept;
  void return_value(Result<T> value) noexcept(std::is_nothrow_move_constructible_v<Result<T>>) {
    result.emplace(std::move(value));
  }
  void unhandled_exception() noexcept { result.emplace(fromException()); }
};

// What a leaf awaitable (a timer, a callback, a condition) needs to resume the coroutine that
// awaits it: bound in await_suspend, it resumes now (from a GLib dispatch of the context) or on
// the context's next iteration (from inside somebody else's call). A pending "soon" is dropped
// with the awaitable.
class Resumer {
 public:
  template <typename Promise>
  void bind(std::coroutine_handle<Promise> handle) noexcept {
    root_ = handle.promise().root;
    handle_ = handle;
  }
  GMainContext* context() const noexcept { return root_->context; }
  void resumeNow() const noexcept { resume(root_, handle_); }
  void resumeSoon() {
    soon_ = Source::idle(
        root_->context,
        [root = root_, handle = handle_] {
          resume(root, handle);
          return false;
        },
        "su-task-resume");
  }

 private:
  Root* root_ = nullptr;
  std::coroutine_handle<> handle_;
  Source soon_;
};

}  // namespace task_detail

template <typename T>
class [[nodiscard]] Task {
 public:
  using promise_type = task_detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle handle) noexcept : handle_(handle) {}
  Task(Task&& other) noexcept
      : handle_(std::exchange(other.handle_, {})), starter_(std::move(other.starter_)) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
      starter_ = std::move(other.starter_);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  // Runs the task as the root of its tree on `context`, from the context's next iteration;
  // `done` gets its result there. Neither runs once the Task is destroyed.
  void start(GMainContext* context, std::function<void(Result<T>)> done = {}) {
    promise_type& promise = handle_.promise();
    promise.ownRoot.context = context;
    promise.ownRoot.frame = handle_;
    promise.root = &promise.ownRoot;
    promise.onDone = [&promise, done = std::move(done)] {
      if (done) done(std::move(*promise.result));
    };
    starter_ = Source::idle(
        context,
        [root = promise.root, handle = handle_] {
          task_detail::resume(root, handle);
          return false;
        },
        "su-task-start");
  }

  // Finished: its result was handed over.
  bool finished() const noexcept { return handle_ && handle_.done(); }
  // Has a coroutine that has not finished yet.
  bool busy() const noexcept { return handle_ && !handle_.done(); }

  // Cancels the tree: see the top of this file.
  void reset() noexcept {
    starter_.cancel();
    if (!handle_) return;
    Handle handle = std::exchange(handle_, {});
    task_detail::Root* root = handle.promise().root;
    if (root == &handle.promise().ownRoot && root->resuming > 0) {
      handle.promise().onDone = nullptr;
      root->abandoned = true;  // destroyed by resume() once the running step suspends
      return;
    }
    handle.destroy();
  }

  // `co_await task()` inside another task: runs it in the awaiting task's tree.
  class Awaiter {
   public:
    explicit Awaiter(Handle child) noexcept : child_(child) {}
    bool await_ready() const noexcept { return false; }
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> parent) noexcept {
      child_.promise().root = parent.promise().root;
      child_.promise().continuation = parent;
      return child_;
    }
    Result<T> await_resume() { return std::move(*child_.promise().result); }

   private:
    Handle child_;
  };
  Awaiter operator co_await() && noexcept { return Awaiter(handle_); }

 private:
  template <typename U>
  friend class AnyOf;
  Handle handle_;
  Source starter_;
};

template <typename T>
Task<T> task_detail::Promise<T>::get_return_object() noexcept {
  return Task<T>(Task<T>::Handle::from_promise(*this));
}

// --- awaitables ---------------------------------------------------------------------------------

// `co_await sleep(200ms)`: resumes after the interval, on the task's context.
class [[nodiscard]] Sleep {
 public:
  explicit Sleep(Milliseconds interval) : interval_(interval) {}
  bool await_ready() const noexcept { return false; }
  template <typename Promise>
  void await_suspend(std::coroutine_handle<Promise> handle) {
    resumer_.bind(handle);
    timer_ = Source::timeout(
        resumer_.context(), interval_,
        [this] {
          resumer_.resumeNow();
          return false;
        },
        "su-task-sleep");
  }
  void await_resume() const noexcept {}

 private:
  Milliseconds interval_;
  task_detail::Resumer resumer_;
  Source timer_;
};
inline Sleep sleep(Milliseconds interval) {
  return Sleep(interval);
}
// The same wait as a task, for anyOf().
Task<void> delay(Milliseconds interval);

// `co_await call<T>([&](Callback<T> done) { api.request(..., std::move(done)); })`: an API that
// completes with a Callback<T>, on the task's context or any thread. The result resumes the task
// on its context's next iteration.
// A result that comes after the awaiting task was destroyed is dropped; `cancel`, if given, is
// called then to tell the API that nobody waits any more.
template <typename T>
class [[nodiscard]] CallbackAwaiter {
 public:
  using Start = std::function<void(Callback<T>)>;
  CallbackAwaiter(Start start, std::function<void()> cancel)
      : start_(std::move(start)), cancel_(std::move(cancel)) {}
  CallbackAwaiter(CallbackAwaiter&&) = default;
  CallbackAwaiter(const CallbackAwaiter&) = delete;
  CallbackAwaiter& operator=(const CallbackAwaiter&) = delete;
  ~CallbackAwaiter() {
    if (!state_) return;
    const bool pending = !state_->result;
    state_->awaiter = nullptr;
    if (pending && cancel_) cancel_();
  }

  bool await_ready() const noexcept { return false; }
  template <typename Promise>
  void await_suspend(std::coroutine_handle<Promise> handle) {
    resumer_.bind(handle);
    state_ = std::make_shared<State>();
    state_->awaiter = this;
    state_->context = GRef<GMainContext>::ref(resumer_.context());
    start_([state = state_](Result<T> result) {
      if (g_main_context_is_owner(state->context.get())) {
        deliver(*state, std::move(result));
        return;
      }
      // Called on another thread (a streaming thread, webrtcbin's): hop to the context first.
      auto* hop = new std::pair<std::shared_ptr<State>, Result<T>>(state, std::move(result));
      g_main_context_invoke_full(
          state->context.get(), G_PRIORITY_DEFAULT,
          [](gpointer data) noexcept -> gboolean {
            auto* hopped = static_cast<std::pair<std::shared_ptr<State>, Result<T>>*>(data);
            deliver(*hopped->first, std::move(hopped->second));
            return G_SOURCE_REMOVE;
          },
          hop,
          [](gpointer data) noexcept {
            delete static_cast<std::pair<std::shared_ptr<State>, Result<T>>*>(data);
          });
    });
  }
  Result<T> await_resume() { return std::move(*state_->result); }

 private:
  struct State {
    CallbackAwaiter* awaiter = nullptr;
    GRef<GMainContext> context;
    std::optional<Result<T>> result;
  };
  static void deliver(State& state, Result<T> result) {
    if (!state.awaiter || state.result) return;  // the task is gone, or a second call
    state.result.emplace(std::move(result));
    state.awaiter->resumer_.resumeSoon();
  }
  Start start_;
  std::function<void()> cancel_;
  std::shared_ptr<State> state_;
  task_detail::Resumer resumer_;
};
template <typename T>
CallbackAwaiter<T> call(typename CallbackAwaiter<T>::Start start,
                        std::function<void()> cancel = {}) {
  return CallbackAwaiter<T>(std::move(start), std::move(cancel));
}

// `co_await gio<T>(start, finish)`: a GIO-style asynchronous call. `start(cancellable, callback,
// data)` begins it, `finish(result, &error)` collects it (a null GError means success). The
// call's GCancellable is cancelled when the awaiting task goes first.
using GioStart = std::function<void(GCancellable*, GAsyncReadyCallback, gpointer)>;
template <typename T>
using GioFinish = std::function<T(GAsyncResult*, GError**)>;

namespace task_detail {
template <typename T>
struct GioCall {
  GioFinish<T> finish;
  Callback<T> done;

  // GIO always calls back, cancelled or not: this lives until then.
  static void ready(GObject*, GAsyncResult* async, gpointer data) noexcept {
    std::unique_ptr<GioCall> call(static_cast<GioCall*>(data));
    GError* error = nullptr;
    try {
      T value = call->finish(async, &error);
      if (error) {
        call->done(Error::fromGError(error));
        g_error_free(error);
      } else {
        call->done(std::move(value));
      }
    } catch (...) {
      if (error) g_error_free(error);
      call->done(fromException());
    }
  }
};
}  // namespace task_detail

template <typename T>
CallbackAwaiter<T> gio(GioStart start, GioFinish<T> finish) {
  auto cancellable = std::make_shared<Cancellable>();
  return call<T>(
      [start = std::move(start), finish = std::move(finish), cancellable](Callback<T> done) {
        start(cancellable->get(), &task_detail::GioCall<T>::ready,
              new task_detail::GioCall<T>{finish, std::move(done)});
      },
      [cancellable] { cancellable->cancel(); });
}

// Something that changes, for tasks waiting for a condition on it: notify() wakes every task
// waiting at that moment (on the context's next iteration), which then checks again.
//   while (!relayRunning()) co_await relayChanged_.next();
class Condition {
 public:
  Condition() = default;
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  ~Condition();

  class [[nodiscard]] Awaiter {
   public:
    explicit Awaiter(Condition& condition) : condition_(&condition) {}
    Awaiter(Awaiter&& other) noexcept : condition_(std::exchange(other.condition_, nullptr)) {}
    Awaiter(const Awaiter&) = delete;
    ~Awaiter() {
      if (condition_ && waiting_) condition_->forget(this);
    }
    bool await_ready() const noexcept { return condition_ == nullptr; }
    template <typename Promise>
    void await_suspend(std::coroutine_handle<Promise> handle) {
      resumer_.bind(handle);
      waiting_ = true;
      condition_->waiters_.push_back(this);
    }
    void await_resume() const noexcept {}

   private:
    friend class Condition;
    Condition* condition_;
    bool waiting_ = false;
    task_detail::Resumer resumer_;
  };

  // The next notify(). A Condition destroyed first leaves its waiters waiting: their tasks go
  // with the object that owns both.
  Awaiter next() { return Awaiter(*this); }
  void notify();

 private:
  void forget(Awaiter* awaiter);
  std::vector<Awaiter*> waiters_;
};

// A one-shot event: tasks that wait for it resume once it fired (at once if it has).
class Trigger {
 public:
  void fire() {
    fired_ = true;
    changed_.notify();
  }
  bool fired() const noexcept { return fired_; }
  Task<void> wait();

 private:
  bool fired_ = false;
  Condition changed_;
};

// The first of several tasks to finish gives the result; the others are destroyed (cancelled)
// with it. They all run in the awaiting task's tree.
//   auto publisher = co_await anyOf(publisherAppears(), failAfter<Publisher>(30s, error));
template <typename T>
class [[nodiscard]] AnyOf {
 public:
  explicit AnyOf(std::vector<Task<T>> tasks) : tasks_(std::move(tasks)) {}
  AnyOf(AnyOf&&) = default;

  bool await_ready() const noexcept { return tasks_.empty(); }
  template <typename Promise>
  void await_suspend(std::coroutine_handle<Promise> handle) {
    resumer_.bind(handle);
    for (Task<T>& task : tasks_) {
      if (result_) break;  // one finished at once: the rest never start
      auto& promise = task.handle_.promise();
      promise.root = handle.promise().root;
      promise.onDone = [this, &promise] {
        if (result_) return;
        result_.emplace(std::move(*promise.result));
        resumer_.resumeSoon();
      };
      task.handle_.resume();
    }
  }
  Result<T> await_resume() {
    tasks_.clear();  // the others stop here
    if (!result_) return Error{G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "anyOf() of nothing", {}};
    return std::move(*result_);
  }

 private:
  std::vector<Task<T>> tasks_;
  std::optional<Result<T>> result_;
  task_detail::Resumer resumer_;
};
template <typename T, typename... More>
Task<T> anyOf(Task<T> first, More... more) {
  std::vector<Task<T>> tasks;
  tasks.push_back(std::move(first));
  (tasks.push_back(std::move(more)), ...);
  co_return co_await AnyOf<T>(std::move(tasks));
}

// A task that fails with `error` after `interval`: the timeout in anyOf().
template <typename T>
Task<T> failAfter(Milliseconds interval, Error error) {
  co_await sleep(interval);
  co_return error;
}

// A task that fails with `error` once `trigger` fires: a stop request in anyOf().
template <typename T>
Task<T> failWhen(Trigger& trigger, Error error) {
  (void)co_await trigger.wait();
  co_return error;
}

// Runs `task` as a root on `context` until it finishes: a command that does one thing and exits.
template <typename T>
Result<T> runTask(BlockingContext& context, Task<T> task) {
  return context.wait<T>([&](Callback<T> done) { task.start(context.get(), std::move(done)); });
}

// Tasks that run side by side for one owner (health checks, undoing a late success): each is
// dropped once it finished, and all that still run are cancelled with the group.
class TaskGroup {
 public:
  explicit TaskGroup(GMainContext* context) : context_(GRef<GMainContext>::ref(context)) {}
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  void spawn(Task<void> task);
  std::size_t size() const noexcept { return tasks_.size(); }
  // Cancels every task still running (as the group's end does).
  void cancelAll() noexcept { tasks_.clear(); }

 private:
  GRef<GMainContext> context_;
  std::list<Task<void>> tasks_;
};

}  // namespace su
