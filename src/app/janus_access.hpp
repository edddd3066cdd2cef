// How every command reaches Janus: the same options, the same environment defaults, the same
// help text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/arguments.hpp"
#include "janus/session.hpp"

namespace su::app {

// `options` plus --janus-url, --ca-file, --api-secret and --token.
std::vector<OptionSpec> withJanusOptions(std::vector<OptionSpec> options);
// The URL (default $SU_JANUS_URL, else ws://127.0.0.1:8188), the CA file, and Janus's API
// secret and token (default $SU_JANUS_API_SECRET and $SU_JANUS_TOKEN: out of `ps`).
janus::SessionOptions janusSessionOptions(const Arguments& arguments);
// The port of a ws:// URL on this machine: where a Janus of our own could listen.
std::optional<std::uint16_t> loopbackJanusPort(const std::string& url);

inline constexpr const char* kJanusOptionsHelp =
    "  --janus-url URL   Janus WebSocket API (default $SU_JANUS_URL, else ws://127.0.0.1:8188)\n"
    "  --ca-file FILE    trust this CA for wss://\n"
    "  --api-secret S    Janus's apisecret, if it requires one (default $SU_JANUS_API_SECRET)\n"
    "  --token T         a Janus auth token, if it requires one (default $SU_JANUS_TOKEN)\n";

}  // namespace su::app
