// The one redacted view of any document: what logs, health reports, errors and command output
// show. Secrets are masked as "***" at the model layer, so no caller has to remember which
// fields are sensitive.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json/node.hpp"

namespace su::model {

inline constexpr std::string_view kRedacted = "***";

// admin_key, apisecret, secret, pin, password, obs_password, rtsp_pwd, rtsp_user, username,
// stream_key, srtp_crypto... (case-insensitive; also any *_password, *_secret, *_token).
bool isSecretKey(std::string_view key);

// A deep copy of `node` in which:
// - the value of every secret key is "***" (a null stays null);
// - every string has URL credentials (scheme://user:pass@host) and sensitive parameters
//   (?token=..., key=..., user-pw=... in a pipeline description) masked;
// - any other occurrence of a secret value found under a secret key (a stream key inside
//   publish_url, a password pasted into a pipeline) is masked too.
GRef<JsonNode> redacted(JsonNode* node);

// The same masking for free text (an error message, a URL, a command line). `knownSecrets`
// are masked wherever they appear.
std::string redactText(std::string_view text, const std::vector<std::string>& knownSecrets = {});

}  // namespace su::model
