// A VideoRoom rtp_forward request: which of a publisher's streams go to which host and ports
// (the original's RTPForwardRequestSpec and RTPForwardStreamSpec, plus the room secret).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "json/diagnostics.hpp"
#include "json/reader.hpp"
#include "json/value.hpp"

namespace su::model {

struct RtpForwardStreamSpec {
  std::string mid;                  // the publisher's stream
  std::int64_t port = 0;            // where it goes (a mountpoint media port)
  std::optional<std::string> host;  // overrides the request's host
  std::optional<std::string> hostFamily;
  std::optional<std::int64_t> pt;  // rewrites the payload type (to the mountpoint's)
  std::optional<std::int64_t> ssrc;
  // The mountpoint media's RTCP port: lets viewers' keyframe requests reach the publisher.
  std::optional<std::int64_t> rtcpPort;
  std::optional<bool> simulcast;
  std::optional<std::int64_t> port2;
  std::optional<std::int64_t> pt2;
  std::optional<std::int64_t> ssrc2;
  std::optional<std::int64_t> port3;
  std::optional<std::int64_t> pt3;
  std::optional<std::int64_t> ssrc3;

  static RtpForwardStreamSpec read(json::ObjectReader& reader);
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;
  GRef<JsonNode> toJson() const;

  friend bool operator==(const RtpForwardStreamSpec&, const RtpForwardStreamSpec&) = default;
};

struct RtpForwardRequestSpec {
  std::int64_t room = 0;
  std::int64_t publisherId = 0;
  std::string host = "127.0.0.1";
  std::optional<std::string> hostFamily;  // ipv4 or ipv6
  std::optional<std::string> secret;      // the room secret, required when the room has one
  std::optional<std::string> adminKey;    // required with lock_rtp_forward
  std::optional<std::int64_t> srtpSuite;  // 32 or 80
  std::optional<std::string> srtpCrypto;
  std::vector<RtpForwardStreamSpec> streams;

  static RtpForwardRequestSpec read(json::ObjectReader& reader);
  void validate(const std::string& path, json::Diagnostics& diagnostics) const;
  GRef<JsonNode> toJson() const;

  friend bool operator==(const RtpForwardRequestSpec&, const RtpForwardRequestSpec&) = default;
};

}  // namespace su::model
