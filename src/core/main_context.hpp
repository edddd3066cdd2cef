// Owned main-context objects: a GSource that is destroyed with its owner, a signal handler that
// is disconnected with its owner, and a GCancellable that is cancelled with its owner.
// Library objects take the GMainContext they run on; none of these touch the global default.
#pragma once

#include <gio/gio.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/gref.hpp"
#include "core/result.hpp"

namespace su {

class Source {
 public:
  // Returns true to keep the source, false to remove it.
  using Callback = std::function<bool()>;

  Source() = default;

  // A repeating timer on `context`, first firing after `interval`.
  [[nodiscard]] static Source timeout(GMainContext* context, std::chrono::milliseconds interval,
                                      Callback callback, const char* name = nullptr);
  // Runs on the next iteration of `context`.
  [[nodiscard]] static Source idle(GMainContext* context, Callback callback,
                                   const char* name = nullptr);
  // Runs on `context` each time the process receives `signum` (SIGINT, SIGTERM, SIGHUP...).
  [[nodiscard]] static Source unixSignal(GMainContext* context, int signum, Callback callback);
  // Attaches a source whose callback the caller already set (a bus watch, a socket source).
  [[nodiscard]] static Source attach(GRef<GSource> source, GMainContext* context);

  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
  Source(Source&& other) noexcept = default;
  Source& operator=(Source&& other) noexcept;
  ~Source() { cancel(); }

  // Removes the source from its context; idempotent, safe inside the source's own callback.
  void cancel() noexcept;
  // Attached and not yet removed (a callback that returned false removes it).
  bool active() const noexcept;
  GSource* get() const noexcept { return source_.get(); }

 private:
  static Source attachWithCallback(GRef<GSource> source, GMainContext* context, Callback callback,
                                   const char* name);
  GRef<GSource> source_;
};

class SignalConnection {
 public:
  SignalConnection() = default;

  // g_signal_connect_data with a handler id that is disconnected on destruction. The instance is
  // held weakly: the connection never keeps it alive, and it may die first.
  [[nodiscard]] static SignalConnection connect(gpointer instance, const char* signal,
                                                GCallback handler, gpointer data,
                                                GConnectFlags flags = GConnectFlags(0));

  SignalConnection(const SignalConnection&) = delete;
  SignalConnection& operator=(const SignalConnection&) = delete;
  SignalConnection(SignalConnection&& other) noexcept = default;
  SignalConnection& operator=(SignalConnection&& other) noexcept;
  ~SignalConnection() { disconnect(); }

  void disconnect() noexcept;
  bool connected() const noexcept;

 private:
  struct WeakInstance;
  struct WeakInstanceDeleter {
    void operator()(WeakInstance* weak) const noexcept;
  };
  std::unique_ptr<WeakInstance, WeakInstanceDeleter> instance_;
  gulong handlerId_ = 0;
};

// Work for the next iteration of a context, owned: a closure that has not run when the owner
// goes runs its `cancel` instead (from the destructor), so every callback is completed once.
class Deferred {
 public:
  explicit Deferred(GMainContext* context) : context_(GRef<GMainContext>::ref(context)) {}
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;
  ~Deferred();

  void post(std::function<void()> run, std::function<void()> cancel = {});
  std::size_t pending() const noexcept { return calls_.size(); }

 private:
  struct Call {
    std::uint64_t id;
    std::function<void()> cancel;
    Source source;
  };
  GRef<GMainContext> context_;
  std::vector<Call> calls_;
  std::uint64_t nextId_ = 0;
};

// Runs `work` on `context` if its owner (whose `alive` token this is) still lives then: for
// callbacks that arrive on other threads (webrtcbin's, a streaming thread's).
void invokeIfAlive(GMainContext* context, std::weak_ptr<bool> alive, std::function<void()> work);

// Makes `context` the thread-default context for a scope, so that GIO and libsoup attach what
// they start in it (async operations, sources) to that context.
class ThreadDefaultScope {
 public:
  explicit ThreadDefaultScope(GMainContext* context) : context_(context) {
    g_main_context_push_thread_default(context_);
  }
  ~ThreadDefaultScope() { g_main_context_pop_thread_default(context_); }
  ThreadDefaultScope(const ThreadDefaultScope&) = delete;
  ThreadDefaultScope& operator=(const ThreadDefaultScope&) = delete;

 private:
  GMainContext* context_;
};

// One GCancellable per operation owner; the owner's destruction cancels what is still pending.
class Cancellable {
 public:
  Cancellable() : cancellable_(GRef<GCancellable>::adopt(g_cancellable_new())) {}
  Cancellable(const Cancellable&) = delete;
  Cancellable& operator=(const Cancellable&) = delete;
  Cancellable(Cancellable&&) noexcept = default;
  Cancellable& operator=(Cancellable&& other) noexcept;
  ~Cancellable() { cancel(); }

  void cancel() noexcept {
    if (cancellable_) g_cancellable_cancel(cancellable_.get());
  }
  bool cancelled() const noexcept {
    return cancellable_ && g_cancellable_is_cancelled(cancellable_.get());
  }
  // Cancels the current operations and starts afresh for the next ones.
  void renew();
  GCancellable* get() const noexcept { return cancellable_.get(); }

 private:
  GRef<GCancellable> cancellable_;
};

// A private context, the thread default for this object's life, and wait() to run it until an
// asynchronous call completes: for one-off synchronous work where blocking is right (a
// command-line call, an element's state change). Create, use and destroy it on one thread;
// whatever is waited for must be bounded by its own timeout.
class BlockingContext {
 public:
  BlockingContext() : context_(GRef<GMainContext>::adopt(g_main_context_new())) {
    g_main_context_push_thread_default(context_.get());
  }
  ~BlockingContext() { g_main_context_pop_thread_default(context_.get()); }
  BlockingContext(const BlockingContext&) = delete;
  BlockingContext& operator=(const BlockingContext&) = delete;

  GMainContext* get() const noexcept { return context_.get(); }

  // Starts an asynchronous call, `start(done)`, and runs the context until `done`.
  template <typename T, typename Start>
  Result<T> wait(Start start) {
    std::optional<Result<T>> result;
    start([&](Result<T> value) { result = std::move(value); });
    while (!result)
      g_main_context_iteration(context_.get(), TRUE);
    return std::move(*result);
  }

 private:
  GRef<GMainContext> context_;
};

}  // namespace su
