#include "model/redaction.hpp"

#include <algorithm>
#include <array>

#include "json/writer.hpp"
#include "model/rules.hpp"

namespace su::model {

namespace {

constexpr std::array<std::string_view, 18> kSecretKeys{
    "admin_key",  "admin_secret", "apisecret",  "authentication", "new_pin",
    "new_secret", "obs_password", "passphrase", "password",       "pin",
    "rtsp_pwd",   "rtsp_user",    "secret",     "srtp_crypto",    "stream_key",
    "token",      "username",     "user_pw"};
constexpr std::array<std::string_view, 4> kSecretSuffixes{"_password", "_secret", "_token", "_pwd"};

// Names whose value is masked in `name=value` (URL queries, pipeline descriptions).
constexpr std::array<std::string_view, 19> kSecretParameters{
    "access_token", "admin_key", "api_key",  "apikey",  "auth",   "key", "pass",
    "passphrase",   "passwd",    "password", "pwd",     "secret", "sig", "signature",
    "stream_key",   "streamkey", "token",    "user-id", "user-pw"};

// Shorter secrets are masked under their key only: replacing "12" everywhere would garble text.
constexpr std::size_t kMinPropagatedSecret = 4;

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A dotted setting's last name: librdkafka's sasl.password, ssl.key.password.
std::string_view lastComponent(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

bool isSecretParameter(std::string_view lower) {
  auto listed = [](std::string_view name) {
    return std::find(kSecretParameters.begin(), kSecretParameters.end(), name) !=
           kSecretParameters.end();
  };
  return listed(lower) || listed(lastComponent(lower));
}

bool isValueEnd(char c) {
  return g_ascii_isspace(c) || c == '&' || c == '#' || c == '"' || c == '\'' || c == ';' ||
         c == ',';
}

void maskKnownSecrets(std::string& text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < kMinPropagatedSecret) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kRedacted.size())) {
      text.replace(at, secret.size(), kRedacted);
    }
  }
}

// scheme://user:pass@host -> scheme://***@host
void maskUrlCredentials(std::string& text) {
  for (std::size_t scheme = text.find("://"); scheme != std::string::npos;
       scheme = text.find("://", scheme + 3)) {
    const std::size_t start = scheme + 3;
    std::size_t end = start;
    while (end < text.size() && text[end] != '/' && text[end] != '?' && !isValueEnd(text[end])) {
      ++end;
    }
    const std::size_t at = text.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= start && at < end) {
      text.replace(start, at - start, kRedacted);
    }
  }
}

// name=value -> name=*** for sensitive names after a delimiter (start, space, ?, &, ;).
void maskParameters(std::string& text) {
  for (std::size_t equals = text.find('='); equals != std::string::npos;
       equals = text.find('=', equals + 1)) {
    std::size_t nameStart = equals;
    while (nameStart > 0 && !isValueEnd(text[nameStart - 1]) && text[nameStart - 1] != '?') {
      --nameStart;
    }
    const std::string name =
        asciiLower(std::string_view(text).substr(nameStart, equals - nameStart));
    if (!isSecretParameter(name)) continue;
    std::size_t valueStart = equals + 1;
    std::size_t valueEnd = valueStart;
    if (valueStart < text.size() && (text[valueStart] == '"' || text[valueStart] == '\'')) {
      const std::size_t close = text.find(text[valueStart], valueStart + 1);
      ++valueStart;
      valueEnd = close == std::string::npos ? text.size() : close;
    } else {
      while (valueEnd < text.size() && !isValueEnd(text[valueEnd]))
        ++valueEnd;
    }
    if (valueEnd > valueStart) text.replace(valueStart, valueEnd - valueStart, kRedacted);
  }
}

void collectSecrets(JsonNode* node, std::vector<std::string>& secrets) {
  if (!node) return;
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray* array = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(array); ++i) {
      collectSecrets(json_array_get_element(array, i), secrets);
    }
    return;
  }
  if (!JSON_NODE_HOLDS_OBJECT(node)) return;
  JsonObject* object = json_node_get_object(node);
  GList* names = json_object_get_members(object);
  for (GList* item = names; item; item = item->next) {
    const char* name = static_cast<const char*>(item->data);
    JsonNode* member = json_object_get_member(object, name);
    if (isSecretKey(name) && JSON_NODE_HOLDS_VALUE(member) &&
        json_node_get_value_type(member) == G_TYPE_STRING) {
      secrets.emplace_back(json_node_get_string(member));
    } else {
      collectSecrets(member, secrets);
    }
  }
  g_list_free(names);
}

GRef<JsonNode> redactedCopy(JsonNode* node, const std::vector<std::string>& secrets) {
  if (!node) return json::nullNode();
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray* array = json_node_get_array(node);
    std::vector<GRef<JsonNode>> elements;
    for (guint i = 0; i < json_array_get_length(array); ++i) {
      elements.push_back(redactedCopy(json_array_get_element(array, i), secrets));
    }
    return json::arrayOf(elements);
  }
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObject* object = json_node_get_object(node);
    json::ObjectWriter out;
    GList* names = json_object_get_members(object);
    for (GList* item = names; item; item = item->next) {
      const char* name = static_cast<const char*>(item->data);
      JsonNode* member = json_object_get_member(object, name);
      if (isSecretKey(name) && !JSON_NODE_HOLDS_NULL(member)) {
        out.set(name, kRedacted);
      } else {
        out.set(name, redactedCopy(member, secrets));
      }
    }
    g_list_free(names);
    return out.node();
  }
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
    return json::stringNode(redactText(json_node_get_string(node), secrets));
  }
  return GRef<JsonNode>::adopt(json_node_copy(node));
}

}  // namespace

bool isSecretKey(std::string_view key) {
  const std::string whole = asciiLower(key);
  for (std::string_view lower : {std::string_view(whole), lastComponent(whole)}) {
    if (std::find(kSecretKeys.begin(), kSecretKeys.end(), lower) != kSecretKeys.end()) return true;
    if (std::any_of(kSecretSuffixes.begin(), kSecretSuffixes.end(),
                    [&](std::string_view suffix) { return endsWith(lower, suffix); })) {
      return true;
    }
  }
  return false;
}

std::string redactText(std::string_view text, const std::vector<std::string>& knownSecrets) {
  std::string result(text);
  maskKnownSecrets(result, knownSecrets);
  maskUrlCredentials(result);
  maskParameters(result);
  return result;
}

GRef<JsonNode> redacted(JsonNode* node) {
  std::vector<std::string> secrets;
  collectSecrets(node, secrets);
  return redactedCopy(node, secrets);
}

}  // namespace su::model
