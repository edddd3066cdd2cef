#include "model/rules.hpp"

#include <gio/gio.h>

#include <algorithm>

#include "core/gref.hpp"

namespace su::model {

GQuark errorDomainOf(ModelError) {
  return g_quark_from_static_string("su-model-error");
}

namespace {

constexpr std::size_t kMaxQuoted = 64;

bool isHostLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return g_ascii_isalnum(c) || c == '-' || c == '_'; });
}

bool isHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (g_hostname_is_ip_address(std::string(host).c_str())) return true;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    if (!isHostLabel(host.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::string quoted(std::string_view value) {
  std::string text = "\"";
  for (char c : value.substr(0, kMaxQuoted)) {
    text += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  }
  if (value.size() > kMaxQuoted) text += "...";
  return text + "\"";
}

std::string asciiLower(std::string_view value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(), g_ascii_tolower);
  return lower;
}

void checkRange(Diagnostics& diagnostics, const std::string& path,
                const std::optional<std::int64_t>& value, std::int64_t min, std::int64_t max) {
  if (value && (*value < min || *value > max)) {
    diagnostics.error(path, max == kMaxId
                                ? "must be >= " + std::to_string(min)
                                : "must be " + std::to_string(min) + ".." + std::to_string(max));
  }
}

void checkPort(Diagnostics& diagnostics, const std::string& path,
               const std::optional<std::int64_t>& port) {
  checkRange(diagnostics, path, port, 1, 65535);
}

void checkId(Diagnostics& diagnostics, const std::string& path,
             const std::optional<std::int64_t>& id) {
  checkRange(diagnostics, path, id, 1, kMaxId);
}

void checkNotEmpty(Diagnostics& diagnostics, const std::string& path,
                   const std::optional<std::string>& value) {
  if (value && value->empty()) diagnostics.error(path, "must not be empty (leave it out instead)");
}

void checkHost(Diagnostics& diagnostics, const std::string& path, std::string_view host) {
  if (!isHostName(host)) {
    diagnostics.error(path, "must be an IP address or a host name, got " + quoted(host));
  }
}

void checkUrl(Diagnostics& diagnostics, const std::string& path, std::string_view url,
              std::initializer_list<std::string_view> schemes) {
  std::string expected;
  for (std::string_view scheme : schemes) {
    expected += expected.empty() ? "" : ", ";
    expected += scheme;
  }
  // The URL itself never appears in the message: it may carry credentials.
  auto uri = GRef<GUri>::adopt(g_uri_parse(std::string(url).c_str(), G_URI_FLAGS_ENCODED, nullptr));
  if (!uri) {
    diagnostics.error(path, "must be a URL (" + expected + "), could not parse it");
    return;
  }
  const std::string_view scheme = g_uri_get_scheme(uri.get());
  if (std::find(schemes.begin(), schemes.end(), scheme) == schemes.end()) {
    diagnostics.error(path, "scheme must be one of " + expected + ", got " + quoted(scheme));
    return;
  }
  const char* host = g_uri_get_host(uri.get());
  if (!host || !*host) diagnostics.error(path, "has no host");
}

void checkAnyUrl(Diagnostics& diagnostics, const std::string& path, std::string_view url) {
  auto uri = GRef<GUri>::adopt(g_uri_parse(std::string(url).c_str(), G_URI_FLAGS_ENCODED, nullptr));
  if (!uri) {
    diagnostics.error(path,
                      "must be a URL with a scheme (http://, srt://, file://...), could not "
                      "parse it");
    return;
  }
  // Listener-mode SRT and UDP URLs have no host; file URLs never do.
  constexpr std::string_view kNeedHost[] = {"http", "https", "rtmp", "rtmps", "rtsp", "rtsps"};
  const std::string scheme = asciiLower(g_uri_get_scheme(uri.get()));
  const char* host = g_uri_get_host(uri.get());
  if (std::find(std::begin(kNeedHost), std::end(kNeedHost), scheme) != std::end(kNeedHost) &&
      (!host || !*host)) {
    diagnostics.error(path, "has no host");
  }
}

}  // namespace su::model
