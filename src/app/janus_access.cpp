#include "app/janus_access.hpp"

#include "core/gref.hpp"

namespace su::app {

std::vector<OptionSpec> withJanusOptions(std::vector<OptionSpec> options) {
  options.insert(options.end(), {{"janus-url"}, {"ca-file"}, {"api-secret"}, {"token"}});
  return options;
}

janus::SessionOptions janusSessionOptions(const Arguments& arguments) {
  return {.url = arguments.value("janus-url", "SU_JANUS_URL").value_or("ws://127.0.0.1:8188"),
          .caFile = arguments.value("ca-file"),
          .apiSecret = arguments.value("api-secret", "SU_JANUS_API_SECRET"),
          .token = arguments.value("token", "SU_JANUS_TOKEN")};
}

std::optional<std::uint16_t> loopbackJanusPort(const std::string& url) {
  auto uri = GUnique<GUri>::adopt(g_uri_parse(url.c_str(), G_URI_FLAGS_NONE, nullptr));
  if (!uri || g_strcmp0(g_uri_get_scheme(uri.get()), "ws") != 0) return std::nullopt;
  const std::string host = g_uri_get_host(uri.get()) ? g_uri_get_host(uri.get()) : "";
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") return std::nullopt;
  const int port = g_uri_get_port(uri.get());
  return static_cast<std::uint16_t>(port > 0 ? port : 80);
}

}  // namespace su::app
