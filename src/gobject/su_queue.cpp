#include <memory>
#include <string>

#include "core/task.hpp"
#include "json/diagnostics.hpp"
#include "model/decode.hpp"
#include "model/job_envelope.hpp"
#include "queue/queue_url.hpp"
#include "su-queue.h"
#include "su_private.hpp"

namespace {

using su::GRef;

struct QueueData {
  GRef<GMainContext> context;
  std::unique_ptr<su::queue::JobQueue> queue;
  std::string name;
  PendingTasks pending;
  std::unique_ptr<su::TaskGroup> calls;  // one coroutine per call in flight
};

}  // namespace

struct _SuQueue {
  GObject parent;
  QueueData* data;
};

G_DEFINE_FINAL_TYPE(SuQueue, su_queue, G_TYPE_OBJECT)

namespace {

void dispose(GObject* object) noexcept {
  QueueData& data = *SU_QUEUE(object)->data;
  data.calls.reset();  // their callbacks will not come: the pending tasks end as cancelled
  data.pending.cancelAll();
  G_OBJECT_CLASS(su_queue_parent_class)->dispose(object);
}

void finalize(GObject* object) noexcept {
  delete SU_QUEUE(object)->data;
  G_OBJECT_CLASS(su_queue_parent_class)->finalize(object);
}

// Runs one queue operation and ends `task` with its outcome, as JSON text or a message id.
su::Task<void> completing(QueueData& data, GTask* task, su::Task<std::string> operation) {
  auto outcome = co_await std::move(operation);
  if (!data.pending.complete(task) || suReturnedCancelled(task)) co_return {};
  if (!outcome) {
    suReturnError(task, SU_ERROR_QUEUE_FAILED,
                  "cannot use the queue " + data.name + ": " + outcome.error().message);
    co_return {};
  }
  g_task_return_pointer(task, g_strdup(outcome->c_str()), g_free);
  g_object_unref(task);
  co_return {};
}

su::Task<std::string> statsText(su::queue::JobQueue& queue) {
  auto stats = co_await queue.stats();
  if (!stats) co_return stats.error();
  co_return stats->toJson().toString();
}

void enqueue(SuQueue* self, GTask* task, su::model::JobEnvelope job) {
  QueueData& data = *self->data;
  su::json::Diagnostics diagnostics;
  job.validate("", diagnostics);
  if (!diagnostics.ok()) {
    data.pending.complete(task);
    return suReturnError(
        task, SU_ERROR_INVALID_REQUEST,
        su::model::invalidDocument("job envelope", diagnostics.errors()).describe());
  }
  data.calls->spawn(completing(data, task, data.queue->enqueue(std::move(job))));
}

char* propagateText(SuQueue* self, GAsyncResult* result, GError** error) {
  g_return_val_if_fail(g_task_is_valid(result, self), nullptr);
  return static_cast<char*>(g_task_propagate_pointer(G_TASK(result), error));
}

}  // namespace

static void su_queue_init(SuQueue* self) {
  self->data = new QueueData;
}

static void su_queue_class_init(SuQueueClass* klass) {
  G_OBJECT_CLASS(klass)->dispose = dispose;
  G_OBJECT_CLASS(klass)->finalize = finalize;
}

SuQueue* su_queue_new(const char* url, GError** error) {
  g_return_val_if_fail(url != nullptr, nullptr);
  g_return_val_if_fail(error == nullptr || *error == nullptr, nullptr);
  GRef<GMainContext> context = GRef<GMainContext>::adopt(g_main_context_ref_thread_default());
  auto parsed = su::queue::parseQueueUrl(url);
  auto queue = parsed ? su::queue::openQueue(context.get(), *parsed)
                      : su::Result<std::unique_ptr<su::queue::JobQueue>>(parsed.error());
  if (!queue) {
    g_set_error_literal(error, SU_ERROR, SU_ERROR_INVALID_QUEUE, queue.error().message.c_str());
    return nullptr;
  }
  auto* self = SU_QUEUE(g_object_new(SU_TYPE_QUEUE, nullptr));
  QueueData& data = *self->data;
  data.context = std::move(context);
  data.queue = std::move(*queue);
  data.name = data.queue->name();
  data.calls = std::make_unique<su::TaskGroup>(data.context.get());
  return self;
}

const char* su_queue_get_name(SuQueue* self) {
  g_return_val_if_fail(SU_IS_QUEUE(self), nullptr);
  return self->data->name.c_str();
}

void su_queue_enqueue_start_async(SuQueue* self, SuBroadcastRequest* request,
                                  GCancellable* cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data) {
  g_return_if_fail(SU_IS_QUEUE(self));
  g_return_if_fail(SU_IS_BROADCAST_REQUEST(request));
  GTask* task = self->data->pending.start(self, cancellable, callback, user_data,
                                          reinterpret_cast<gpointer>(su_queue_enqueue_start_async));
  auto model = suBroadcastRequestModel(request);
  if (!model) {
    self->data->pending.complete(task);
    return suReturnError(task, SU_ERROR_INVALID_REQUEST, model.error().describe());
  }
  enqueue(self, task, su::model::JobEnvelope::start(std::move(*model)));
}

char* su_queue_enqueue_start_finish(SuQueue* self, GAsyncResult* result, GError** error) {
  return propagateText(self, result, error);
}

void su_queue_enqueue_stop_async(SuQueue* self, const char* broadcast_id, GCancellable* cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SU_IS_QUEUE(self));
  g_return_if_fail(broadcast_id != nullptr);
  GTask* task = self->data->pending.start(self, cancellable, callback, user_data,
                                          reinterpret_cast<gpointer>(su_queue_enqueue_stop_async));
  enqueue(self, task, su::model::JobEnvelope::stop(broadcast_id));
}

char* su_queue_enqueue_stop_finish(SuQueue* self, GAsyncResult* result, GError** error) {
  return propagateText(self, result, error);
}

void su_queue_stats_async(SuQueue* self, GCancellable* cancellable, GAsyncReadyCallback callback,
                          gpointer user_data) {
  g_return_if_fail(SU_IS_QUEUE(self));
  GTask* task = self->data->pending.start(self, cancellable, callback, user_data,
                                          reinterpret_cast<gpointer>(su_queue_stats_async));
  QueueData& data = *self->data;
  data.calls->spawn(completing(data, task, statsText(*data.queue)));
}

char* su_queue_stats_finish(SuQueue* self, GAsyncResult* result, GError** error) {
  return propagateText(self, result, error);
}

su::queue::JobQueue& suQueueJobs(SuQueue* self) {
  return *self->data->queue;
}
