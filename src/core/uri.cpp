#include "core/uri.hpp"

#include <glib.h>

#include "core/gref.hpp"

namespace su::uri {

namespace {

constexpr GUriFlags kSplitFlags = GUriFlags(G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD);

std::optional<std::string> owned(gchar* text) {
  if (!text) return std::nullopt;
  std::string copy = text;
  g_free(text);
  return copy;
}

const char* orNull(const std::optional<std::string>& text) {
  return text ? text->c_str() : nullptr;
}

}  // namespace

std::optional<Parts> split(std::string_view url) {
  gchar* scheme = nullptr;
  gchar* user = nullptr;
  gchar* password = nullptr;
  gchar* host = nullptr;
  gchar* path = nullptr;
  gchar* query = nullptr;
  gchar* fragment = nullptr;
  gint port = -1;
  if (!g_uri_split_with_user(std::string(url).c_str(), kSplitFlags, &scheme, &user, &password,
                             nullptr, &host, &port, &path, &query, &fragment, nullptr)) {
    // GLib 2.74 clears its outputs when it fails, but for the user and password it had read
    // (a bad port after them: "rtmp://u:p@host:1B35/"): they are ours to free.
    for (gchar* left : {scheme, user, password, host, path, query, fragment})
      g_free(left);
    return std::nullopt;
  }
  Parts parts;
  parts.scheme = owned(scheme).value_or("");
  parts.user = owned(user);
  parts.password = owned(password);
  parts.host = owned(host).value_or("");
  parts.port = port;
  parts.path = owned(path).value_or("");
  parts.query = owned(query);
  parts.fragment = owned(fragment);
  if (parts.scheme.empty()) return std::nullopt;  // a relative reference
  return parts;
}

std::string join(const Parts& parts) {
  auto joined = GUnique<char>::adopt(
      g_uri_join_with_user(kSplitFlags, parts.scheme.c_str(), orNull(parts.user),
                           orNull(parts.password), nullptr, parts.host.c_str(), parts.port,
                           parts.path.c_str(), orNull(parts.query), orNull(parts.fragment)));
  return joined.get();
}

std::string build(std::string_view scheme, std::string_view host, int port) {
  auto built =
      GUnique<char>::adopt(g_uri_join(G_URI_FLAGS_NONE, std::string(scheme).c_str(), nullptr,
                                      std::string(host).c_str(), port, "", nullptr, nullptr));
  return built.get();
}

std::string withUser(std::string_view url, std::string_view user,
                     const std::optional<std::string>& password) {
  auto parts = split(url);
  if (!parts) return std::string(url);
  auto escape = [](std::string_view text) {
    // Userinfo may keep sub-delimiters, but never '@', ':' (in the user) or '/'.
    auto escaped =
        GUnique<char>::adopt(g_uri_escape_string(std::string(text).c_str(), "!$&'()*+,;=", FALSE));
    return std::string(escaped.get());
  };
  parts->user = escape(user);
  parts->password = password ? std::optional<std::string>(escape(*password)) : std::nullopt;
  return join(*parts);
}

std::string lastSegment(const Parts& parts) {
  const std::size_t slash = parts.path.rfind('/');
  return slash == std::string::npos ? parts.path : parts.path.substr(slash + 1);
}

std::string unescape(std::string_view text) {
  const std::string copy(text);
  auto decoded = GUnique<char>::adopt(g_uri_unescape_string(copy.c_str(), nullptr));
  return decoded ? std::string(decoded.get()) : copy;
}

std::optional<std::map<std::string, std::string>> parameters(std::string_view query) {
  GHashTable* table =
      g_uri_parse_params(std::string(query).data(), -1, "&", G_URI_PARAMS_NONE, nullptr);
  if (!table) return std::nullopt;
  std::map<std::string, std::string> params;
  GHashTableIter iter;
  gpointer key = nullptr;
  gpointer value = nullptr;
  g_hash_table_iter_init(&iter, table);
  while (g_hash_table_iter_next(&iter, &key, &value))
    params[static_cast<const char*>(key)] = static_cast<const char*>(value);
  g_hash_table_unref(table);
  return params;
}

}  // namespace su::uri
