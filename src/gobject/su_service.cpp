#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/init.hpp"
#include "json/node.hpp"
#include "orchestrator/orchestrator.hpp"
#include "service/broadcast_service.hpp"
#include "service/service.hpp"
#include "su-error.h"
#include "su-service.h"
#include "su_private.hpp"
#include "worker/worker.hpp"

namespace {

using su::GRef;

struct ServiceData {
  GRef<GMainContext> context;
  su::service::Config config;
  std::optional<std::string> adminKey;
  std::unique_ptr<su::service::Service> service;
  std::map<std::string, GRef<GObject>> broadcasts;  // SuBroadcast
  PendingTasks pending;
  // The worker running jobs from a SuQueue, kept (with its figures) after a drain until the next.
  GRef<GObject> workerQueue;  // SuQueue
  std::unique_ptr<su::worker::Worker> worker;
  std::vector<GTask*> drainWaiters;  // drain calls made while the worker drains
  bool drained = false;
  bool disposing = false;
};

enum { PROP_0, PROP_JANUS_URL, PROP_API_SECRET, PROP_TOKEN, PROP_ADMIN_KEY, PROP_CA_FILE, N_PROPS };
GParamSpec* properties[N_PROPS];

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_EVENT,
  SIGNAL_ERROR,
  SIGNAL_WORKER_JOB,
  SIGNAL_WORKER_ERROR,
  N_SIGNALS
};
guint signals[N_SIGNALS];

std::optional<std::string> optionalString(const GValue* value) {
  const char* text = g_value_get_string(value);
  return text && *text ? std::optional<std::string>(text) : std::nullopt;
}

}  // namespace

struct _SuService {
  GObject parent;
  ServiceData* data;
};

G_DEFINE_FINAL_TYPE(SuService, su_service, G_TYPE_OBJECT)

namespace {

// The broadcast of `id`, made when first heard of.
SuBroadcast* broadcastOf(SuService* self, const std::string& id) {
  auto& slot = self->data->broadcasts[id];
  if (!slot) slot = GRef<GObject>::adopt(G_OBJECT(suBroadcastNew(id)));
  return SU_BROADCAST(slot.get());
}

SuBroadcast* updated(SuService* self, const su::model::BroadcastResult& result) {
  SuBroadcast* broadcast = broadcastOf(self, result.broadcastId);
  suBroadcastUpdate(broadcast, result);
  return broadcast;
}

su::orchestrator::Observer observerOf(SuService* self) {
  su::orchestrator::Observer observer;
  observer.onState = [self](const std::string& id, su::model::RunState state) {
    if (self->data->disposing) return;
    SuBroadcast* broadcast = broadcastOf(self, id);
    const std::string name(su::model::nameOf(state));
    suBroadcastSetState(broadcast, name);
    g_signal_emit(self, signals[SIGNAL_STATE_CHANGED], 0, broadcast, name.c_str());
  };
  observer.onEvent = [self](const std::string& id, const std::string& event,
                            const su::json::Value& details) {
    if (self->data->disposing) return;
    const std::string text = details.present() ? details.toString() : "{}";
    g_signal_emit(self, signals[SIGNAL_EVENT], 0, broadcastOf(self, id), event.c_str(),
                  text.c_str());
  };
  observer.onError = [self](const std::string& id, const std::string& phase,
                            const su::Error& error) {
    if (self->data->disposing) return;
    GError* gerror = g_error_new_literal(SU_ERROR, SU_ERROR_FAILED, error.message.c_str());
    g_signal_emit(self, signals[SIGNAL_ERROR], 0, broadcastOf(self, id), phase.c_str(), gerror);
    g_error_free(gerror);
  };
  return observer;
}

// Whether a callback is to complete `task`: not while the service is disposed (its C++ side may
// still call back as it stops the broadcasts; the dispose completes the task instead).
bool taken(SuService* self, GTask* task) {
  return !self->data->disposing && self->data->pending.complete(task);
}

const char* orNull(const std::string& text) {
  return text.empty() ? nullptr : text.c_str();
}

su::worker::WorkerObserver workerObserverOf(SuService* self) {
  su::worker::WorkerObserver observer;
  observer.onJob = [self](const su::worker::JobEvent& job) {
    if (self->data->disposing) return;
    g_signal_emit(self, signals[SIGNAL_WORKER_JOB], 0, job.what.c_str(), orNull(job.action),
                  job.jobId.c_str(), orNull(job.broadcastId),
                  job.error ? job.error->c_str() : nullptr);
  };
  observer.onError = [self](const std::string& broadcastId, const std::string& phase,
                            const su::Error& error) {
    if (self->data->disposing) return;
    GError* gerror =
        g_error_new_literal(SU_ERROR, phase == "queue" ? SU_ERROR_QUEUE_FAILED : SU_ERROR_FAILED,
                            error.message.c_str());
    g_signal_emit(self, signals[SIGNAL_WORKER_ERROR], 0, phase.c_str(), orNull(broadcastId),
                  gerror);
    g_error_free(gerror);
  };
  return observer;
}

void setProperty(GObject* object, guint id, const GValue* value, GParamSpec* spec) noexcept {
  ServiceData& data = *SU_SERVICE(object)->data;
  switch (id) {
    case PROP_JANUS_URL:
      if (const char* url = g_value_get_string(value)) data.config.janusUrl = url;
      break;
    case PROP_API_SECRET:
      data.config.apiSecret = optionalString(value);
      break;
    case PROP_TOKEN:
      data.config.token = optionalString(value);
      break;
    case PROP_ADMIN_KEY:
      data.adminKey = optionalString(value);
      break;
    case PROP_CA_FILE:
      data.config.caFile = optionalString(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void getProperty(GObject* object, guint id, GValue* value, GParamSpec* spec) noexcept {
  ServiceData& data = *SU_SERVICE(object)->data;
  switch (id) {
    case PROP_JANUS_URL:
      g_value_set_string(value, data.config.janusUrl.c_str());
      break;
    case PROP_CA_FILE:
      g_value_set_string(value, data.config.caFile ? data.config.caFile->c_str() : nullptr);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void constructed(GObject* object) noexcept {
  auto* self = SU_SERVICE(object);
  if (auto initialized = su::init(); !initialized) {
    g_critical("streaming-utils: %s", initialized.error().message.c_str());
  }
  self->data->context = GRef<GMainContext>::adopt(g_main_context_ref_thread_default());
  self->data->config.streamingAdminKey = self->data->adminKey;
  self->data->service = std::make_unique<su::service::Service>(
      self->data->context.get(), self->data->config, observerOf(self));
  G_OBJECT_CLASS(su_service_parent_class)->constructed(object);
}

void dispose(GObject* object) noexcept {
  auto* self = SU_SERVICE(object);
  ServiceData& data = *self->data;
  data.disposing = true;
  data.worker.reset();  // it runs on the service's orchestrator
  data.workerQueue.reset();
  data.service.reset();  // stops every broadcast, iterating the context
  data.broadcasts.clear();
  data.drainWaiters.clear();
  data.pending.cancelAll();  // their callbacks will not come
  G_OBJECT_CLASS(su_service_parent_class)->dispose(object);
}

void finalize(GObject* object) noexcept {
  delete SU_SERVICE(object)->data;
  G_OBJECT_CLASS(su_service_parent_class)->finalize(object);
}

}  // namespace

static void su_service_init(SuService* self) {
  self->data = new ServiceData;
}

static void su_service_class_init(SuServiceClass* klass) {
  auto* objectClass = G_OBJECT_CLASS(klass);
  objectClass->set_property = setProperty;
  objectClass->get_property = getProperty;
  objectClass->constructed = constructed;
  objectClass->dispose = dispose;
  objectClass->finalize = finalize;

  const auto construct =
      GParamFlags(G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  const auto secret =
      GParamFlags(G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_JANUS_URL] =
      g_param_spec_string("janus-url", nullptr, nullptr, "ws://127.0.0.1:8188", construct);
  properties[PROP_API_SECRET] =
      g_param_spec_string("api-secret", nullptr, nullptr, nullptr, secret);
  properties[PROP_TOKEN] = g_param_spec_string("token", nullptr, nullptr, nullptr, secret);
  properties[PROP_ADMIN_KEY] = g_param_spec_string("admin-key", nullptr, nullptr, nullptr, secret);
  properties[PROP_CA_FILE] = g_param_spec_string("ca-file", nullptr, nullptr, nullptr, construct);
  g_object_class_install_properties(objectClass, N_PROPS, properties);

  signals[SIGNAL_STATE_CHANGED] =
      g_signal_new("broadcast-state-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                   nullptr, nullptr, nullptr, G_TYPE_NONE, 2, SU_TYPE_BROADCAST, G_TYPE_STRING);
  signals[SIGNAL_EVENT] = g_signal_new("broadcast-event", G_TYPE_FROM_CLASS(klass),
                                       G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE,
                                       3, SU_TYPE_BROADCAST, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_ERROR] = g_signal_new("broadcast-error", G_TYPE_FROM_CLASS(klass),
                                       G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE,
                                       3, SU_TYPE_BROADCAST, G_TYPE_STRING, G_TYPE_ERROR);
  signals[SIGNAL_WORKER_JOB] = g_signal_new(
      "worker-job", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_WORKER_ERROR] =
      g_signal_new("worker-error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                   nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_ERROR);
}

SuService* su_service_new(const char* janus_url) {
  return SU_SERVICE(g_object_new(SU_TYPE_SERVICE, "janus-url", janus_url, nullptr));
}

void su_service_connect_async(SuService* self, GCancellable* cancellable,
                              GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SU_IS_SERVICE(self));
  GTask* task = self->data->pending.start(self, cancellable, callback, user_data,
                                          reinterpret_cast<gpointer>(su_service_connect_async));
  self->data->service->connect([self, task](su::Result<void> connected) {
    if (!taken(self, task) || suReturnedCancelled(task)) return;
    if (!connected) return suReturnError(task, SU_ERROR_NOT_CONNECTED, connected.error().message);
    suReturnTrue(task);
  });
}

gboolean su_service_connect_finish(SuService* self, GAsyncResult* result, GError** error) {
  g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
  return g_task_propagate_boolean(G_TASK(result), error);
}

namespace {

// What a start, from JSON or from a request object, completes `task` with.
su::Callback<su::model::BroadcastResult> startCompletion(SuService* self, GTask* task) {
  return [self, task](su::Result<su::model::BroadcastResult> started) {
    if (!taken(self, task)) return;
    if (!started) {
      const bool notConnected = started.error().is(su::service::ServiceError::NotConnected);
      return suReturnError(task, notConnected ? SU_ERROR_NOT_CONNECTED : SU_ERROR_INVALID_REQUEST,
                           started.error().describe());
    }
    SuBroadcast* broadcast = updated(self, *started);
    if (g_cancellable_is_cancelled(g_task_get_cancellable(task)) &&
        started->state != su::model::RunState::Failed) {
      // Nothing left behind: the caller no longer wants it.
      self->data->service->stop(started->broadcastId,
                                [](const su::Result<su::model::BroadcastResult>&) {});
    }
    if (suReturnedCancelled(task)) return;
    if (started->state == su::model::RunState::Failed) {
      return suReturnError(task, SU_ERROR_BROADCAST_FAILED,
                           started->error ? started->error->message : "the broadcast failed");
    }
    g_task_return_pointer(task, g_object_ref(broadcast), g_object_unref);
    g_object_unref(task);
  };
}

}  // namespace

void su_service_start_async(SuService* self, const char* request_json, GCancellable* cancellable,
                            GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SU_IS_SERVICE(self));
  g_return_if_fail(request_json != nullptr);
  GTask* task = self->data->pending.start(self, cancellable, callback, user_data,
                                          reinterpret_cast<gpointer>(su_service_start_async));
  self->data->service->start(request_json, startCompletion(self, task));
}

void su_service_start_request_async(SuService* self, SuBroadcastRequest* request,
                                    GCancellable* cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data) {
  g_return_if_fail(SU_IS_SERVICE(self));
  g_return_if_fail(SU_IS_BROADCAST_REQUEST(request));
  GTask* task =
      self->data->pending.start(self, cancellable, callback, user_data,
                                reinterpret_cast<gpointer>(su_service_start_request_async));
  auto model = suBroadcastRequestModel(request);
  if (!model) {
    // GTask completes it on the context, never inside this call (as for invalid JSON).
    self->data->pending.complete(task);
    return suReturnError(task, SU_ERROR_INVALID_REQUEST, model.error().describe());
  }
  self->data->service->start(std::move(*model), startCompletion(self, task));
}

SuBroadcast* su_service_start_request_finish(SuService* self, GAsyncResult* result,
                                             GError** error) {
  return su_service_start_finish(self, result, error);
}

SuBroadcast* su_service_start_finish(SuService* self, GAsyncResult* result, GError** error) {
  g_return_val_if_fail(g_task_is_valid(result, self), nullptr);
  return SU_BROADCAST(g_task_propagate_pointer(G_TASK(result), error));
}

void su_service_stop_async(SuService* self, const char* broadcast_id, GCancellable* cancellable,
                           GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SU_IS_SERVICE(self));
  g_return_if_fail(broadcast_id != nullptr);
  GTask* task = self->data->pending.start(self, cancellable, callback, user_data,
                                          reinterpret_cast<gpointer>(su_service_stop_async));
  self->data->service->stop(
      broadcast_id, [self, task](su::Result<su::model::BroadcastResult> stopped) {
        if (!taken(self, task)) return;
        if (stopped) updated(self, *stopped);
        if (suReturnedCancelled(task)) return;
        if (!stopped) {
          const su::Error& error = stopped.error();
          const SuError code =
              error.is(su::orchestrator::OrchestratorError::UnknownBroadcast) ? SU_ERROR_NOT_FOUND
              : error.is(su::service::ServiceError::NotConnected) ? SU_ERROR_NOT_CONNECTED
                                                                  : SU_ERROR_FAILED;
          return suReturnError(task, code, error.message);
        }
        if (stopped->error) return suReturnError(task, SU_ERROR_FAILED, stopped->error->message);
        suReturnTrue(task);
      });
}

gboolean su_service_stop_finish(SuService* self, GAsyncResult* result, GError** error) {
  g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
  return g_task_propagate_boolean(G_TASK(result), error);
}

GPtrArray* su_service_list(SuService* self) {
  g_return_val_if_fail(SU_IS_SERVICE(self), nullptr);
  GPtrArray* broadcasts = g_ptr_array_new();
  for (const su::model::BroadcastResult& result : self->data->service->list())
    g_ptr_array_add(broadcasts, updated(self, result));
  return broadcasts;
}

SuBroadcast* su_service_lookup(SuService* self, const char* broadcast_id) {
  g_return_val_if_fail(SU_IS_SERVICE(self), nullptr);
  g_return_val_if_fail(broadcast_id != nullptr, nullptr);
  const auto result = self->data->service->result(broadcast_id);
  return result ? updated(self, *result) : nullptr;
}

void su_service_health_async(SuService* self, GCancellable* cancellable,
                             GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SU_IS_SERVICE(self));
  GTask* task = self->data->pending.start(self, cancellable, callback, user_data,
                                          reinterpret_cast<gpointer>(su_service_health_async));
  self->data->service->health([self, task](su::json::Value report) {
    if (!taken(self, task)) return;
    if (JsonNode* node = report.node(); node && JSON_NODE_HOLDS_OBJECT(node)) {
      JsonObject* object = json_node_get_object(node);
      JsonArray* entries = json_object_has_member(object, "broadcasts")
                               ? json_object_get_array_member(object, "broadcasts")
                               : nullptr;
      for (guint i = 0; entries && i < json_array_get_length(entries); ++i) {
        JsonNode* entry = json_array_get_element(entries, i);
        const char* id = json_object_get_string_member_with_default(json_node_get_object(entry),
                                                                    "broadcast_id", nullptr);
        if (id) {
          suBroadcastSetHealth(broadcastOf(self, id),
                               su::json::Value::of(GRef<JsonNode>::ref(entry)).toString());
        }
      }
    }
    if (suReturnedCancelled(task)) return;
    g_task_return_pointer(task, g_strdup(report.toString().c_str()), g_free);
    g_object_unref(task);
  });
}

char* su_service_health_finish(SuService* self, GAsyncResult* result, GError** error) {
  g_return_val_if_fail(g_task_is_valid(result, self), nullptr);
  return static_cast<char*>(g_task_propagate_pointer(G_TASK(result), error));
}

gboolean su_service_start_worker(SuService* self, SuQueue* queue, guint concurrency,
                                 GError** error) {
  g_return_val_if_fail(SU_IS_SERVICE(self), FALSE);
  g_return_val_if_fail(SU_IS_QUEUE(queue), FALSE);
  g_return_val_if_fail(error == nullptr || *error == nullptr, FALSE);
  ServiceData& data = *self->data;
  su::orchestrator::BroadcastOrchestrator* orchestrator = data.service->impl().orchestrator();
  if (!orchestrator) {
    g_set_error_literal(error, SU_ERROR, SU_ERROR_NOT_CONNECTED,
                        "not connected to Janus: connect before starting a worker");
    return FALSE;
  }
  if (data.worker && !data.drained) {
    g_set_error(error, SU_ERROR, SU_ERROR_FAILED, "a worker already runs on %s: drain it first",
                su_queue_get_name(SU_QUEUE(data.workerQueue.get())));
    return FALSE;
  }
  data.worker.reset();  // a drained one, whose figures are replaced now
  data.drained = false;
  su::worker::WorkerOptions options;
  if (concurrency > 0) options.concurrency = static_cast<int>(MIN(concurrency, 1000u));
  data.workerQueue = GRef<GObject>::ref(G_OBJECT(queue));
  data.worker = std::make_unique<su::worker::Worker>(
      data.context.get(), suQueueJobs(queue), *orchestrator, options, workerObserverOf(self));
  data.worker->start();
  return TRUE;
}

void su_service_drain_worker_async(SuService* self, GCancellable* cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SU_IS_SERVICE(self));
  GTask* task =
      self->data->pending.start(self, cancellable, callback, user_data,
                                reinterpret_cast<gpointer>(su_service_drain_worker_async));
  ServiceData& data = *self->data;
  const bool nothingToDrain = !data.worker || data.drained;
  data.drainWaiters.push_back(task);
  if (data.drainWaiters.size() > 1) return;  // the drain under way completes it too
  auto drained = [self] {
    self->data->drained = true;
    for (GTask* waiter : std::exchange(self->data->drainWaiters, {})) {
      if (taken(self, waiter) && !suReturnedCancelled(waiter)) suReturnTrue(waiter);
    }
  };
  if (nothingToDrain) return drained();
  data.worker->drain(drained);
}

gboolean su_service_drain_worker_finish(SuService* self, GAsyncResult* result, GError** error) {
  g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
  return g_task_propagate_boolean(G_TASK(result), error);
}

char* su_service_get_worker_stats(SuService* self) {
  g_return_val_if_fail(SU_IS_SERVICE(self), nullptr);
  const su::worker::Worker* worker = self->data->worker.get();
  return worker ? g_strdup(worker->stats().toJson().toString().c_str()) : nullptr;
}
