// An immutable JSON value with value semantics: for the parts of a model that are free-form
// (`extra`, raw Janus replies). Copies share one sealed node; equality compares content.
#pragma once

#include <string>

#include "json/node.hpp"

namespace su::json {

class Value {
 public:
  Value() = default;  // absent
  // Shares `node` and seals it: neither side may change it afterwards.
  static Value of(GRef<JsonNode> node);

  bool present() const noexcept { return static_cast<bool>(node_); }
  bool isObject() const noexcept { return node_ && JSON_NODE_HOLDS_OBJECT(node_.get()); }
  // The node, for reading only. Null when absent.
  JsonNode* node() const noexcept { return node_.get(); }
  JsonObject* object() const noexcept;
  std::string toString(Style style = Style::Compact) const;

  friend bool operator==(const Value& a, const Value& b);

 private:
  GRef<JsonNode> node_;
};

}  // namespace su::json
