#include <string>
#include <string_view>

#include "json/node.hpp"
#include "json/parse.hpp"
#include "model/broadcast_request.hpp"
#include "su-broadcast-request.h"
#include "su-error.h"
#include "su_private.hpp"

namespace {

using su::GRef;

// The document itself is the request: properties are its members, so what the service validates
// and starts is exactly what JSON would have said (no second model to keep in step).
struct RequestData {
  GRef<JsonObject> document = GRef<JsonObject>::adopt(json_object_new());
};

enum {
  PROP_0,
  PROP_SOURCE_KIND,
  PROP_BROADCAST_ID,
  PROP_RELAY_KIND,
  PROP_INPUT_URL,
  PROP_DESCRIPTION,
  PROP_HOST,
  PROP_ROOM_ID,
  PROP_PUBLISHER_ID,
  PROP_MOUNTPOINT_ID,
  PROP_STALL_TIMEOUT_MS,
  N_PROPS
};
GParamSpec* properties[N_PROPS];

// Where each property lives in the document: a top-level member, or one of mountpoint_spec's.
struct Member {
  const char* name;
  bool inMountpoint = false;
};
Member memberOf(guint property) {
  switch (property) {
    case PROP_SOURCE_KIND:
      return {"source_kind"};
    case PROP_BROADCAST_ID:
      return {"broadcast_id"};
    case PROP_RELAY_KIND:
      return {"relay_kind"};
    case PROP_INPUT_URL:
      return {"input_url"};
    case PROP_DESCRIPTION:
      return {"description"};
    case PROP_HOST:
      return {"host"};
    case PROP_ROOM_ID:
      return {"room_id"};
    case PROP_PUBLISHER_ID:
      return {"publisher_id"};
    case PROP_MOUNTPOINT_ID:
      return {"id", true};
    case PROP_STALL_TIMEOUT_MS:
      return {"stall_timeout_ms"};
  }
  return {nullptr};
}

}  // namespace

struct _SuBroadcastRequest {
  GObject parent;
  RequestData* data;
};

G_DEFINE_FINAL_TYPE(SuBroadcastRequest, su_broadcast_request, G_TYPE_OBJECT)

namespace {

// The object that holds `member`: the document, or its mountpoint_spec (made when `create`).
JsonObject* holderOf(SuBroadcastRequest* self, const Member& member, bool create) {
  JsonObject* document = self->data->document.get();
  if (!member.inMountpoint) return document;
  JsonNode* spec = json_object_get_member(document, "mountpoint_spec");
  if (spec && JSON_NODE_HOLDS_OBJECT(spec)) return json_node_get_object(spec);
  if (!create) return nullptr;
  json_object_set_object_member(document, "mountpoint_spec", json_object_new());
  return json_object_get_object_member(document, "mountpoint_spec");
}

void setProperty(GObject* object, guint id, const GValue* value, GParamSpec* spec) noexcept {
  auto* self = SU_BROADCAST_REQUEST(object);
  const Member member = memberOf(id);
  if (!member.name) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
    return;
  }
  const bool unset = G_VALUE_HOLDS_STRING(value) ? g_value_get_string(value) == nullptr
                                                 : g_value_get_int64(value) == 0;
  JsonObject* holder = holderOf(self, member, !unset);
  if (!holder) return;
  if (unset) {
    json_object_remove_member(holder, member.name);
  } else if (G_VALUE_HOLDS_STRING(value)) {
    json_object_set_string_member(holder, member.name, g_value_get_string(value));
  } else {
    json_object_set_int_member(holder, member.name, g_value_get_int64(value));
  }
}

void getProperty(GObject* object, guint id, GValue* value, GParamSpec* spec) noexcept {
  auto* self = SU_BROADCAST_REQUEST(object);
  const Member member = memberOf(id);
  if (!member.name) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
    return;
  }
  JsonObject* holder = holderOf(self, member, false);
  JsonNode* node = holder ? json_object_get_member(holder, member.name) : nullptr;
  // A document from JSON may hold another type than the property's: that reads as unset (and
  // validation says what is wrong with it).
  const bool usable = node && JSON_NODE_HOLDS_VALUE(node);
  if (G_VALUE_HOLDS_STRING(value)) {
    const bool isString = usable && json_node_get_value_type(node) == G_TYPE_STRING;
    g_value_set_string(value, isString ? json_node_get_string(node) : nullptr);
  } else {
    const bool isInteger = usable && json_node_get_value_type(node) == G_TYPE_INT64;
    g_value_set_int64(value, isInteger ? json_node_get_int(node) : 0);
  }
}

void finalize(GObject* object) noexcept {
  delete SU_BROADCAST_REQUEST(object)->data;
  G_OBJECT_CLASS(su_broadcast_request_parent_class)->finalize(object);
}

GParamSpec* stringProperty(const char* name) {
  return g_param_spec_string(name, nullptr, nullptr, nullptr,
                             GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}
GParamSpec* idProperty(const char* name) {
  return g_param_spec_int64(name, nullptr, nullptr, 0, G_MAXINT64, 0,
                            GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

GError* invalidRequest(const su::Error& error) {
  return g_error_new_literal(SU_ERROR, SU_ERROR_INVALID_REQUEST, error.describe().c_str());
}

}  // namespace

static void su_broadcast_request_init(SuBroadcastRequest* self) {
  self->data = new RequestData;
}

static void su_broadcast_request_class_init(SuBroadcastRequestClass* klass) {
  auto* objectClass = G_OBJECT_CLASS(klass);
  objectClass->set_property = setProperty;
  objectClass->get_property = getProperty;
  objectClass->finalize = finalize;

  properties[PROP_SOURCE_KIND] = stringProperty("source-kind");
  properties[PROP_BROADCAST_ID] = stringProperty("broadcast-id");
  properties[PROP_RELAY_KIND] = stringProperty("relay-kind");
  properties[PROP_INPUT_URL] = stringProperty("input-url");
  properties[PROP_DESCRIPTION] = stringProperty("description");
  properties[PROP_HOST] = stringProperty("host");
  properties[PROP_ROOM_ID] = idProperty("room-id");
  properties[PROP_PUBLISHER_ID] = idProperty("publisher-id");
  properties[PROP_MOUNTPOINT_ID] = idProperty("mountpoint-id");
  properties[PROP_STALL_TIMEOUT_MS] = idProperty("stall-timeout-ms");
  g_object_class_install_properties(objectClass, N_PROPS, properties);
}

SuBroadcastRequest* su_broadcast_request_new(const char* source_kind) {
  g_return_val_if_fail(source_kind != nullptr, nullptr);
  return SU_BROADCAST_REQUEST(
      g_object_new(SU_TYPE_BROADCAST_REQUEST, "source-kind", source_kind, nullptr));
}

SuBroadcastRequest* su_broadcast_request_new_from_json(const char* json, GError** error) {
  g_return_val_if_fail(json != nullptr, nullptr);
  g_return_val_if_fail(error == nullptr || *error == nullptr, nullptr);
  // The service's own reading, for the same messages (not JSON, or every invalid field).
  if (auto valid = su::model::BroadcastRequest::fromPayload(std::string_view(json)); !valid) {
    g_propagate_error(error, invalidRequest(valid.error()));
    return nullptr;
  }
  auto parsed = su::json::parse(json);
  g_return_val_if_fail(parsed && JSON_NODE_HOLDS_OBJECT(parsed->get()), nullptr);
  auto* self = SU_BROADCAST_REQUEST(g_object_new(SU_TYPE_BROADCAST_REQUEST, nullptr));
  self->data->document = GRef<JsonObject>::ref(json_node_get_object(parsed->get()));
  return self;
}

void su_broadcast_request_add_media(SuBroadcastRequest* self, const char* type, const char* codec) {
  g_return_if_fail(SU_IS_BROADCAST_REQUEST(self));
  g_return_if_fail(type != nullptr);
  JsonObject* spec = holderOf(self, {"media", true}, true);
  JsonNode* media = json_object_get_member(spec, "media");
  if (!media || !JSON_NODE_HOLDS_ARRAY(media)) {
    json_object_set_array_member(spec, "media", json_array_new());
  }
  JsonObject* stream = json_object_new();
  json_object_set_string_member(stream, "type", type);
  if (codec) json_object_set_string_member(stream, "codec", codec);
  json_array_add_object_element(json_object_get_array_member(spec, "media"), stream);
}

gboolean su_broadcast_request_validate(SuBroadcastRequest* self, GError** error) {
  g_return_val_if_fail(SU_IS_BROADCAST_REQUEST(self), FALSE);
  auto request = suBroadcastRequestModel(self);
  if (request) return TRUE;
  g_propagate_error(error, invalidRequest(request.error()));
  return FALSE;
}

char* su_broadcast_request_to_json(SuBroadcastRequest* self) {
  g_return_val_if_fail(SU_IS_BROADCAST_REQUEST(self), nullptr);
  auto node = su::json::objectNode(self->data->document);
  return g_strdup(su::json::toString(node.get()).c_str());
}

su::Result<su::model::BroadcastRequest> suBroadcastRequestModel(SuBroadcastRequest* self) {
  auto node = su::json::objectNode(self->data->document);
  return su::model::BroadcastRequest::fromPayload(node.get());
}
