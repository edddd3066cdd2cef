#include "json/node.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace su::json {

namespace {

// Our own writer, in json-glib's layout (compact, or pretty with two-space indents and
// `"key" : value`): json-glib 1.6 writes doubles with an exponent as `1e-73.0`, which no JSON
// reader takes (found by tests/fuzz/json_fuzz.cpp).
class Writer {
 public:
  explicit Writer(Style style) : pretty_(style == Style::Pretty) {}

  void value(JsonNode* node, int depth) {
    if (!node || JSON_NODE_HOLDS_NULL(node)) {
      out_ += "null";
    } else if (JSON_NODE_HOLDS_OBJECT(node)) {
      object(json_node_get_object(node), depth);
    } else if (JSON_NODE_HOLDS_ARRAY(node)) {
      array(json_node_get_array(node), depth);
    } else {
      switch (json_node_get_value_type(node)) {
        case G_TYPE_STRING:
          string(json_node_get_string(node));
          break;
        case G_TYPE_INT64:
          out_ += std::to_string(json_node_get_int(node));
          break;
        case G_TYPE_DOUBLE:
          number(json_node_get_double(node));
          break;
        case G_TYPE_BOOLEAN:
          out_ += json_node_get_boolean(node) ? "true" : "false";
          break;
        default:
          out_ += "null";
      }
    }
  }

  std::string take() { return std::move(out_); }

 private:
  void object(JsonObject* object, int depth) {
    out_ += '{';
    bool first = true;
    // json_object_get_members keeps insertion order (json-glib >= 1.6).
    GList* members = json_object_get_members(object);
    for (GList* member = members; member; member = member->next) {
      const char* name = static_cast<const char*>(member->data);
      separate(first, depth + 1);
      string(name);
      out_ += pretty_ ? " : " : ":";
      value(json_object_get_member(object, name), depth + 1);
    }
    g_list_free(members);
    close(first, depth, '}');
  }

  void array(JsonArray* array, int depth) {
    out_ += '[';
    bool first = true;
    for (guint i = 0; i < json_array_get_length(array); ++i) {
      separate(first, depth + 1);
      value(json_array_get_element(array, i), depth + 1);
    }
    close(first, depth, ']');
  }

  void separate(bool& first, int depth) {
    if (!first) out_ += ',';
    first = false;
    newline(depth);
  }

  void close(bool empty, int depth, char bracket) {
    if (!empty) newline(depth);
    out_ += bracket;
  }

  void newline(int depth) {
    if (!pretty_) return;
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth) * 2, ' ');
  }

  void string(const char* text) {
    out_ += '"';
    for (const char* c = text ? text : ""; *c; ++c) {
      const auto byte = static_cast<unsigned char>(*c);
      switch (byte) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (byte < 0x20 || byte == 0x7f) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
            out_ += escaped;
          } else {
            out_ += *c;
          }
      }
    }
    out_ += '"';
  }

  // The shortest text that reads back as the same double; always with a fraction or an exponent
  // (a reader takes a number without either for an integer). JSON has no infinity nor NaN.
  void number(double value) {
    if (!std::isfinite(value)) {
      out_ += "null";
      return;
    }
    char text[G_ASCII_DTOSTR_BUF_SIZE];
    for (int precision = 15; precision <= 17; ++precision) {
      g_ascii_formatd(text, sizeof text, ("%." + std::to_string(precision) + "g").c_str(), value);
      if (g_ascii_strtod(text, nullptr) == value) break;
    }
    out_ += text;
    if (!std::strpbrk(text, ".eE")) out_ += ".0";
  }

  bool pretty_;
  std::string out_;
};

}  // namespace

std::string toString(JsonNode* node, Style style) {
  Writer writer(style);
  writer.value(node, 0);
  return writer.take();
}

const char* describeType(JsonNode* node) {
  if (!node || JSON_NODE_HOLDS_NULL(node)) return "null";
  if (JSON_NODE_HOLDS_OBJECT(node)) return "an object";
  if (JSON_NODE_HOLDS_ARRAY(node)) return "an array";
  switch (json_node_get_value_type(node)) {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_INT64:
      return "an integer";
    case G_TYPE_DOUBLE:
      return "a number";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    default:
      return "an unsupported value";
  }
}

GRef<JsonNode> stringNode(std::string_view value) {
  JsonNode* node = json_node_alloc();
  json_node_init_string(node, std::string(value).c_str());
  return GRef<JsonNode>::adopt(node);
}

GRef<JsonNode> integerNode(gint64 value) {
  return GRef<JsonNode>::adopt(json_node_init_int(json_node_alloc(), value));
}

GRef<JsonNode> booleanNode(bool value) {
  return GRef<JsonNode>::adopt(json_node_init_boolean(json_node_alloc(), value));
}

GRef<JsonNode> doubleNode(double value) {
  return GRef<JsonNode>::adopt(json_node_init_double(json_node_alloc(), value));
}

GRef<JsonNode> nullNode() {
  return GRef<JsonNode>::adopt(json_node_init_null(json_node_alloc()));
}

GRef<JsonNode> objectNode(GRef<JsonObject> object) {
  return GRef<JsonNode>::adopt(json_node_init_object(json_node_alloc(), object.get()));
}

GRef<JsonNode> arrayNode(GRef<JsonArray> array) {
  return GRef<JsonNode>::adopt(json_node_init_array(json_node_alloc(), array.get()));
}

}  // namespace su::json
