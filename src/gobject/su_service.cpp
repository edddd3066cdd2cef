#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/init.hpp"
#include "json/node.hpp"
#include "orchestrator/orchestrator.hpp"
#include "service/broadcast_service.hpp"
#include "service/service.hpp"
#include "su-error.h"
#include "su-service.h"
#include "su_private.hpp"

namespace {

using su::GRef;

struct ServiceData {
  GRef<GMainContext> context;
  su::service::Config config;
  std::optional<std::string> adminKey;
  std::unique_ptr<su::service::Service> service;
  std::map<std::string, GRef<GObject>> broadcasts;  // SuBroadcast
  bool disposing = false;
};

enum { PROP_0, PROP_JANUS_URL, PROP_API_SECRET, PROP_TOKEN, PROP_ADMIN_KEY, PROP_CA_FILE, N_PROPS };
GParamSpec* properties[N_PROPS];

enum { SIGNAL_STATE_CHANGED, SIGNAL_EVENT, SIGNAL_ERROR, N_SIGNALS };
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

void returnError(GTask* task, SuError code, const std::string& message) {
  g_task_return_new_error(task, SU_ERROR, code, "%s", message.c_str());
  g_object_unref(task);
}

// Ends `task` with G_IO_ERROR_CANCELLED if its cancellable was cancelled.
bool returnedCancelled(GTask* task) {
  if (!g_task_return_error_if_cancelled(task)) return false;
  g_object_unref(task);
  return true;
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
  self->data->disposing = true;
  self->data->service.reset();  // stops every broadcast, iterating the context
  self->data->broadcasts.clear();
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
  /**
   * SuService:janus-url:
   *
   * The Janus WebSocket API, `ws://` or `wss://`.
   */
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
}

SuService* su_service_new(const char* janus_url) {
  return SU_SERVICE(g_object_new(SU_TYPE_SERVICE, "janus-url", janus_url, nullptr));
}

void su_service_connect_async(SuService* self, GCancellable* cancellable,
                              GAsyncReadyCallback callback, gpointer user_data) {
  g_return_if_fail(SU_IS_SERVICE(self));
  GTask* task = g_task_new(self, cancellable, callback, user_data);
  g_task_set_source_tag(task, reinterpret_cast<gpointer>(su_service_connect_async));
  self->data->service->connect([task](su::Result<void> connected) {
    if (returnedCancelled(task)) return;
    if (!connected) return returnError(task, SU_ERROR_NOT_CONNECTED, connected.error().message);
    g_task_return_boolean(task, TRUE);
    g_object_unref(task);
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
    if (!started) {
      const bool notConnected = started.error().is(su::service::ServiceError::NotConnected);
      return returnError(task, notConnected ? SU_ERROR_NOT_CONNECTED : SU_ERROR_INVALID_REQUEST,
                         started.error().describe());
    }
    SuBroadcast* broadcast = updated(self, *started);
    if (g_cancellable_is_cancelled(g_task_get_cancellable(task)) &&
        started->state != su::model::RunState::Failed) {
      // Nothing left behind: the caller no longer wants it.
      self->data->service->stop(started->broadcastId,
                                [](const su::Result<su::model::BroadcastResult>&) {});
    }
    if (returnedCancelled(task)) return;
    if (started->state == su::model::RunState::Failed) {
      return returnError(task, SU_ERROR_BROADCAST_FAILED,
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
  GTask* task = g_task_new(self, cancellable, callback, user_data);
  g_task_set_source_tag(task, reinterpret_cast<gpointer>(su_service_start_async));
  self->data->service->start(request_json, startCompletion(self, task));
}

void su_service_start_request_async(SuService* self, SuBroadcastRequest* request,
                                    GCancellable* cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data) {
  g_return_if_fail(SU_IS_SERVICE(self));
  g_return_if_fail(SU_IS_BROADCAST_REQUEST(request));
  GTask* task = g_task_new(self, cancellable, callback, user_data);
  g_task_set_source_tag(task, reinterpret_cast<gpointer>(su_service_start_request_async));
  auto model = suBroadcastRequestModel(request);
  if (!model) {
    // GTask completes it on the context, never inside this call (as for invalid JSON).
    return returnError(task, SU_ERROR_INVALID_REQUEST, model.error().describe());
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
  GTask* task = g_task_new(self, cancellable, callback, user_data);
  g_task_set_source_tag(task, reinterpret_cast<gpointer>(su_service_stop_async));
  self->data->service->stop(
      broadcast_id, [self, task](su::Result<su::model::BroadcastResult> stopped) {
        if (stopped) updated(self, *stopped);
        if (returnedCancelled(task)) return;
        if (!stopped) {
          const su::Error& error = stopped.error();
          const SuError code =
              error.is(su::orchestrator::OrchestratorError::UnknownBroadcast) ? SU_ERROR_NOT_FOUND
              : error.is(su::service::ServiceError::NotConnected) ? SU_ERROR_NOT_CONNECTED
                                                                  : SU_ERROR_FAILED;
          return returnError(task, code, error.message);
        }
        if (stopped->error) return returnError(task, SU_ERROR_FAILED, stopped->error->message);
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
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
  GTask* task = g_task_new(self, cancellable, callback, user_data);
  g_task_set_source_tag(task, reinterpret_cast<gpointer>(su_service_health_async));
  self->data->service->health([self, task](su::json::Value report) {
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
    if (returnedCancelled(task)) return;
    g_task_return_pointer(task, g_strdup(report.toString().c_str()), g_free);
    g_object_unref(task);
  });
}

char* su_service_health_finish(SuService* self, GAsyncResult* result, GError** error) {
  g_return_val_if_fail(g_task_is_valid(result, self), nullptr);
  return static_cast<char*>(g_task_propagate_pointer(G_TASK(result), error));
}
