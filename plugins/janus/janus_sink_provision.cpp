#include "janus_sink_provision.hpp"

#include <algorithm>

#include "core/main_context.hpp"
#include "core/task.hpp"
#include "janus/session.hpp"
#include "janus/streaming.hpp"
#include "model/decode.hpp"

namespace su::janussink {

GQuark errorDomainOf(JanusSinkError) {
  return g_quark_from_static_string("su-janussink-error");
}

namespace {

std::string hostOf(const std::string& url) {
  auto uri = GRef<GUri>::adopt(g_uri_parse(url.c_str(), G_URI_FLAGS_NONE, nullptr));
  // An IPv6 literal comes without brackets; udpsink takes it as is.
  return uri && g_uri_get_host(uri.get()) ? g_uri_get_host(uri.get()) : "";
}

// The mountpoint to create without a spec: one media per pad, in pad order, each taking the
// stream of its pad.
su::model::MountPoint mountPointForPads(const Settings& settings, const std::vector<Input>& inputs,
                                        const std::string& name) {
  std::vector<const Input*> ordered;
  for (const Input& input : inputs)
    ordered.push_back(&input);
  std::sort(ordered.begin(), ordered.end(), [](const Input* a, const Input* b) {
    return a->type != b->type ? a->type == MediaType::Video : a->index < b->index;
  });
  su::model::MountPoint mountpoint;
  mountpoint.name = name;
  mountpoint.description = "janussink " + name;
  for (const Input* input : ordered) {
    su::model::MediaTrack media;
    media.type = input->type;
    media.codec = input->type == MediaType::Video ? settings.videoCodec : settings.audioCodec;
    media.mid =
        std::string(input->type == MediaType::Video ? "v" : "a") + std::to_string(input->index);
    media.mindex = input->index;
    mountpoint.media.push_back(std::move(media));
  }
  mountpoint.normalize();
  return mountpoint;
}

// An existing mountpoint's media as Janus describes them (ports only with the secret).
void takeMediaFrom(const su::janus::MountPointInfo& info, su::model::MountPoint& mountpoint,
                   bool replaceMedia, std::vector<su::model::MountPointPort>& ports) {
  if (replaceMedia) mountpoint.media.clear();
  for (const su::janus::MountPointMedia& media : info.media) {
    if (replaceMedia) {
      su::model::MediaTrack track;
      track.type = media.type;
      track.mid = media.mid;
      track.codec = media.codec;
      track.pt = media.pt;
      track.fmtp = media.fmtp;
      track.mindex = media.mindex;
      mountpoint.media.push_back(std::move(track));
    }
    if (media.port) {
      ports.push_back(su::model::MountPointPort{
          .mid = media.mid, .type = media.type, .port = *media.port, .rtcpPort = media.rtcpPort});
    }
  }
}

Result<su::model::MountPoint> mountPointFor(const Settings& settings,
                                            const std::vector<Input>& inputs,
                                            const std::string& name) {
  su::model::MountPoint mountpoint;
  if (!settings.mountpointSpec.empty()) {
    auto decoded =
        su::model::decodeText<su::model::MountPoint>(settings.mountpointSpec, "mountpoint-spec");
    if (!decoded) return decoded.error();
    mountpoint = std::move(decoded).value();
  } else if (settings.createMountpoint) {
    if (inputs.empty()) {
      return su::makeError(JanusSinkError::Settings,
                           "no pads: request video_%u or audio_%u pads, or give mountpoint-spec");
    }
    mountpoint = mountPointForPads(settings, inputs, name);
  }
  if (settings.mountpointId != 0) mountpoint.id = settings.mountpointId;
  if (!settings.secret.empty()) mountpoint.secret = settings.secret;
  if (!settings.adminKey.empty()) mountpoint.adminKey = settings.adminKey;
  if (mountpoint.type != su::model::MountPointType::Rtp) {
    return su::makeError(JanusSinkError::Settings,
                         "mountpoint-spec: janussink feeds RTP mountpoints only (type rtp)");
  }
  if (!settings.createMountpoint && !mountpoint.id) {
    return su::makeError(JanusSinkError::Settings,
                         "mountpoint-id is required unless create-mountpoint is set");
  }
  // Checked before Janus is asked for anything: a media no branch can feed.
  for (const su::model::MediaTrack& media : mountpoint.media) {
    const std::string codec = media.codec.value_or("");
    if (media.type != MediaType::Data && !codec.empty() && !su::media::isRelayableCodec(codec)) {
      return su::makeError(JanusSinkError::Settings,
                           "codec " + codec + " cannot be sent to Janus by janussink (it sends " +
                               su::media::relayableCodecs() + ")");
    }
  }
  return mountpoint;
}

// Every pad must feed exactly one media: the one of its type taking its stream index.
Result<void> checkPads(const std::vector<Input>& inputs,
                       const std::vector<su::media::OutputTrack>& tracks) {
  for (const Input& input : inputs) {
    const auto count = std::count_if(tracks.begin(), tracks.end(), [&](const auto& track) {
      return track.type == input.type && track.sourceIndex == input.index;
    });
    if (count != 1) {
      return su::makeError(JanusSinkError::Settings,
                           "pad " + std::string(GST_PAD_NAME(input.pad)) + ": the mountpoint has " +
                               (count == 0 ? std::string("no ") : std::to_string(count) + " ") +
                               std::string(su::model::nameOf(input.type)) +
                               " media taking stream " + std::to_string(input.index) +
                               " (each pad feeds exactly one)");
    }
  }
  return {};
}

}  // namespace

Result<Plan> planMountpoint(const Settings& settings, const std::vector<Input>& inputs,
                            const std::string& name) {
  auto mountpoint = mountPointFor(settings, inputs, name);
  if (!mountpoint) return mountpoint.error();
  const std::string host = settings.rtpHost.empty() ? hostOf(settings.janusUrl) : settings.rtpHost;
  if (host.empty()) {
    return su::makeError(JanusSinkError::Settings,
                         "janus-url " + settings.janusUrl + " names no host; set rtp-host");
  }
  return Plan{std::move(mountpoint).value(), host};
}

namespace {

// A Janus session of the provisioning thread's, with the Streaming plugin attached: no
// keepalives, no reconnecting — it lives for a few requests.
struct JanusLink {
  std::unique_ptr<janus::Session> session;
  std::unique_ptr<janus::StreamingClient> streaming;  // detaches before the session goes
};

Task<JanusLink> link(GMainContext* context, const Settings& settings) {
  const Milliseconds timeout(settings.timeoutMs);
  auto session = janus::Session::create(context, {.url = settings.janusUrl,
                                                  .connectTimeout = timeout,
                                                  .requestTimeout = timeout,
                                                  .keepaliveInterval = Milliseconds(0),
                                                  .reconnect = false});
  if (!session) co_return session.error();
  JanusLink janus{std::move(session).value(), nullptr};
  const Result<void> connected =
      co_await call<void>([&](Callback<void> done) { janus.session->connect(std::move(done)); });
  if (!connected) {
    co_return Error{connected.error().domain,
                    connected.error().code,
                    "cannot reach Janus at " + settings.janusUrl + ": " + connected.error().message,
                    {}};
  }
  auto streaming = co_await call<std::unique_ptr<janus::StreamingClient>>(
      [&](Callback<std::unique_ptr<janus::StreamingClient>> done) {
        janus::StreamingClient::attach(*janus.session, std::move(done));
      });
  if (!streaming) co_return streaming.error();
  janus.streaming = std::move(streaming).value();
  co_return std::move(janus);
}

// Ends the session in Janus rather than letting it time out (best effort: callers drop its
// result, Janus times the session out anyway).
Task<void> unlink(JanusLink& janus) {
  janus.streaming.reset();
  co_return co_await call<void>(
      [&](Callback<void> done) { janus.session->destroy(std::move(done)); });
}

Task<Provisioned> provisioningWith(JanusLink& janus, const Settings& settings,
                                   const std::vector<Input>& inputs, const std::string& name,
                                   Plan plan) {
  Provisioned result{.mountpoint = std::move(plan.mountpoint)};
  std::vector<model::MountPointPort> ports;
  if (settings.createMountpoint) {
    model::MountPoint toCreate = result.mountpoint;
    for (model::MediaTrack& media : toCreate.media) {
      if (settings.rtcp && media.type == MediaType::Video && !media.rtcpPort) media.rtcpPort = 0;
    }
    auto created =
        co_await call<janus::MountPointCreated>([&](Callback<janus::MountPointCreated> done) {
          janus.streaming->create(toCreate, std::move(done));
        });
    if (!created) {
      co_return Error{created.error().domain, created.error().code,
                      "Janus did not create the mountpoint: " + created.error().message,
                      created.error().fields};
    }
    result.owned = result.mountpoint.id = created->id;
    ports = created->ports;
  } else {
    const auto id = *result.mountpoint.id;
    auto info = co_await call<janus::MountPointInfo>([&](Callback<janus::MountPointInfo> done) {
      janus.streaming->info(id, result.mountpoint.secret, std::move(done));
    });
    if (!info) {
      co_return Error{info.error().domain,
                      info.error().code,
                      "cannot read mountpoint " + std::to_string(id) + ": " + info.error().message,
                      {}};
    }
    takeMediaFrom(*info, result.mountpoint, settings.mountpointSpec.empty(), ports);
    if (ports.empty()) {
      co_return makeError(JanusSinkError::Settings, "Janus tells the ports of mountpoint " +
                                                        std::to_string(id) +
                                                        " only to its owner: set secret");
    }
  }
  auto tracks = media::planOutput(result.mountpoint, ports, plan.host, name);
  const Result<void> padsFit = tracks ? checkPads(inputs, *tracks) : Result<void>(tracks.error());
  if (!padsFit) {
    if (result.owned) {
      static_cast<void>(co_await call<janus::Removal>([&](Callback<janus::Removal> done) {
        janus.streaming->destroy(*result.owned, result.mountpoint.secret, false, std::move(done));
      }));
    }
    co_return padsFit.error();
  }
  result.tracks = std::move(tracks).value();
  if (!settings.rtcp) {
    for (media::OutputTrack& track : result.tracks)
      track.rtcpPort.reset();
  }
  co_return result;
}

Task<Provisioned> provisioning(GMainContext* context, Settings settings, std::vector<Input> inputs,
                               std::string name, Plan plan) {
  auto linked = co_await link(context, settings);
  if (!linked) co_return linked.error();
  auto provisioned = co_await provisioningWith(*linked, settings, inputs, name, std::move(plan));
  (void)co_await unlink(*linked);
  co_return provisioned;
}

Task<void> destroying(GMainContext* context, Settings settings, std::int64_t id) {
  auto linked = co_await link(context, settings);
  if (!linked) co_return linked.error();
  const std::optional<std::string> secret =
      settings.secret.empty() ? std::nullopt : std::optional(settings.secret);
  auto removed = co_await call<janus::Removal>([&](Callback<janus::Removal> done) {
    linked->streaming->destroy(id, secret, false, std::move(done));
  });
  (void)co_await unlink(*linked);
  if (!removed) co_return removed.error();
  co_return {};
}

Task<bool> keeping(GMainContext* context, Settings settings, Provisioned provisioned) {
  auto linked = co_await link(context, settings);
  if (!linked) co_return linked.error();
  model::MountPoint& spec = provisioned.mountpoint;
  auto info = co_await call<janus::MountPointInfo>([&](Callback<janus::MountPointInfo> done) {
    linked->streaming->info(*spec.id, spec.secret, std::move(done));
  });
  Result<bool> kept = true;
  if (info) {
    kept = false;
  } else if (!janus::isPluginError(info.error(), janus::kStreamingNoSuchMountpoint)) {
    kept = info.error();
  } else {
    for (model::MediaTrack& media : spec.media) {
      for (const media::OutputTrack& track : provisioned.tracks) {
        if (!media.mid || track.mid != *media.mid) continue;
        media.port = track.port;
        if (track.rtcpPort) media.rtcpPort = *track.rtcpPort;
      }
    }
    auto created =
        co_await call<janus::MountPointCreated>([&](Callback<janus::MountPointCreated> done) {
          linked->streaming->create(spec, std::move(done));
        });
    if (!created) kept = created.error();
  }
  (void)co_await unlink(*linked);
  co_return kept;
}

}  // namespace

Result<bool> keepMountpoint(const Settings& settings, const Provisioned& provisioned) {
  BlockingContext context;
  Task<bool> task = keeping(context.get(), settings, provisioned);
  return context.wait<bool>(
      [&](Callback<bool> done) { task.start(context.get(), std::move(done)); });
}

Result<Provisioned> provision(const Settings& settings, const std::vector<Input>& inputs,
                              const std::string& name, Plan plan) {
  BlockingContext context;
  Task<Provisioned> task = provisioning(context.get(), settings, inputs, name, std::move(plan));
  return context.wait<Provisioned>(
      [&](Callback<Provisioned> done) { task.start(context.get(), std::move(done)); });
}

Result<void> destroyMountpoint(const Settings& settings, std::int64_t id) {
  BlockingContext context;
  Task<void> task = destroying(context.get(), settings, id);
  return context.wait<void>(
      [&](Callback<void> done) { task.start(context.get(), std::move(done)); });
}

}  // namespace su::janussink
