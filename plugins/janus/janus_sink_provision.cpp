#include "janus_sink_provision.hpp"

#include <algorithm>

#include "janus/blocking_session.hpp"
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
      ports.push_back(
          su::model::MountPointPort{.mid = media.mid, .type = media.type, .port = *media.port});
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

Result<Provisioned> provision(const Settings& settings, const std::vector<Input>& inputs,
                              const std::string& name, Plan plan) {
  const std::string& host = plan.host;
  const su::Milliseconds timeout(settings.timeoutMs);
  auto session = su::janus::BlockingSession::open(
      {.url = settings.janusUrl, .connectTimeout = timeout, .requestTimeout = timeout});
  if (!session) {
    return su::Error{session.error().domain,
                     session.error().code,
                     "cannot reach Janus at " + settings.janusUrl + ": " + session.error().message,
                     {}};
  }
  auto streaming = (*session)->attach<su::janus::StreamingClient>();
  if (!streaming) return streaming.error();

  Provisioned result{.mountpoint = std::move(plan.mountpoint)};
  std::vector<su::model::MountPointPort> ports;
  if (settings.createMountpoint) {
    auto created = (*session)->wait<su::janus::MountPointCreated>(
        [&](auto done) { (*streaming)->create(result.mountpoint, done); });
    if (!created) {
      return su::Error{created.error().domain, created.error().code,
                       "Janus did not create the mountpoint: " + created.error().message,
                       created.error().fields};
    }
    result.owned = result.mountpoint.id = created->id;
    ports = created->ports;
  } else {
    const auto id = *result.mountpoint.id;
    auto info = (*session)->wait<su::janus::MountPointInfo>(
        [&](auto done) { (*streaming)->info(id, result.mountpoint.secret, done); });
    if (!info) {
      return su::Error{info.error().domain,
                       info.error().code,
                       "cannot read mountpoint " + std::to_string(id) + ": " + info.error().message,
                       {}};
    }
    takeMediaFrom(*info, result.mountpoint, settings.mountpointSpec.empty(), ports);
    if (ports.empty()) {
      return su::makeError(JanusSinkError::Settings, "Janus tells the ports of mountpoint " +
                                                         std::to_string(id) +
                                                         " only to its owner: set secret");
    }
  }
  auto tracks = su::media::planOutput(result.mountpoint, ports, host, name);
  Result<void> padsFit = tracks ? checkPads(inputs, *tracks) : Result<void>(tracks.error());
  if (!padsFit) {
    if (result.owned) {
      static_cast<void>((*session)->wait<su::janus::Removal>([&](auto done) {
        (*streaming)->destroy(*result.owned, result.mountpoint.secret, false, done);
      }));
    }
    return padsFit.error();
  }
  result.tracks = std::move(tracks).value();
  return result;
}

Result<void> destroyMountpoint(const Settings& settings, std::int64_t id) {
  const su::Milliseconds timeout(settings.timeoutMs);
  auto session = su::janus::BlockingSession::open(
      {.url = settings.janusUrl, .connectTimeout = timeout, .requestTimeout = timeout});
  if (!session) return session.error();
  auto streaming = (*session)->attach<su::janus::StreamingClient>();
  if (!streaming) return streaming.error();
  const std::optional<std::string> secret =
      settings.secret.empty() ? std::nullopt : std::optional(settings.secret);
  auto removed = (*session)->wait<su::janus::Removal>(
      [&](auto done) { (*streaming)->destroy(id, secret, false, done); });
  if (!removed) return removed.error();
  return {};
}

}  // namespace su::janussink
