#include "model/broadcast_result.hpp"

#include "json/writer.hpp"
#include "model/decode.hpp"
#include "model/rules.hpp"

namespace su::model {

namespace {

constexpr std::string_view kWhat = "broadcast result";

template <typename Item>
std::vector<Item> readList(json::ObjectReader& reader, const char* key,
                           Item (*readItem)(json::ObjectReader&)) {
  std::vector<Item> items;
  if (auto list = reader.objects(key)) {
    for (json::ObjectReader& item : *list)
      items.push_back(readItem(item));
  }
  return items;
}

template <typename Item>
GRef<JsonNode> writeList(const std::vector<Item>& items,
                         json::ObjectWriter (*writeItem)(const Item&)) {
  std::vector<GRef<JsonNode>> nodes;
  for (const Item& item : items)
    nodes.push_back(writeItem(item).node());
  return json::arrayOf(nodes);
}

RoomSection readRoom(json::ObjectReader& reader) {
  RoomSection room;
  room.roomId = required(reader, "room_id", reader.integer("room_id"));
  room.created = reader.boolean("created").value_or(false);
  room.raw = reader.any("raw");
  reader.rejectUnknownFields();
  return room;
}

json::ObjectWriter writeRoom(const RoomSection& room) {
  json::ObjectWriter out;
  out.set("room_id", room.roomId).set("created", room.created).set("raw", room.raw);
  return out;
}

MountPointPort readPort(json::ObjectReader& reader) {
  MountPointPort port;
  port.mid = required(reader, "mid", reader.string("mid"));
  port.type = readEnum<MediaType>(reader, "type").value_or(MediaType::Video);
  port.port = required(reader, "port", reader.integer("port"));
  port.rtcpPort = reader.integer("rtcp_port");
  port.port2 = reader.integer("port2");
  port.port3 = reader.integer("port3");
  reader.rejectUnknownFields();
  return port;
}

json::ObjectWriter writePort(const MountPointPort& port) {
  json::ObjectWriter out;
  out.set("mid", port.mid)
      .set("type", nameOf(port.type))
      .set("port", port.port)
      .set("rtcp_port", port.rtcpPort)
      .set("port2", port.port2)
      .set("port3", port.port3);
  return out;
}

MountPointSection readMountPoint(json::ObjectReader& reader) {
  MountPointSection mountpoint;
  mountpoint.id = required(reader, "id", reader.integer("id"));
  mountpoint.created = reader.boolean("created").value_or(false);
  mountpoint.media = readList(reader, "media", readPort);
  mountpoint.raw = reader.any("raw");
  reader.rejectUnknownFields();
  return mountpoint;
}

json::ObjectWriter writeMountPoint(const MountPointSection& mountpoint) {
  json::ObjectWriter out;
  out.set("id", mountpoint.id)
      .set("created", mountpoint.created)
      .set("media", writeList(mountpoint.media, writePort))
      .set("raw", mountpoint.raw);
  return out;
}

OutputSection readOutput(json::ObjectReader& reader) {
  OutputSection output;
  output.janusUrl = required(reader, "janus_url", reader.string("janus_url"));
  output.state = readEnum<RunState>(reader, "state").value_or(output.state);
  if (auto mountpoint = reader.object("mountpoint"))
    output.mountpoint = readMountPoint(*mountpoint);
  reader.rejectUnknownFields();
  return output;
}

json::ObjectWriter writeOutput(const OutputSection& output) {
  json::ObjectWriter out;
  out.set("janus_url", output.janusUrl).set("state", nameOf(output.state));
  if (output.mountpoint) out.set("mountpoint", writeMountPoint(*output.mountpoint));
  return out;
}

Forwarder readForwarder(json::ObjectReader& reader) {
  Forwarder forwarder;
  forwarder.mid = required(reader, "mid", reader.string("mid"));
  forwarder.streamId = required(reader, "stream_id", reader.integer("stream_id"));
  forwarder.host = required(reader, "host", reader.string("host"));
  forwarder.port = required(reader, "port", reader.integer("port"));
  reader.rejectUnknownFields();
  return forwarder;
}

json::ObjectWriter writeForwarder(const Forwarder& forwarder) {
  json::ObjectWriter out;
  out.set("mid", forwarder.mid)
      .set("stream_id", forwarder.streamId)
      .set("host", forwarder.host)
      .set("port", forwarder.port);
  return out;
}

ForwardSection readForward(json::ObjectReader& reader) {
  ForwardSection forward;
  forward.roomId = required(reader, "room_id", reader.integer("room_id"));
  forward.publisherId = required(reader, "publisher_id", reader.integer("publisher_id"));
  forward.forwarders = readList(reader, "forwarders", readForwarder);
  forward.raw = reader.any("raw");
  reader.rejectUnknownFields();
  return forward;
}

json::ObjectWriter writeForward(const ForwardSection& forward) {
  json::ObjectWriter out;
  out.set("room_id", forward.roomId)
      .set("publisher_id", forward.publisherId)
      .set("forwarders", writeList(forward.forwarders, writeForwarder))
      .set("raw", forward.raw);
  return out;
}

RelaySection readRelay(json::ObjectReader& reader) {
  RelaySection relay;
  relay.kind = readEnum<RelayKind>(reader, "kind").value_or(relay.kind);
  relay.state = readEnum<RunState>(reader, "state").value_or(relay.state);
  relay.input = reader.string("input");
  relay.restarts = reader.integer("restarts").value_or(0);
  relay.lastError = reader.string("last_error");
  reader.rejectUnknownFields();
  return relay;
}

json::ObjectWriter writeRelay(const RelaySection& relay) {
  json::ObjectWriter out;
  out.set("kind", nameOf(relay.kind))
      .set("state", nameOf(relay.state))
      .set("input", relay.input)
      .set("restarts", relay.restarts)
      .set("last_error", relay.lastError);
  return out;
}

SrsSection readSrs(json::ObjectReader& reader) {
  SrsSection srs;
  srs.publishUrl = required(reader, "publish_url", reader.string("publish_url"));
  reader.rejectUnknownFields();
  return srs;
}

json::ObjectWriter writeSrs(const SrsSection& srs) {
  json::ObjectWriter out;
  out.set("publish_url", srs.publishUrl);
  return out;
}

QueueSection readQueue(json::ObjectReader& reader) {
  QueueSection queue;
  queue.kind = readEnum<QueueKind>(reader, "kind").value_or(queue.kind);
  queue.jobId = reader.string("job_id");
  queue.messageId = reader.string("message_id");
  queue.attempt = reader.integer("attempt").value_or(0);
  reader.rejectUnknownFields();
  return queue;
}

json::ObjectWriter writeQueue(const QueueSection& queue) {
  json::ObjectWriter out;
  out.set("kind", nameOf(queue.kind))
      .set("job_id", queue.jobId)
      .set("message_id", queue.messageId)
      .set("attempt", queue.attempt);
  return out;
}

MediaHealth readMediaHealth(json::ObjectReader& reader) {
  MediaHealth media;
  media.mid = required(reader, "mid", reader.string("mid"));
  media.ageMs = reader.integer("age_ms");
  media.fresh = reader.boolean("fresh").value_or(false);
  reader.rejectUnknownFields();
  return media;
}

json::ObjectWriter writeMediaHealth(const MediaHealth& media) {
  json::ObjectWriter out;
  out.set("mid", media.mid).set("age_ms", media.ageMs).set("fresh", media.fresh);
  return out;
}

OutputHealth readOutputHealth(json::ObjectReader& reader) {
  OutputHealth output;
  output.janusUrl = required(reader, "janus_url", reader.string("janus_url"));
  output.healthy = reader.boolean("healthy").value_or(false);
  output.media = readList(reader, "media", readMediaHealth);
  output.janusError = reader.string("janus_error");
  reader.rejectUnknownFields();
  return output;
}

json::ObjectWriter writeOutputHealth(const OutputHealth& output) {
  json::ObjectWriter out;
  out.set("janus_url", output.janusUrl)
      .set("healthy", output.healthy)
      .set("media", writeList(output.media, writeMediaHealth))
      .set("janus_error", output.janusError);
  return out;
}

BroadcastHealth readHealth(json::ObjectReader& reader) {
  BroadcastHealth health;
  health.healthy = reader.boolean("healthy").value_or(false);
  health.media = readList(reader, "media", readMediaHealth);
  health.relayState = readEnum<RunState>(reader, "relay_state");
  health.obsStreaming = reader.boolean("obs_streaming");
  health.forwarding = reader.boolean("forwarding");
  health.janusError = reader.string("janus_error");
  health.checkedAtMs = reader.integer("checked_at_ms");
  health.outputs = readList(reader, "outputs", readOutputHealth);
  reader.rejectUnknownFields();
  return health;
}

json::ObjectWriter writeHealth(const BroadcastHealth& health) {
  json::ObjectWriter out;
  out.set("healthy", health.healthy).set("media", writeList(health.media, writeMediaHealth));
  if (health.relayState) out.set("relay_state", nameOf(*health.relayState));
  out.set("obs_streaming", health.obsStreaming)
      .set("forwarding", health.forwarding)
      .set("janus_error", health.janusError)
      .set("checked_at_ms", health.checkedAtMs);
  if (!health.outputs.empty()) out.set("outputs", writeList(health.outputs, writeOutputHealth));
  return out;
}

ResultError readError(json::ObjectReader& reader) {
  ResultError error;
  error.domain = reader.string("domain").value_or("");
  error.code = reader.integer("code").value_or(0);
  error.message = required(reader, "message", reader.string("message"));
  reader.rejectUnknownFields();
  return error;
}

json::ObjectWriter writeError(const ResultError& error) {
  json::ObjectWriter out;
  out.set("domain", error.domain).set("code", error.code).set("message", error.message);
  return out;
}

template <typename Section>
std::optional<Section> readSection(json::ObjectReader& reader, json::FieldNames key,
                                   Section (*readItem)(json::ObjectReader&)) {
  if (auto section = reader.object(key)) return readItem(*section);
  return std::nullopt;
}

template <typename Section>
void writeSection(json::ObjectWriter& out, const char* key, const std::optional<Section>& section,
                  json::ObjectWriter (*writeItem)(const Section&)) {
  if (section) out.set(key, writeItem(*section));
}

}  // namespace

GRef<JsonNode> BroadcastHealth::toJson() const {
  return writeHealth(*this).node();
}

ResultError ResultError::from(const Error& error) {
  return ResultError{error.domain ? g_quark_to_string(error.domain) : "", error.code,
                     error.describe()};
}

Result<BroadcastResult> BroadcastResult::fromPayload(JsonNode* payload) {
  return decode<BroadcastResult>(payload, kWhat);
}

Result<BroadcastResult> BroadcastResult::fromPayload(std::string_view text) {
  return decodeText<BroadcastResult>(text, kWhat);
}

BroadcastResult BroadcastResult::read(json::ObjectReader& reader) {
  BroadcastResult result;
  if (auto request = reader.object("request")) {
    result.request = BroadcastRequest::read(*request);
    result.request.normalize();
  } else if (!reader.has("request")) {
    reader.error("request", "required");
  }
  result.broadcastId = required(reader, "broadcast_id", reader.string("broadcast_id"));
  result.state = readEnum<RunState>(reader, "state").value_or(result.state);
  result.room = readSection(reader, {"room_response", "room"}, readRoom);
  result.mountpoint = readSection(reader, {"mountpoint_response", "mountpoint"}, readMountPoint);
  result.outputs = readList(reader, "outputs", readOutput);
  result.forward = readSection(reader, {"forward_response", "forward"}, readForward);
  result.relay = readSection(reader, {"relay_info", "relay"}, readRelay);
  result.srs = readSection(reader, {"srs_info", "srs"}, readSrs);
  result.queue = readSection(reader, {"queue_info", "queue"}, readQueue);
  result.health = readSection(reader, "health", readHealth);
  result.note = reader.string("note");
  result.error = readSection(reader, "error", readError);
  reader.rejectUnknownFields();
  return result;
}

void BroadcastResult::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  request.validate(json::childPath(path, "request"), diagnostics);
  if (broadcastId.empty()) {
    diagnostics.error(json::childPath(path, "broadcast_id"), "must not be empty");
  }
}

GRef<JsonNode> BroadcastResult::toPayload() const {
  json::ObjectWriter out;
  out.set("request", request.toPayload())
      .set("broadcast_id", broadcastId)
      .set("state", nameOf(state));
  // The original's field names: what its users parse.
  writeSection(out, "room_response", room, writeRoom);
  writeSection(out, "mountpoint_response", mountpoint, writeMountPoint);
  if (!outputs.empty()) out.set("outputs", writeList(outputs, writeOutput));
  writeSection(out, "forward_response", forward, writeForward);
  writeSection(out, "relay_info", relay, writeRelay);
  writeSection(out, "srs_info", srs, writeSrs);
  writeSection(out, "queue_info", queue, writeQueue);
  writeSection(out, "health", health, writeHealth);
  out.set("note", note);
  writeSection(out, "error", error, writeError);
  return out.node();
}

}  // namespace su::model
