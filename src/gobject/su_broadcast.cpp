#include <optional>
#include <string>

#include "json/value.hpp"
#include "model/redaction.hpp"
#include "su_private.hpp"

namespace {

struct BroadcastData {
  std::string id;
  std::string state = "starting";
  std::optional<std::string> sourceKind;
  gint64 mountpointId = 0;
  su::GRef<GVariant> ports;
  std::optional<std::string> errorMessage;
  std::optional<std::string> health;
  std::string json = "{}";
};

enum {
  PROP_0,
  PROP_ID,
  PROP_STATE,
  PROP_SOURCE_KIND,
  PROP_MOUNTPOINT_ID,
  PROP_PORTS,
  PROP_ERROR_MESSAGE,
  PROP_HEALTH,
  N_PROPS
};
GParamSpec* properties[N_PROPS];

const char* orNull(const std::optional<std::string>& text) {
  return text ? text->c_str() : nullptr;
}

}  // namespace

struct _SuBroadcast {
  GObject parent;
  BroadcastData* data;
};

G_DEFINE_FINAL_TYPE(SuBroadcast, su_broadcast, G_TYPE_OBJECT)

namespace {

void getProperty(GObject* object, guint id, GValue* value, GParamSpec* spec) noexcept {
  auto* self = SU_BROADCAST(object);
  switch (id) {
    case PROP_ID:
      g_value_set_string(value, self->data->id.c_str());
      break;
    case PROP_STATE:
      g_value_set_string(value, self->data->state.c_str());
      break;
    case PROP_SOURCE_KIND:
      g_value_set_string(value, orNull(self->data->sourceKind));
      break;
    case PROP_MOUNTPOINT_ID:
      g_value_set_int64(value, self->data->mountpointId);
      break;
    case PROP_PORTS:
      g_value_set_variant(value, self->data->ports.get());
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string(value, orNull(self->data->errorMessage));
      break;
    case PROP_HEALTH:
      g_value_set_string(value, orNull(self->data->health));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void finalize(GObject* object) noexcept {
  delete SU_BROADCAST(object)->data;
  G_OBJECT_CLASS(su_broadcast_parent_class)->finalize(object);
}

template <typename T>
void change(SuBroadcast* self, T& field, T value, int property) {
  if (field == value) return;
  field = std::move(value);
  g_object_notify_by_pspec(G_OBJECT(self), properties[property]);
}

}  // namespace

static void su_broadcast_init(SuBroadcast* self) {
  self->data = new BroadcastData;
}

static void su_broadcast_class_init(SuBroadcastClass* klass) {
  auto* objectClass = G_OBJECT_CLASS(klass);
  objectClass->get_property = getProperty;
  objectClass->finalize = finalize;
  const auto readable = GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ID] = g_param_spec_string("id", nullptr, nullptr, nullptr, readable);
  properties[PROP_STATE] = g_param_spec_string("state", nullptr, nullptr, "starting", readable);
  properties[PROP_SOURCE_KIND] =
      g_param_spec_string("source-kind", nullptr, nullptr, nullptr, readable);
  properties[PROP_MOUNTPOINT_ID] =
      g_param_spec_int64("mountpoint-id", nullptr, nullptr, 0, G_MAXINT64, 0, readable);
  properties[PROP_PORTS] =
      g_param_spec_variant("ports", nullptr, nullptr, G_VARIANT_TYPE("a{sx}"), nullptr, readable);
  properties[PROP_ERROR_MESSAGE] =
      g_param_spec_string("error-message", nullptr, nullptr, nullptr, readable);
  properties[PROP_HEALTH] = g_param_spec_string("health", nullptr, nullptr, nullptr, readable);
  g_object_class_install_properties(objectClass, N_PROPS, properties);
}

const char* su_broadcast_get_id(SuBroadcast* self) {
  g_return_val_if_fail(SU_IS_BROADCAST(self), nullptr);
  return self->data->id.c_str();
}

const char* su_broadcast_get_state(SuBroadcast* self) {
  g_return_val_if_fail(SU_IS_BROADCAST(self), nullptr);
  return self->data->state.c_str();
}

const char* su_broadcast_get_source_kind(SuBroadcast* self) {
  g_return_val_if_fail(SU_IS_BROADCAST(self), nullptr);
  return orNull(self->data->sourceKind);
}

gint64 su_broadcast_get_mountpoint_id(SuBroadcast* self) {
  g_return_val_if_fail(SU_IS_BROADCAST(self), 0);
  return self->data->mountpointId;
}

GVariant* su_broadcast_get_ports(SuBroadcast* self) {
  g_return_val_if_fail(SU_IS_BROADCAST(self), nullptr);
  return self->data->ports.get();
}

const char* su_broadcast_get_error_message(SuBroadcast* self) {
  g_return_val_if_fail(SU_IS_BROADCAST(self), nullptr);
  return orNull(self->data->errorMessage);
}

const char* su_broadcast_get_health(SuBroadcast* self) {
  g_return_val_if_fail(SU_IS_BROADCAST(self), nullptr);
  return orNull(self->data->health);
}

char* su_broadcast_to_json(SuBroadcast* self) {
  g_return_val_if_fail(SU_IS_BROADCAST(self), nullptr);
  return g_strdup(self->data->json.c_str());
}

SuBroadcast* suBroadcastNew(const std::string& id) {
  auto* self = SU_BROADCAST(g_object_new(SU_TYPE_BROADCAST, nullptr));
  self->data->id = id;
  return self;
}

void suBroadcastSetState(SuBroadcast* self, const std::string& state) {
  change(self, self->data->state, state, PROP_STATE);
}

void suBroadcastUpdate(SuBroadcast* self, const su::model::BroadcastResult& result) {
  g_object_freeze_notify(G_OBJECT(self));
  BroadcastData& data = *self->data;
  data.json = su::json::Value::of(su::model::redacted(result.toPayload().get())).toString();
  change(self, data.sourceKind,
         std::optional<std::string>(su::model::nameOf(result.request.sourceKind)),
         PROP_SOURCE_KIND);
  change(self, data.mountpointId, result.mountpoint ? result.mountpoint->id : gint64{0},
         PROP_MOUNTPOINT_ID);
  su::GRef<GVariant> ports;
  if (result.mountpoint) {
    GVariantBuilder builder;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("a{sx}"));
    for (const auto& media : result.mountpoint->media)
      g_variant_builder_add(&builder, "{sx}", media.mid.c_str(), static_cast<gint64>(media.port));
    ports = su::GRef<GVariant>::adopt(g_variant_ref_sink(g_variant_builder_end(&builder)));
  }
  const bool portsChanged = (ports.get() == nullptr) != (data.ports.get() == nullptr) ||
                            (ports && !g_variant_equal(ports.get(), data.ports.get()));
  if (portsChanged) {
    data.ports = std::move(ports);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PORTS]);
  }
  change(self, data.errorMessage,
         result.error ? std::optional<std::string>(result.error->message) : std::nullopt,
         PROP_ERROR_MESSAGE);
  change(self, data.state, std::string(su::model::nameOf(result.state)), PROP_STATE);
  g_object_thaw_notify(G_OBJECT(self));
}

void suBroadcastSetHealth(SuBroadcast* self, std::string healthJson) {
  change(self, self->data->health, std::optional<std::string>(std::move(healthJson)), PROP_HEALTH);
}
