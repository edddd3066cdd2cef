// URLs through GLib's GUri: split into parts, joined again (IPv6 literals bracketed, user and
// password escaped), never taken apart by hand.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace su::uri {

// An absolute URL's parts, as encoded in it (G_URI_FLAGS_ENCODED: percent escapes kept).
struct Parts {
  std::string scheme;
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::string host;  // without brackets
  int port = -1;     // -1: none given
  std::string path;  // "" or starting with '/'
  std::optional<std::string> query;
  std::optional<std::string> fragment;
};

// Null if `url` is not an absolute URL GLib can parse.
std::optional<Parts> split(std::string_view url);
std::string join(const Parts& parts);

// scheme://host[:port]: "ws", "::1", 4455 -> "ws://[::1]:4455".
std::string build(std::string_view scheme, std::string_view host, int port);

// `url` with `user` (and `password`) in its authority, escaped as userinfo needs; the url as it
// is when it cannot be parsed.
std::string withUser(std::string_view url, std::string_view user,
                     const std::optional<std::string>& password);

// `text` with its percent escapes decoded; as it is when they are invalid.
std::string unescape(std::string_view text);
// A query's parameters (`a=1&b=x%20y`), decoded; nothing when it is malformed.
std::optional<std::map<std::string, std::string>> parameters(std::string_view query);

// The last segment of the path ("key" in rtmp://host/live/key), empty if there is none.
std::string lastSegment(const Parts& parts);

}  // namespace su::uri
