#include "app/janus_commands.hpp"

#include <cstdio>
#include <optional>
#include <string>

#include "app/arguments.hpp"
#include "app/command_output.hpp"
#include "app/exit_codes.hpp"
#include "app/input.hpp"
#include "app/janus_access.hpp"
#include "janus/blocking_session.hpp"
#include "janus/streaming.hpp"
#include "janus/videoroom.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "model/decode.hpp"
#include "model/redaction.hpp"

namespace su::app {

namespace {

constexpr const char* kMountpointUsage =
    "usage: streaming-utils mountpoint list\n"
    "       streaming-utils mountpoint info ID [--secret S]\n"
    "       streaming-utils mountpoint create --spec FILE [--admin-key K]\n"
    "       streaming-utils mountpoint destroy ID [--secret S] [--permanent]\n"
    "\n"
    "Janus Streaming mountpoints: list them (with each media's age_ms, to find leaked or dead\n"
    "ones), show one, create one from a mountpoint spec (the mountpoint_spec of a broadcast\n"
    "request), destroy one (one that is already gone is not an error).\n";

constexpr const char* kRoomUsage =
    "usage: streaming-utils room exists ID\n"
    "       streaming-utils room create ID [--spec FILE] [--secret S] [--admin-key K]\n"
    "       streaming-utils room destroy ID [--secret S] [--permanent]\n"
    "       streaming-utils room forwarders ID [--secret S] [--admin-key K]\n"
    "\n"
    "Janus VideoRoom rooms and their RTP forwarders. `create` takes an optional room spec (the\n"
    "room_spec of a broadcast request); ID, --secret and --admin-key override its fields.\n";

constexpr const char* kCommandOptions =
    "  --secret S        the mountpoint or room secret (default $SU_JANUS_SECRET)\n"
    "  --admin-key K     the plugin admin_key (default $SU_JANUS_ADMIN_KEY)\n"
    "  --timeout MS      per request (default 10000)\n"
    "Output is JSON with secrets masked. Exit status: 0 done, 1 Janus refused or could not be\n"
    "reached, 2 wrong arguments or an invalid spec.\n";

const std::vector<OptionSpec> kOptions =
    withJanusOptions({{"secret"}, {"admin-key"}, {"timeout"}, {"spec"}, {"permanent", false}});

std::optional<std::int64_t> parseId(const std::string& text) {
  gint64 value = 0;
  if (!g_ascii_string_to_signed(text.c_str(), 10, 1, G_MAXINT64, &value, nullptr)) {
    return std::nullopt;
  }
  return value;
}

// One Janus session for one command.
Result<std::unique_ptr<janus::BlockingSession>> openSession(const Arguments& arguments) {
  janus::SessionOptions options = janusSessionOptions(arguments);
  if (const auto timeout = arguments.value("timeout")) {
    gint64 ms = 0;
    if (!g_ascii_string_to_signed(timeout->c_str(), 10, 1, 3'600'000, &ms, nullptr)) {
      return makeError(ArgumentError::Usage, "--timeout takes milliseconds (1..3600000)");
    }
    options.connectTimeout = options.requestTimeout = Milliseconds(ms);
  }
  return janus::BlockingSession::open(std::move(options));
}

// A spec file decoded into a model, or every problem with it.
template <typename T>
Result<T> readSpec(const std::string& path, std::string_view what) {
  auto text = readInput(path, json::ParseLimits{}.maxBytes);
  if (!text) return text.error();
  return model::decodeText<T>(*text, what);
}

int failSpec(const Error& error) {
  std::fprintf(stderr, "error: %s\n", model::redactText(error.message).c_str());
  for (const FieldError& field : error.fields) {
    std::fprintf(stderr, "  %s\n", model::redactText(field.toString()).c_str());
  }
  return kExitInvalidInput;
}

json::ObjectWriter mediaJson(const janus::MountPointMedia& media) {
  json::ObjectWriter out;
  out.set("mid", media.mid)
      .set("type", model::nameOf(media.type))
      .set("mindex", media.mindex)
      .set("label", media.label)
      .set("codec", media.codec)
      .set("pt", media.pt)
      .set("fmtp", media.fmtp)
      .set("port", media.port)
      .set("rtcp_port", media.rtcpPort)
      .set("port2", media.port2)
      .set("port3", media.port3)
      .set("age_ms", media.ageMs);
  return out;
}

GRef<JsonNode> mountPointJson(const janus::MountPointInfo& info) {
  std::vector<GRef<JsonNode>> media;
  for (const auto& item : info.media)
    media.push_back(mediaJson(item).node());
  json::ObjectWriter out;
  out.set("id", info.id)
      .set("name", info.name)
      .set("description", info.description)
      .set("metadata", info.metadata)
      .set("type", info.type)
      .set("enabled", info.enabled)
      .set("viewers", info.viewers)
      .set("media", json::arrayOf(media));
  return out.node();
}

const char* removalName(janus::Removal removal) {
  return removal == janus::Removal::Destroyed ? "destroyed" : "already gone";
}

int mountpointCommand(const std::string& action, const Arguments& arguments) {
  const auto& positional = arguments.positional();
  std::optional<std::int64_t> id;
  std::optional<model::MountPoint> spec;
  if (action == "info" || action == "destroy") {
    if (positional.size() != 2 || !(id = parseId(positional[1]))) {
      return failUsage(action + " takes one ID, a positive integer", kMountpointUsage);
    }
  } else if (action == "create") {
    const auto path = arguments.value("spec");
    if (!path || positional.size() != 1) {
      return failUsage("create takes --spec FILE and no ID (put the id in the spec)",
                       kMountpointUsage);
    }
    auto decoded = readSpec<model::MountPoint>(*path, "mountpoint spec");
    if (!decoded) return failSpec(decoded.error());
    spec = std::move(decoded).value();
    if (auto key = arguments.value("admin-key", "SU_JANUS_ADMIN_KEY")) spec->adminKey = key;
  } else if (action != "list") {
    return failUsage("unknown mountpoint action '" + action + "'", kMountpointUsage);
  }

  auto call = openSession(arguments);
  if (!call) return fail(kExitFailure, call.error().message);
  auto client = (*call)->attach<janus::StreamingClient>();
  if (!client) return fail(kExitFailure, client.error().message);
  janus::StreamingClient& streaming = **client;
  const auto secret = arguments.value("secret", "SU_JANUS_SECRET");

  if (action == "list") {
    auto list =
        (*call)->wait<std::vector<janus::MountPointInfo>>([&](auto done) { streaming.list(done); });
    if (!list) return fail(kExitFailure, list.error().message);
    std::vector<GRef<JsonNode>> entries;
    for (const auto& info : *list)
      entries.push_back(mountPointJson(info));
    printJson(json::ObjectWriter().set("mountpoints", json::arrayOf(entries)).node());
  } else if (action == "info") {
    auto info =
        (*call)->wait<janus::MountPointInfo>([&](auto done) { streaming.info(*id, secret, done); });
    if (!info) return fail(kExitFailure, info.error().message);
    printJson(mountPointJson(*info));
  } else if (action == "create") {
    auto created =
        (*call)->wait<janus::MountPointCreated>([&](auto done) { streaming.create(*spec, done); });
    if (!created) return fail(kExitFailure, created.error().message);
    std::vector<GRef<JsonNode>> ports;
    for (const auto& port : created->ports) {
      ports.push_back(json::ObjectWriter()
                          .set("mid", port.mid)
                          .set("type", model::nameOf(port.type))
                          .set("port", port.port)
                          .set("rtcp_port", port.rtcpPort)
                          .set("port2", port.port2)
                          .set("port3", port.port3)
                          .node());
    }
    printJson(json::ObjectWriter()
                  .set("id", created->id)
                  .set("name", created->name)
                  .set("type", created->type)
                  .set("permanent", created->permanent)
                  .set("ports", json::arrayOf(ports))
                  .node());
  } else {
    auto removed = (*call)->wait<janus::Removal>(
        [&](auto done) { streaming.destroy(*id, secret, arguments.has("permanent"), done); });
    if (!removed) return fail(kExitFailure, removed.error().message);
    printJson(json::ObjectWriter().set("id", *id).set("result", removalName(*removed)).node());
  }
  return kExitOk;
}

int roomCommand(const std::string& action, const Arguments& arguments) {
  const auto& positional = arguments.positional();
  std::optional<std::int64_t> id;
  if (positional.size() != 2 || !(id = parseId(positional[1]))) {
    return failUsage(action + " takes one room ID, a positive integer", kRoomUsage);
  }
  if (action != "exists" && action != "create" && action != "destroy" && action != "forwarders") {
    return failUsage("unknown room action '" + action + "'", kRoomUsage);
  }
  const auto secret = arguments.value("secret", "SU_JANUS_SECRET");
  const auto adminKey = arguments.value("admin-key", "SU_JANUS_ADMIN_KEY");
  model::RoomSpec spec;
  if (const auto path = arguments.value("spec")) {
    auto decoded = readSpec<model::RoomSpec>(*path, "room spec");
    if (!decoded) return failSpec(decoded.error());
    spec = std::move(decoded).value();
  }
  spec.room = id;
  if (secret) spec.secret = secret;
  if (adminKey) spec.adminKey = adminKey;

  auto call = openSession(arguments);
  if (!call) return fail(kExitFailure, call.error().message);
  auto client = (*call)->attach<janus::VideoRoomClient>();
  if (!client) return fail(kExitFailure, client.error().message);
  janus::VideoRoomClient& videoroom = **client;

  if (action == "exists") {
    auto exists = (*call)->wait<bool>([&](auto done) { videoroom.exists(*id, done); });
    if (!exists) return fail(kExitFailure, exists.error().message);
    printJson(json::ObjectWriter().set("room", *id).set("exists", *exists).node());
  } else if (action == "create") {
    auto created =
        (*call)->wait<janus::RoomCreated>([&](auto done) { videoroom.create(spec, done); });
    if (!created) return fail(kExitFailure, created.error().message);
    printJson(json::ObjectWriter()
                  .set("room", created->room)
                  .set("permanent", created->permanent)
                  .node());
  } else if (action == "destroy") {
    auto removed = (*call)->wait<janus::Removal>(
        [&](auto done) { videoroom.destroy(*id, secret, arguments.has("permanent"), done); });
    if (!removed) return fail(kExitFailure, removed.error().message);
    printJson(json::ObjectWriter().set("room", *id).set("result", removalName(*removed)).node());
  } else {
    auto publishers = (*call)->wait<std::vector<janus::PublisherForwarders>>([&](auto done) {
      videoroom.listForwarders(*id, {secret, adminKey}, done);
    });
    if (!publishers) return fail(kExitFailure, publishers.error().message);
    std::vector<GRef<JsonNode>> entries;
    for (const auto& publisher : *publishers) {
      std::vector<GRef<JsonNode>> forwarders;
      for (const auto& forwarder : publisher.forwarders) {
        forwarders.push_back(json::ObjectWriter()
                                 .set("stream_id", forwarder.streamId)
                                 .set("type", forwarder.type)
                                 .set("host", forwarder.host)
                                 .set("port", forwarder.port)
                                 .node());
      }
      entries.push_back(json::ObjectWriter()
                            .set("publisher_id", publisher.publisherId)
                            .set("forwarders", json::arrayOf(forwarders))
                            .node());
    }
    printJson(
        json::ObjectWriter().set("room", *id).set("publishers", json::arrayOf(entries)).node());
  }
  return kExitOk;
}

int runJanusCommand(int argc, char** argv, const char* usage,
                    int (*command)(const std::string&, const Arguments&)) {
  auto arguments = Arguments::parse(argc, argv, kOptions);
  if (!arguments) return failUsage(arguments.error().message, usage);
  if (arguments->help() || arguments->positional().empty()) {
    std::fputs(usage, arguments->help() ? stdout : stderr);
    std::FILE* out = arguments->help() ? stdout : stderr;
    std::fprintf(out, "\nOptions:\n%s%s", kJanusOptionsHelp, kCommandOptions);
    return arguments->help() ? kExitOk : kExitUsage;
  }
  return command(arguments->positional().front(), *arguments);
}

}  // namespace

int runMountpoint(int argc, char** argv) {
  return runJanusCommand(argc, argv, kMountpointUsage, mountpointCommand);
}

int runRoom(int argc, char** argv) {
  return runJanusCommand(argc, argv, kRoomUsage, roomCommand);
}

}  // namespace su::app
