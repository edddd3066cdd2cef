#include "app/command_output.hpp"

#include <cstdio>

#include "app/exit_codes.hpp"
#include "model/redaction.hpp"

namespace su::app {

void printJson(const GRef<JsonNode>& node) {
  std::printf("%s\n",
              json::toString(model::redacted(node.get()).get(), json::Style::Pretty).c_str());
}

int fail(int status, const std::string& message) {
  std::fprintf(stderr, "error: %s\n", model::redactText(message).c_str());
  return status;
}

int failUsage(const std::string& message, const char* usage) {
  std::fprintf(stderr, "error: %s\n%s", message.c_str(), usage);
  return kExitUsage;
}

}  // namespace su::app
