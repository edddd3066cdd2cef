#include "model/rtp_forward.hpp"

#include <map>

#include "json/writer.hpp"
#include "model/rules.hpp"

namespace su::model {

namespace {

void checkHostFamily(json::Diagnostics& diagnostics, const std::string& path,
                     const std::optional<std::string>& family) {
  if (family && *family != "ipv4" && *family != "ipv6") {
    diagnostics.error(path, "must be ipv4 or ipv6, got " + quoted(*family));
  }
}

}  // namespace

RtpForwardStreamSpec RtpForwardStreamSpec::read(json::ObjectReader& reader) {
  RtpForwardStreamSpec stream;
  stream.mid = required(reader, "mid", reader.string("mid"));
  stream.port = required(reader, "port", reader.integer("port"));
  stream.host = reader.string("host");
  stream.hostFamily = reader.string("host_family");
  stream.pt = reader.integer("pt");
  stream.ssrc = reader.integer("ssrc");
  stream.rtcpPort = reader.integer({"rtcp_port", "rtcpport"});
  stream.simulcast = reader.boolean("simulcast");
  stream.port2 = reader.integer({"port_2", "port2"});
  stream.pt2 = reader.integer({"pt_2", "pt2"});
  stream.ssrc2 = reader.integer({"ssrc_2", "ssrc2"});
  stream.port3 = reader.integer({"port_3", "port3"});
  stream.pt3 = reader.integer({"pt_3", "pt3"});
  stream.ssrc3 = reader.integer({"ssrc_3", "ssrc3"});
  reader.rejectUnknownFields();
  return stream;
}

void RtpForwardStreamSpec::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  auto at = [&](std::string_view key) { return json::childPath(path, key); };
  if (mid.empty()) diagnostics.error(at("mid"), "must not be empty");
  checkPort(diagnostics, at("port"), port);
  if (host) checkHost(diagnostics, at("host"), *host);
  checkHostFamily(diagnostics, at("host_family"), hostFamily);
  checkRange(diagnostics, at("pt"), pt, 0, 127);
  checkRange(diagnostics, at("ssrc"), ssrc, 0, UINT32_MAX);
  checkPort(diagnostics, at("rtcp_port"), rtcpPort);
  checkPort(diagnostics, at("port_2"), port2);
  checkRange(diagnostics, at("pt_2"), pt2, 0, 127);
  checkRange(diagnostics, at("ssrc_2"), ssrc2, 0, UINT32_MAX);
  checkPort(diagnostics, at("port_3"), port3);
  checkRange(diagnostics, at("pt_3"), pt3, 0, 127);
  checkRange(diagnostics, at("ssrc_3"), ssrc3, 0, UINT32_MAX);
  if (!simulcast.value_or(false)) {
    for (const auto& [key, value] : {std::pair{"port_2", port2}, std::pair{"port_3", port3}}) {
      if (value) diagnostics.error(at(key), "requires simulcast: true");
    }
  }
}

GRef<JsonNode> RtpForwardStreamSpec::toJson() const {
  json::ObjectWriter out;
  out.set("mid", mid)
      .set("port", port)
      .set("host", host)
      .set("host_family", hostFamily)
      .set("pt", pt)
      .set("ssrc", ssrc)
      .set("rtcp_port", rtcpPort)
      .set("simulcast", simulcast)
      .set("port_2", port2)
      .set("pt_2", pt2)
      .set("ssrc_2", ssrc2)
      .set("port_3", port3)
      .set("pt_3", pt3)
      .set("ssrc_3", ssrc3);
  return out.node();
}

RtpForwardRequestSpec RtpForwardRequestSpec::read(json::ObjectReader& reader) {
  RtpForwardRequestSpec spec;
  spec.room = required(reader, {"room", "room_id"}, reader.integer({"room", "room_id"}));
  spec.publisherId = required(reader, "publisher_id", reader.integer("publisher_id"));
  spec.host = reader.string("host").value_or(spec.host);
  spec.hostFamily = reader.string("host_family");
  spec.secret = reader.string("secret");
  spec.adminKey = reader.string("admin_key");
  spec.srtpSuite = reader.integer("srtp_suite");
  spec.srtpCrypto = reader.string("srtp_crypto");
  if (auto streams = reader.objects("streams")) {
    for (json::ObjectReader& item : *streams) {
      spec.streams.push_back(RtpForwardStreamSpec::read(item));
    }
  }
  reader.rejectUnknownFields();
  return spec;
}

void RtpForwardRequestSpec::validate(const std::string& path,
                                     json::Diagnostics& diagnostics) const {
  auto at = [&](std::string_view key) { return json::childPath(path, key); };
  checkId(diagnostics, at("room"), room);
  checkId(diagnostics, at("publisher_id"), publisherId);
  checkHost(diagnostics, at("host"), host);
  checkHostFamily(diagnostics, at("host_family"), hostFamily);
  checkNotEmpty(diagnostics, at("secret"), secret);
  checkNotEmpty(diagnostics, at("admin_key"), adminKey);
  if (srtpSuite && *srtpSuite != 32 && *srtpSuite != 80) {
    diagnostics.error(at("srtp_suite"), "must be 32 or 80");
  }
  if (srtpSuite.has_value() != srtpCrypto.has_value()) {
    diagnostics.error(at(srtpSuite ? "srtp_crypto" : "srtp_suite"),
                      "srtp_suite and srtp_crypto go together");
  }
  if (streams.empty()) diagnostics.error(at("streams"), "must list at least one stream");
  std::map<std::string, std::string> mids;
  std::map<std::pair<std::string, std::int64_t>, std::string> destinations;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const RtpForwardStreamSpec& stream = streams[i];
    const std::string streamPath = json::indexPath(at("streams"), i);
    stream.validate(streamPath, diagnostics);
    if (auto [it, inserted] = mids.emplace(stream.mid, streamPath + ".mid"); !inserted) {
      diagnostics.error(streamPath + ".mid",
                        "duplicate mid " + quoted(stream.mid) + " (also " + it->second + ")");
    }
    const std::string& streamHost = stream.host.value_or(host);
    for (const auto& [key, port] :
         {std::pair{"port", std::optional(stream.port)}, std::pair{"port_2", stream.port2},
          std::pair{"port_3", stream.port3}}) {
      if (!port) continue;
      const std::string portPath = json::childPath(streamPath, key);
      auto [it, inserted] = destinations.emplace(std::pair{streamHost, *port}, portPath);
      if (!inserted) {
        diagnostics.error(portPath, "port " + std::to_string(*port) +
                                        " is already the destination of " + it->second);
      }
    }
  }
}

GRef<JsonNode> RtpForwardRequestSpec::toJson() const {
  std::vector<GRef<JsonNode>> streamNodes;
  for (const RtpForwardStreamSpec& stream : streams)
    streamNodes.push_back(stream.toJson());
  json::ObjectWriter out;
  out.set("room", room)
      .set("publisher_id", publisherId)
      .set("host", host)
      .set("host_family", hostFamily)
      .set("secret", secret)
      .set("admin_key", adminKey)
      .set("srtp_suite", srtpSuite)
      .set("srtp_crypto", srtpCrypto)
      .set("streams", json::arrayOf(streamNodes));
  return out.node();
}

}  // namespace su::model
