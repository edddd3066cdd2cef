#include "app/janus_access.hpp"

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

}  // namespace su::app
