#include "core/main_context.hpp"

#include <glib-unix.h>

#include <algorithm>
#include <utility>

namespace su {

namespace {

gboolean dispatchCallback(gpointer data) noexcept {
  auto* callback = static_cast<Source::Callback*>(data);
  return (*callback)() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void deleteCallback(gpointer data) noexcept {
  delete static_cast<Source::Callback*>(data);
}

}  // namespace

Source Source::timeout(GMainContext* context, std::chrono::milliseconds interval, Callback callback,
                       const char* name) {
  const auto ms = static_cast<guint>(interval.count() < 0 ? 0 : interval.count());
  return attachWithCallback(GRef<GSource>::adopt(g_timeout_source_new(ms)), context,
                            std::move(callback), name);
}

Source Source::idle(GMainContext* context, Callback callback, const char* name) {
  return attachWithCallback(GRef<GSource>::adopt(g_idle_source_new()), context, std::move(callback),
                            name);
}

Source Source::unixSignal(GMainContext* context, int signum, Callback callback) {
  return attachWithCallback(GRef<GSource>::adopt(g_unix_signal_source_new(signum)), context,
                            std::move(callback), "su-unix-signal");
}

Source Source::attachWithCallback(GRef<GSource> source, GMainContext* context, Callback callback,
                                  const char* name) {
  // GLib holds the callback for as long as the source may dispatch, even when the source is
  // destroyed from inside its own callback, and frees it with deleteCallback afterwards.
  g_source_set_callback(source.get(), dispatchCallback, new Callback(std::move(callback)),
                        deleteCallback);
  if (name) g_source_set_name(source.get(), name);
  return attach(std::move(source), context);
}

Source Source::attach(GRef<GSource> source, GMainContext* context) {
  Source owned;
  g_source_attach(source.get(), context);
  owned.source_ = std::move(source);
  return owned;
}

Source& Source::operator=(Source&& other) noexcept {
  if (this != &other) {
    cancel();
    source_ = std::move(other.source_);
  }
  return *this;
}

void Source::cancel() noexcept {
  if (source_) {
    g_source_destroy(source_.get());
    source_.reset();
  }
}

bool Source::active() const noexcept {
  return source_ && !g_source_is_destroyed(source_.get());
}

// GWeakRef registers its own address with the object, so it lives on the heap and never moves.
struct SignalConnection::WeakInstance {
  GWeakRef ref;
};

void SignalConnection::WeakInstanceDeleter::operator()(WeakInstance* weak) const noexcept {
  g_weak_ref_clear(&weak->ref);
  delete weak;
}

SignalConnection SignalConnection::connect(gpointer instance, const char* signal, GCallback handler,
                                           gpointer data, GConnectFlags flags) {
  SignalConnection connection;
  connection.handlerId_ = g_signal_connect_data(instance, signal, handler, data, nullptr, flags);
  if (connection.handlerId_ != 0) {
    connection.instance_.reset(new WeakInstance);
    g_weak_ref_init(&connection.instance_->ref, instance);
  }
  return connection;
}

SignalConnection& SignalConnection::operator=(SignalConnection&& other) noexcept {
  if (this != &other) {
    disconnect();
    instance_ = std::move(other.instance_);
    handlerId_ = std::exchange(other.handlerId_, 0);
  }
  return *this;
}

void SignalConnection::disconnect() noexcept {
  if (!instance_) return;
  if (gpointer object = g_weak_ref_get(&instance_->ref)) {
    if (g_signal_handler_is_connected(object, handlerId_)) {
      g_signal_handler_disconnect(object, handlerId_);
    }
    g_object_unref(object);
  }
  instance_.reset();
  handlerId_ = 0;
}

bool SignalConnection::connected() const noexcept {
  if (!instance_) return false;
  gpointer object = g_weak_ref_get(&instance_->ref);
  if (!object) return false;
  const bool result = g_signal_handler_is_connected(object, handlerId_);
  g_object_unref(object);
  return result;
}

void invokeIfAlive(GMainContext* context, std::weak_ptr<bool> alive, std::function<void()> work) {
  struct Call {
    std::weak_ptr<bool> alive;
    std::function<void()> work;
  };
  g_main_context_invoke_full(
      context, G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto* call = static_cast<Call*>(data);
        if (!call->alive.expired()) call->work();
        return G_SOURCE_REMOVE;
      },
      new Call{std::move(alive), std::move(work)},
      [](gpointer data) { delete static_cast<Call*>(data); });
}

Deferred::~Deferred() {
  std::vector<Call> calls = std::move(calls_);
  for (Call& call : calls) {
    call.source.cancel();
    if (call.cancel) call.cancel();
  }
}

void Deferred::post(std::function<void()> run, std::function<void()> cancel) {
  const std::uint64_t id = nextId_++;
  calls_.push_back(Call{id, std::move(cancel), Source()});
  calls_.back().source = Source::idle(context_.get(), [this, id, run = std::move(run)] {
    auto call =
        std::find_if(calls_.begin(), calls_.end(), [id](const Call& c) { return c.id == id; });
    // Forget the call before running it: `run` may post more, or destroy this Deferred.
    Source keep = std::move(call->source);
    calls_.erase(call);
    run();
    return false;
  });
}

Cancellable& Cancellable::operator=(Cancellable&& other) noexcept {
  if (this != &other) {
    cancel();
    cancellable_ = std::move(other.cancellable_);
  }
  return *this;
}

void Cancellable::renew() {
  cancel();
  cancellable_ = GRef<GCancellable>::adopt(g_cancellable_new());
}

}  // namespace su
