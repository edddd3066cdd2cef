// What every command prints: JSON on standard output and errors on standard error, both through
// the one redaction function.
#pragma once

#include <string>

#include "json/node.hpp"

namespace su::app {

// Pretty JSON, secrets masked.
void printJson(const GRef<JsonNode>& node);
// "error: MESSAGE" (masked); returns `status` for `return fail(...)`.
int fail(int status, const std::string& message);
// "error: MESSAGE" and the usage; returns the usage exit status.
int failUsage(const std::string& message, const char* usage);

}  // namespace su::app
