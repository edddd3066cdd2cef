#include "janus/videoroom.hpp"

#include "core/log.hpp"
#include "janus/reply.hpp"
#include "json/writer.hpp"
#include "model/janus_mapping.hpp"
#include "model/rules.hpp"

#define GST_CAT_DEFAULT su::log::janus

namespace su::janus {

namespace {

using json::ObjectReader;
using model::required;

struct ForwardReply {
  std::int64_t room = 0;
  std::int64_t publisherId = 0;
  std::vector<ForwarderEntry> forwarders;
};

ForwarderEntry readForwarder(ObjectReader& reader) {
  ForwarderEntry entry;
  entry.streamId = required(reader, "stream_id", reader.integer("stream_id"));
  entry.type = reader.string("type").value_or("");
  entry.host = reader.string("host").value_or("");
  entry.port = required(reader, "port", reader.integer("port"));
  return entry;
}

std::vector<ForwarderEntry> readForwarderList(ObjectReader& reader) {
  std::vector<ForwarderEntry> entries;
  if (auto list = reader.objects("forwarders")) {
    for (ObjectReader& item : *list)
      entries.push_back(readForwarder(item));
  }
  return entries;
}

Result<ForwardReply> parseForwardReply(const json::Value& data) {
  return readReply<ForwardReply>(data, "videoroom rtp_forward", [](ObjectReader& reply) {
    ForwardReply result;
    result.room = reply.integer("room").value_or(0);
    result.publisherId = reply.integer("publisher_id").value_or(0);
    if (!reply.has("forwarders")) reply.error("forwarders", "required");
    result.forwarders = readForwarderList(reply);
    return result;
  });
}

// Several forwarders on one port can only differ by host: prefer the one with ours.
const ForwarderEntry* findForwarder(const std::vector<ForwarderEntry>& entries, std::int64_t port,
                                    const std::string& host) {
  const ForwarderEntry* match = nullptr;
  for (const ForwarderEntry& entry : entries) {
    if (entry.port != port) continue;
    if (entry.host == host) return &entry;
    if (!match) match = &entry;
  }
  return match;
}

}  // namespace

Result<RtpForwarded> matchForwarders(const model::RtpForwardRequestSpec& request,
                                     const json::Value& data) {
  auto reply = parseForwardReply(data);
  if (!reply) return reply.error();
  RtpForwarded result{reply->room ? reply->room : request.room,
                      reply->publisherId ? reply->publisherId : request.publisherId,
                      {},
                      data};
  std::string skipped;
  for (const model::RtpForwardStreamSpec& stream : request.streams) {
    const std::string host = stream.host.value_or(request.host);
    for (const auto& port : {std::optional(stream.port), stream.port2, stream.port3}) {
      if (!port) continue;
      if (const ForwarderEntry* entry = findForwarder(reply->forwarders, *port, host)) {
        result.forwarders.push_back({stream.mid, entry->streamId, host, *port});
      } else if (*port == stream.port) {
        skipped += (skipped.empty() ? "" : ", ") + model::quoted(stream.mid) + " (port " +
                   std::to_string(*port) + ")";
      }
    }
  }
  if (!skipped.empty()) {
    return makeError(JanusError::ForwardIncomplete,
                     "Janus did not forward every stream of publisher " +
                         std::to_string(request.publisherId) + " in room " +
                         std::to_string(request.room) + ": skipped mid " + skipped +
                         " (a mid the publisher does not have is skipped silently)");
  }
  return result;
}

Result<std::vector<PublisherForwarders>> parseForwarders(const json::Value& data) {
  return readReply<std::vector<PublisherForwarders>>(
      data, "videoroom listforwarders", [](ObjectReader& reply) {
        std::vector<PublisherForwarders> publishers;
        if (auto list = reply.objects("publishers")) {
          for (ObjectReader& item : *list) {
            PublisherForwarders publisher;
            publisher.publisherId = required(item, "publisher_id", item.integer("publisher_id"));
            publisher.forwarders = readForwarderList(item);
            publishers.push_back(std::move(publisher));
          }
        } else if (!reply.has("publishers")) {
          reply.error("publishers", "required");
        }
        return publishers;
      });
}

Result<std::vector<RoomPublisher>> parsePublishers(const json::Value& data) {
  return readReply<std::vector<RoomPublisher>>(
      data, "videoroom publishers", [](ObjectReader& event) {
        std::vector<RoomPublisher> publishers;
        if (auto list = event.objects("publishers")) {
          for (ObjectReader& item : *list) {
            RoomPublisher publisher;
            publisher.id = required(item, "id", item.integer("id"));
            publisher.display = item.string("display");
            if (auto streams = item.objects("streams")) {
              for (ObjectReader& entry : *streams) {
                PublishedStream stream;
                stream.mid = entry.string("mid").value_or("");
                const std::string type = entry.string("type").value_or("");
                stream.type =
                    model::enumFromName<model::MediaType>(type).value_or(model::MediaType::Data);
                stream.mindex = entry.integer("mindex").value_or(0);
                stream.codec = entry.string("codec");
                stream.disabled = entry.boolean("disabled").value_or(false);
                publisher.streams.push_back(std::move(stream));
              }
            }
            publishers.push_back(std::move(publisher));
          }
        }
        return publishers;
      });
}

RoomWatcher::RoomWatcher(std::shared_ptr<Handle> handle) : handle_(std::move(handle)) {
  std::weak_ptr<bool> alive = alive_;
  handle_->onEvent([this, alive](const HandleEvent& event) {
    if (!alive.expired()) onEvent(event);
  });
}

RoomWatcher::~RoomWatcher() {
  *alive_ = false;
  handle_->onEvent({});
  if (joined_ && handle_->attached()) {
    // Best effort; detaching the handle (when it goes) leaves the room anyway.
    json::ObjectWriter leave;
    leave.set("request", "leave");
    handle_->message(leave.node(), [](Result<PluginReply>) {});
  }
}

void RoomWatcher::join(std::int64_t room, const std::optional<std::string>& pin,
                       Callback<void> done) {
  room_ = room;
  json::ObjectWriter join;
  join.set("request", "join")
      .set("ptype", "publisher")
      .set("room", room)
      .set("display", "streaming-utils (watching publishers)")
      .set("pin", pin);
  std::weak_ptr<bool> alive = alive_;
  handle_->message(join.node(), [this, alive, done](Result<PluginReply> reply) {
    if (alive.expired()) return done(cancelledError());
    if (!reply) return done(reply.error());
    auto publishers = parsePublishers(reply->data);
    if (!publishers) return done(publishers.error());
    joined_ = true;
    publishers_ = std::move(publishers).value();
    GST_DEBUG("watching room %" G_GINT64_FORMAT ": %zu publishers", room_, publishers_.size());
    done(Result<void>());
  });
}

const RoomPublisher* RoomWatcher::find(std::int64_t id) const {
  for (const RoomPublisher& publisher : publishers_) {
    if (publisher.id == id) return &publisher;
  }
  return nullptr;
}

const RoomPublisher* RoomWatcher::findByDisplay(const std::string& display) const {
  for (const RoomPublisher& publisher : publishers_) {
    if (publisher.display == display) return &publisher;
  }
  return nullptr;
}

void RoomWatcher::onEvent(const HandleEvent& event) {
  if (event.type != "event" || !event.data.isObject()) return;
  JsonObject* data = event.data.object();
  std::weak_ptr<bool> alive = alive_;  // a handler may destroy the watcher
  if (json_object_has_member(data, "publishers")) {
    auto publishers = parsePublishers(event.data);
    if (publishers) published(std::move(publishers).value());
    if (alive.expired()) return;
  }
  for (const char* key : {"unpublished", "leaving"}) {
    JsonNode* node = json_object_get_member(data, key);
    if (node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64) {
      gone(json_node_get_int(node));
      if (alive.expired()) return;
    }
  }
}

void RoomWatcher::published(std::vector<RoomPublisher> publishers) {
  std::weak_ptr<bool> alive = alive_;
  for (RoomPublisher& publisher : publishers) {
    std::erase_if(publishers_, [&](const RoomPublisher& p) { return p.id == publisher.id; });
    publishers_.push_back(publisher);
    GST_DEBUG("room %" G_GINT64_FORMAT ": publisher %" G_GINT64_FORMAT " publishes", room_,
              publisher.id);
    if (handlers_.onPublished) handlers_.onPublished(publisher);
    if (alive.expired()) return;
  }
}

void RoomWatcher::gone(std::int64_t id) {
  const auto removed =
      std::erase_if(publishers_, [&](const RoomPublisher& p) { return p.id == id; });
  if (removed == 0) return;
  GST_DEBUG("room %" G_GINT64_FORMAT ": publisher %" G_GINT64_FORMAT " stopped publishing", room_,
            id);
  if (handlers_.onUnpublished) handlers_.onUnpublished(id);
}

void VideoRoomClient::watch(std::int64_t room, const std::optional<std::string>& pin,
                            Callback<std::unique_ptr<RoomWatcher>> done) {
  Session* session = handle_->session();
  if (!session) {
    return done(makeError(JanusError::NotConnected,
                          "no Janus session to watch room " + std::to_string(room) + " from"));
  }
  session->attach(kVideoRoomPlugin, [room, pin, done](Result<std::shared_ptr<Handle>> handle) {
    if (!handle) return done(handle.error());
    auto watcher =
        std::make_shared<std::unique_ptr<RoomWatcher>>(std::make_unique<RoomWatcher>(*handle));
    RoomWatcher* raw = watcher->get();
    raw->join(room, pin, [watcher, done](Result<void> joined) {
      if (!joined) return done(joined.error());
      done(std::move(*watcher));
    });
  });
}

void VideoRoomClient::attach(Session& session, Callback<std::unique_ptr<VideoRoomClient>> done) {
  session.attach(kVideoRoomPlugin, [done](Result<std::shared_ptr<Handle>> handle) {
    if (!handle) return done(handle.error());
    done(std::make_unique<VideoRoomClient>(*handle));
  });
}

void VideoRoomClient::exists(std::int64_t room, Callback<bool> done) {
  json::ObjectWriter request;
  request.set("request", "exists").set("room", room);
  handle_->message(request.node(), [done](Result<PluginReply> reply) {
    if (!reply) return done(reply.error());
    done(readReply<bool>(reply->data, "videoroom exists", [](ObjectReader& data) {
      return required(data, "exists", data.boolean("exists"));
    }));
  });
}

void VideoRoomClient::create(const model::RoomSpec& room, Callback<RoomCreated> done) {
  handle_->message(model::videoRoomCreateBody(room), [done](Result<PluginReply> reply) {
    if (!reply) return done(reply.error());
    auto created = readReply<RoomCreated>(reply->data, "videoroom create", [](ObjectReader& data) {
      return RoomCreated{required(data, "room", data.integer("room")),
                         data.boolean("permanent").value_or(false),
                         {}};
    });
    if (created) created->raw = reply->data;
    done(std::move(created));
  });
}

void VideoRoomClient::ensure(const model::RoomSpec& room, Callback<RoomEnsured> done) {
  if (!room.room) {
    // Janus would pick an id: that is a create, not an ensure.
    create(room, [done](Result<RoomCreated> created) {
      if (!created) return done(created.error());
      done(RoomEnsured{created->room, true, created->raw});
    });
    return;
  }
  const std::int64_t id = *room.room;
  exists(id, [this, room, id, done](Result<bool> found) {
    if (!found) return done(found.error());
    if (*found) return done(RoomEnsured{id, false, {}});
    create(room, [id, done](Result<RoomCreated> created) {
      if (created) return done(RoomEnsured{created->room, true, created->raw});
      // Created by someone else between exists and create: it exists, and is not ours.
      if (isPluginError(created.error(), kVideoRoomRoomExists)) {
        return done(RoomEnsured{id, false, {}});
      }
      done(created.error());
    });
  });
}

void VideoRoomClient::destroy(std::int64_t room, const std::optional<std::string>& secret,
                              bool permanent, Callback<Removal> done) {
  json::ObjectWriter request;
  request.set("request", "destroy")
      .set("room", room)
      .set("secret", secret)
      .set("permanent", permanent);
  handle_->message(request.node(), [done](Result<PluginReply> reply) {
    if (reply) return done(Removal::Destroyed);
    if (isPluginError(reply.error(), kVideoRoomNoSuchRoom)) return done(Removal::AlreadyGone);
    done(reply.error());
  });
}

void VideoRoomClient::rtpForward(const model::RtpForwardRequestSpec& forward,
                                 Callback<RtpForwarded> done) {
  const RoomAccess access{forward.secret, forward.adminKey};
  handle_->message(
      model::rtpForwardBody(forward), [this, forward, access, done](Result<PluginReply> reply) {
        if (!reply) return done(reply.error());
        auto matched = matchForwarders(forward, reply->data);
        if (matched || !matched.error().is(errorDomainOf(JanusError::ForwardIncomplete),
                                           static_cast<int>(JanusError::ForwardIncomplete))) {
          return done(std::move(matched));
        }
        // Leave nothing behind: stop what Janus did forward before reporting the failure.
        std::vector<std::int64_t> created;
        if (auto parsed = parseForwardReply(reply->data)) {
          for (const ForwarderEntry& entry : parsed->forwarders)
            created.push_back(entry.streamId);
        }
        GST_WARNING("%s", matched.error().message.c_str());
        stopAll(forward.room, forward.publisherId, std::move(created), access,
                [done, error = matched.error()] { done(error); });
      });
}

void VideoRoomClient::stopAll(std::int64_t room, std::int64_t publisherId,
                              std::vector<std::int64_t> streamIds, const RoomAccess& access,
                              std::function<void()> then) {
  if (streamIds.empty()) return then();
  auto remaining = std::make_shared<std::size_t>(streamIds.size());
  for (std::int64_t streamId : streamIds) {
    stopRtpForward(room, publisherId, streamId, access,
                   [remaining, then, streamId](Result<void> stopped) {
                     if (!stopped && !stopped.error().isCancelled()) {
                       GST_WARNING("stopping forwarder %" G_GINT64_FORMAT " failed: %s", streamId,
                                   stopped.error().message.c_str());
                     }
                     if (--*remaining == 0) then();
                   });
  }
}

void VideoRoomClient::stopRtpForward(std::int64_t room, std::int64_t publisherId,
                                     std::int64_t streamId, const RoomAccess& access,
                                     Callback<void> done) {
  json::ObjectWriter request;
  request.set("request", "stop_rtp_forward")
      .set("room", room)
      .set("publisher_id", publisherId)
      .set("stream_id", streamId)
      .set("secret", access.secret)
      .set("admin_key", access.adminKey);
  handle_->message(request.node(), replyIgnored(done));
}

void VideoRoomClient::listForwarders(std::int64_t room, const RoomAccess& access,
                                     Callback<std::vector<PublisherForwarders>> done) {
  json::ObjectWriter request;
  request.set("request", "listforwarders")
      .set("room", room)
      .set("secret", access.secret)
      .set("admin_key", access.adminKey);
  handle_->message(request.node(), replyParsed(done, parseForwarders));
}

}  // namespace su::janus
