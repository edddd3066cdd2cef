#include "json/value.hpp"

namespace su::json {

Value Value::of(GRef<JsonNode> node) {
  Value value;
  if (node) {
    json_node_seal(node.get());
    value.node_ = std::move(node);
  }
  return value;
}

JsonObject* Value::object() const noexcept {
  return isObject() ? json_node_get_object(node_.get()) : nullptr;
}

std::string Value::toString(Style style) const {
  return json::toString(node_.get(), style);
}

bool operator==(const Value& a, const Value& b) {
  if (!a.node_ || !b.node_) return !a.node_ && !b.node_;
  return json_node_equal(a.node_.get(), b.node_.get());
}

}  // namespace su::json
