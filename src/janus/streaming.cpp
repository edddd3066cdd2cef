#include "janus/streaming.hpp"

#include "janus/reply.hpp"
#include "json/writer.hpp"
#include "model/janus_mapping.hpp"
#include "model/rules.hpp"

namespace su::janus {

namespace {

using json::ObjectReader;
using model::required;

model::MountPointPort readPort(ObjectReader& reader) {
  model::MountPointPort port;
  port.mid = required(reader, "mid", reader.string("mid"));
  port.type = model::readEnum<model::MediaType>(reader, "type").value_or(port.type);
  port.port = required(reader, "port", reader.integer("port"));
  port.rtcpPort = reader.integer({"rtcp_port", "rtcpport"});
  port.port2 = reader.integer({"port_2", "port2"});
  port.port3 = reader.integer({"port_3", "port3"});
  return port;
}

MountPointMedia readMedia(ObjectReader& reader) {
  MountPointMedia media;
  media.mid = required(reader, "mid", reader.string("mid"));
  media.type = model::readEnum<model::MediaType>(reader, "type").value_or(media.type);
  media.mindex = reader.integer("mindex");
  media.label = reader.string("label");
  media.codec = reader.string("codec");
  media.pt = reader.integer("pt");
  media.fmtp = reader.string("fmtp");
  media.port = reader.integer("port");
  media.rtcpPort = reader.integer({"rtcpport", "rtcp_port"});
  media.port2 = reader.integer({"port2", "port_2"});
  media.port3 = reader.integer({"port3", "port_3"});
  media.ageMs = reader.integer("age_ms");
  return media;
}

MountPointInfo readMountPoint(ObjectReader& reader) {
  MountPointInfo info;
  info.id = required(reader, "id", reader.integer("id"));
  info.name = reader.string("name");
  info.description = reader.string("description");
  info.metadata = reader.string("metadata");
  info.type = reader.string("type").value_or("");
  info.enabled = reader.boolean("enabled").value_or(false);
  info.viewers = reader.integer("viewers");
  if (auto media = reader.objects("media")) {
    for (ObjectReader& item : *media)
      info.media.push_back(readMedia(item));
  }
  return info;
}

}  // namespace

Result<MountPointCreated> parseCreated(const json::Value& data) {
  auto created = readReply<MountPointCreated>(data, "streaming create", [](ObjectReader& reply) {
    MountPointCreated result;
    result.name = reply.string("created").value_or("");
    result.permanent = reply.boolean("permanent").value_or(false);
    if (auto stream = reply.object("stream")) {
      result.id = required(*stream, "id", stream->integer("id"));
      result.type = stream->string("type").value_or("");
      if (auto ports = stream->objects("ports")) {
        for (ObjectReader& item : *ports)
          result.ports.push_back(readPort(item));
      }
    } else if (!reply.has("stream")) {
      reply.error("stream", "required");
    }
    return result;
  });
  if (created) created->raw = data;
  return created;
}

Result<MountPointInfo> parseInfo(const json::Value& data) {
  auto info = readReply<MountPointInfo>(data, "streaming info", [](ObjectReader& reply) {
    if (auto mountpoint = reply.object("info")) return readMountPoint(*mountpoint);
    reply.error("info", "required");
    return MountPointInfo{};
  });
  if (info) info->raw = data;
  return info;
}

Result<std::vector<MountPointInfo>> parseList(const json::Value& data) {
  return readReply<std::vector<MountPointInfo>>(data, "streaming list", [](ObjectReader& reply) {
    std::vector<MountPointInfo> list;
    if (auto entries = reply.objects("list")) {
      for (ObjectReader& entry : *entries)
        list.push_back(readMountPoint(entry));
    } else if (!reply.has("list")) {
      reply.error("list", "required");
    }
    return list;
  });
}

void StreamingClient::attach(Session& session, Callback<std::unique_ptr<StreamingClient>> done) {
  session.attach(kStreamingPlugin, [done](Result<std::shared_ptr<Handle>> handle) {
    if (!handle) return done(handle.error());
    done(std::make_unique<StreamingClient>(*handle));
  });
}

void StreamingClient::create(const model::MountPoint& mountpoint,
                             Callback<MountPointCreated> done) {
  handle_->message(model::streamingCreateBody(mountpoint), replyParsed(done, parseCreated));
}

void StreamingClient::destroy(std::int64_t id, const std::optional<std::string>& secret,
                              bool permanent, Callback<Removal> done) {
  json::ObjectWriter request;
  request.set("request", "destroy").set("id", id).set("secret", secret).set("permanent", permanent);
  handle_->message(request.node(), [done](Result<PluginReply> reply) {
    if (reply) return done(Removal::Destroyed);
    if (isPluginError(reply.error(), kStreamingNoSuchMountpoint)) return done(Removal::AlreadyGone);
    done(reply.error());
  });
}

void StreamingClient::info(std::int64_t id, const std::optional<std::string>& secret,
                           Callback<MountPointInfo> done) {
  json::ObjectWriter request;
  request.set("request", "info").set("id", id).set("secret", secret);
  handle_->message(request.node(), replyParsed(done, parseInfo));
}

void StreamingClient::list(Callback<std::vector<MountPointInfo>> done) {
  json::ObjectWriter request;
  request.set("request", "list");
  handle_->message(request.node(), replyParsed(done, parseList));
}

void StreamingClient::edit(std::int64_t id, const MountPointEdit& edit, Callback<void> done) {
  json::ObjectWriter request;
  request.set("request", "edit")
      .set("id", id)
      .set("secret", edit.secret)
      .set("new_description", edit.newDescription)
      .set("new_metadata", edit.newMetadata)
      .set("new_secret", edit.newSecret)
      .set("new_pin", edit.newPin)
      .set("new_is_private", edit.newIsPrivate)
      .set("permanent", edit.permanent);
  handle_->message(request.node(), replyIgnored(done));
}

void StreamingClient::enable(std::int64_t id, const std::optional<std::string>& secret,
                             Callback<void> done) {
  json::ObjectWriter request;
  request.set("request", "enable").set("id", id).set("secret", secret);
  handle_->message(request.node(), replyIgnored(done));
}

void StreamingClient::disable(std::int64_t id, const std::optional<std::string>& secret,
                              Callback<void> done) {
  json::ObjectWriter request;
  // Janus 1.1.2 crashes on `disable` unless stop_recording is false (seen on Debian's build).
  request.set("request", "disable")
      .set("id", id)
      .set("stop_recording", false)
      .set("secret", secret);
  handle_->message(request.node(), replyIgnored(done));
}

}  // namespace su::janus
