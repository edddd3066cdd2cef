// The janussink element: request pads, the branch each pad's caps choose, state changes (with
// provisioning on a thread of its own: janus_sink_provision.cpp), statistics and properties.
// About 700 lines, kept together on purpose: they are one GObject class, whose pads, state and
// properties all go through the one JanusSinkState below.
#include "janus_sink.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/gref.hpp"
#include "janus/errors.hpp"
#include "janus_sink_provision.hpp"
#include "json/node.hpp"
#include "json/parse.hpp"
#include "media/output.hpp"
#include "model/mountpoint.hpp"
#include "model/redaction.hpp"
#include "model/track.hpp"

GST_DEBUG_CATEGORY_STATIC(janus_sink_debug);
#define GST_CAT_DEFAULT janus_sink_debug

namespace {

using su::GRef;
using su::Result;
using su::janussink::Input;
using su::janussink::JanusSinkError;
using su::janussink::kDefaultJanusUrl;
using su::janussink::Provisioned;
using su::janussink::Settings;
using su::model::MediaType;

enum Property {
  PROP_0,
  PROP_JANUS_URL,
  PROP_MOUNTPOINT_ID,
  PROP_MOUNTPOINT_SPEC,
  PROP_CREATE_MOUNTPOINT,
  PROP_DESTROY_ON_STOP,
  PROP_ADMIN_KEY,
  PROP_SECRET,
  PROP_RTP_HOST,
  PROP_VIDEO_CODEC,
  PROP_AUDIO_CODEC,
  PROP_REENCODE_VIDEO,
  PROP_KEYFRAME_INTERVAL,
  PROP_VIDEO_BITRATE,
  PROP_TIMEOUT,
  PROP_RTCP,
  PROP_STATS,
};

}  // namespace

namespace {

// Where the element is with its mountpoint.
enum class Phase {
  Idle,          // NULL
  Provisioning,  // NULL -> READY returned; a thread of its own is asking Janus
  Ready,         // the mountpoint is there, and a branch is planned per media
  Failed,        // the error is posted
};

// Everything janussink keeps, in one place (as libcamerasrc keeps its state): set by the
// application (properties, state changes), the provisioning thread and the streaming threads
// (caps), always under `lock`. Nothing that can call back into the application (bus messages,
// bin signals) runs under it.
struct JanusSinkState {
  std::mutex lock;
  std::condition_variable phaseChanged;
  Settings settings;
  std::vector<Input> inputs;
  std::vector<su::media::OutputTrack> tracks;  // known once provisioned
  std::vector<std::unique_ptr<su::media::TrackCounters>> counters;
  std::optional<std::int64_t> owned;  // a mountpoint this element created
  Phase phase = Phase::Idle;
  bool stopping = false;       // PAUSED -> READY: streaming threads stop waiting for the mountpoint
  bool threadRunning = false;  // the provisioning thread (then keeping the mountpoint)
  bool releasing = false;      // READY -> NULL: that thread ends
};

}  // namespace

struct _SuJanusSink {
  GstBin parent;
  JanusSinkState* state;
};

G_DEFINE_TYPE(SuJanusSink, su_janus_sink, GST_TYPE_BIN)
GST_ELEMENT_REGISTER_DEFINE(janussink, "janussink", GST_RANK_NONE, SU_TYPE_JANUS_SINK)

namespace {

std::string elementName(SuJanusSink* self) {
  auto name = su::GUnique<char>::adopt(gst_object_get_name(GST_OBJECT(self)));
  return name ? name.get() : "janussink";
}

// Posts `error` as the GStreamer error a pipeline's owner can act on. Messages and details pass
// through the one redaction function, told the element's own secrets: none reaches the bus.
void postError(SuJanusSink* self, const su::Error& error,
               const std::vector<std::string>& secrets = {}) {
  const GQuark media = errorDomainOf(su::media::MediaError::Unrelayable);
  auto mediaError = [&](su::media::MediaError code) {
    return error.is(media, static_cast<int>(code));
  };
  GQuark domain = GST_RESOURCE_ERROR;
  int code = GST_RESOURCE_ERROR_OPEN_WRITE;  // Janus unreachable, or refusing
  if (su::janus::isPluginError(error, su::janus::kStreamingUnauthorized) ||
      su::janus::isPluginError(error, 453)) {  // 453: the admin key is missing
    code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
  } else if (error.domain == errorDomainOf(JanusSinkError::Settings) ||
             error.domain == errorDomainOf(su::model::ModelError::Invalid) ||
             error.domain == errorDomainOf(su::json::JsonError{}) ||
             mediaError(su::media::MediaError::Unrelayable)) {
    code = GST_RESOURCE_ERROR_SETTINGS;
  } else if (mediaError(su::media::MediaError::MissingElement)) {
    domain = GST_CORE_ERROR;
    code = GST_CORE_ERROR_MISSING_PLUGIN;
  } else if (error.domain == media) {
    domain = GST_CORE_ERROR;
    code = GST_CORE_ERROR_NEGOTIATION;
  }
  gst_element_message_full(GST_ELEMENT(self), GST_MESSAGE_ERROR, domain, code,
                           g_strdup(su::model::redactText(error.message, secrets).c_str()),
                           g_strdup(su::model::redactText(error.describe(), secrets).c_str()),
                           __FILE__, GST_FUNCTION, __LINE__);
}

Input* inputOf(SuJanusSink* self, GstPad* pad) {
  auto& inputs = self->state->inputs;
  const auto it =
      std::find_if(inputs.begin(), inputs.end(), [&](const Input& in) { return in.pad == pad; });
  return it == inputs.end() ? nullptr : &*it;
}

std::optional<std::size_t> trackOf(SuJanusSink* self, const Input& input) {
  const auto& tracks = self->state->tracks;
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    if (tracks[i].type == input.type && tracks[i].sourceIndex == input.index) return i;
  }
  return std::nullopt;
}

// A streaming thread's wait for the provisioning thread (bounded: each of its requests has the
// timeout property). False when there is no mountpoint to feed: the error is posted, or the
// element is stopping.
bool awaitMountpoint(JanusSinkState& state, std::unique_lock<std::mutex>& lock) {
  state.phaseChanged.wait(lock,
                          [&] { return state.phase != Phase::Provisioning || state.stopping; });
  return state.phase == Phase::Ready && !state.stopping;
}

// On a pad's first caps (a streaming thread): once the mountpoint is known, its branch, chosen
// from the caps, becomes the pad's target. Later caps go to the same branch.
GstPadProbeReturn onInputEvent(GstPad* pad, GstPadProbeInfo* info, gpointer data) noexcept {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  auto* self = SU_JANUS_SINK(data);
  GstCaps* caps = nullptr;
  gst_event_parse_caps(event, &caps);
  // What the branch needs, copied out: nothing that can call back into the application (bus
  // messages, bin signals) runs under the lock. Tracks change only in NULL and READY, while
  // no caps flow, and this pad's events come one at a time.
  su::media::OutputTrack output;
  su::media::TrackCounters* counters = nullptr;
  su::media::VideoEncoding video;
  {
    std::unique_lock lock(self->state->lock);
    if (!awaitMountpoint(*self->state, lock)) return GST_PAD_PROBE_DROP;
    Input* input = inputOf(self, pad);
    if (!input || input->branch) return GST_PAD_PROBE_OK;
    if (const auto track = trackOf(self, *input)) {
      output = self->state->tracks[*track];
      counters = self->state->counters[*track].get();
      video = self->state->settings.video;
    }
  }
  if (!counters) {
    postError(self,
              su::makeError(JanusSinkError::Settings, std::string("pad ") + GST_PAD_NAME(pad) +
                                                          " feeds no media of the mountpoint"));
    return GST_PAD_PROBE_DROP;
  }
  auto branch = su::media::makeOutputBranch(output, caps, video);
  if (!branch) {
    postError(self, branch.error());
    return GST_PAD_PROBE_DROP;
  }
  GstElement* element = branch->get();  // the bin takes a reference of its own
  gst_bin_add(GST_BIN(self), element);
  su::media::countSentPackets(element, counters, nullptr);
  auto sink = GRef<GstPad>::adopt(gst_element_get_static_pad(element, "sink"));
  gst_ghost_pad_set_target(GST_GHOST_PAD(pad), sink.get());
  gst_element_sync_state_with_parent(element);
  {
    std::lock_guard lock(self->state->lock);
    if (Input* input = inputOf(self, pad)) input->branch = element;
  }
  auto description = su::GUnique<char>::adopt(gst_caps_to_string(caps));
  GST_INFO_OBJECT(self, "pad %s (%s) -> mid %s, %s to %s:%d%s", GST_PAD_NAME(pad),
                  description.get(), output.mid.c_str(), output.codec.c_str(), output.host.c_str(),
                  output.port,
                  su::media::canPassThrough(caps, output, video) ? "" : " (transcoding)");
  return GST_PAD_PROBE_OK;
}

// Before its branch exists, a pad answers caps queries itself: what its media would take, best
// first, so that an upstream encoder picks what passes through (x264enc a profile the fmtp
// allows).
gboolean onInputQuery(GstPad* pad, GstObject* parent, GstQuery* query) noexcept {
  auto* self = SU_JANUS_SINK(parent);
  const GstQueryType type = GST_QUERY_TYPE(query);
  if (type == GST_QUERY_CAPS || type == GST_QUERY_ACCEPT_CAPS) {
    GRef<GstCaps> accepted;
    {
      std::unique_lock lock(self->state->lock);
      if (self->state->phase == Phase::Provisioning) awaitMountpoint(*self->state, lock);
      Input* input = inputOf(self, pad);
      if (input && !input->branch) {
        const auto track = trackOf(self, *input);
        accepted = track ? su::media::acceptedCaps(self->state->tracks[*track],
                                                   self->state->settings.video)
                         : su::media::branchCaps(input->type);
      }
    }
    if (accepted && type == GST_QUERY_CAPS) {
      GstCaps* filter = nullptr;
      gst_query_parse_caps(query, &filter);
      if (filter) {
        accepted = GRef<GstCaps>::adopt(
            gst_caps_intersect_full(filter, accepted.get(), GST_CAPS_INTERSECT_FIRST));
      }
      gst_query_set_caps_result(query, accepted.get());
      return TRUE;
    }
    if (accepted) {
      GstCaps* caps = nullptr;
      gst_query_parse_accept_caps(query, &caps);
      gst_query_set_accept_caps_result(query, gst_caps_can_intersect(caps, accepted.get()));
      return TRUE;
    }
  }
  return gst_pad_query_default(pad, parent, query);
}

GstPad* requestNewPad(GstElement* element, GstPadTemplate* templ, const gchar* name,
                      const GstCaps*) noexcept {
  auto* self = SU_JANUS_SINK(element);
  const bool video = std::string_view(GST_PAD_TEMPLATE_NAME_TEMPLATE(templ)) == "video_%u";
  const MediaType type = video ? MediaType::Video : MediaType::Audio;
  GstPad* pad = nullptr;
  {
    std::lock_guard lock(self->state->lock);
    auto taken = [&](int index) {
      return std::any_of(self->state->inputs.begin(), self->state->inputs.end(),
                         [&](const Input& in) { return in.type == type && in.index == index; });
    };
    int index = 0;
    if (name) {
      guint64 parsed = 0;
      const char* number = std::strchr(name, '_');
      if (!number || !g_ascii_string_to_unsigned(number + 1, 10, 0, 63, &parsed, nullptr)) {
        GST_WARNING_OBJECT(self, "pad name %s: want %s", name, video ? "video_N" : "audio_N");
        return nullptr;
      }
      index = static_cast<int>(parsed);
    } else {
      while (taken(index))
        ++index;
    }
    const std::string padName = std::string(video ? "video_" : "audio_") + std::to_string(index);
    if (taken(index)) {
      GST_WARNING_OBJECT(self, "pad %s exists already", padName.c_str());
      return nullptr;
    }
    Input input{.pad = nullptr, .type = type, .index = index};
    if (!self->state->tracks.empty() && !trackOf(self, input)) {
      GST_WARNING_OBJECT(self, "pad %s: the mountpoint has no %s media taking stream %d",
                         padName.c_str(), video ? "video" : "audio", index);
      return nullptr;
    }
    pad = gst_ghost_pad_new_no_target_from_template(padName.c_str(), templ);
    gst_pad_set_query_function(pad, onInputQuery);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, onInputEvent, self, nullptr);
    input.pad = pad;
    self->state->inputs.push_back(input);
  }
  gst_element_add_pad(element, pad);
  return pad;
}

void removeBranch(SuJanusSink* self, GstPad* pad, GstElement* branch) {
  gst_ghost_pad_set_target(GST_GHOST_PAD(pad), nullptr);
  gst_element_set_locked_state(branch, TRUE);
  gst_element_set_state(branch, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(self), branch);
}

void releasePad(GstElement* element, GstPad* pad) noexcept {
  auto* self = SU_JANUS_SINK(element);
  GstElement* branch = nullptr;
  {
    std::lock_guard lock(self->state->lock);
    auto& inputs = self->state->inputs;
    const auto it =
        std::find_if(inputs.begin(), inputs.end(), [&](const Input& in) { return in.pad == pad; });
    if (it == inputs.end()) return;
    branch = it->branch;
    inputs.erase(it);
  }
  if (branch) removeBranch(self, pad, branch);
  gst_element_remove_pad(element, pad);
}

// READY -> NULL, or a failed NULL -> READY: once the provisioning thread is done, the branches
// go, and so does what the element created in Janus, unless destroy-on-stop is off (this waits
// for Janus, bounded by the timeout property: the mountpoint is gone when the state is NULL).
void unprovision(SuJanusSink* self) {
  JanusSinkState& state = *self->state;
  std::vector<std::pair<GstPad*, GstElement*>> branches;
  Settings settings;
  std::optional<std::int64_t> owned;
  {
    std::unique_lock lock(state.lock);
    state.stopping = true;
    state.releasing = true;
    state.phaseChanged.notify_all();
    state.phaseChanged.wait(lock, [&] { return !state.threadRunning; });
    for (Input& input : state.inputs) {
      if (input.branch) branches.emplace_back(input.pad, std::exchange(input.branch, nullptr));
    }
    settings = state.settings;
    owned = std::exchange(state.owned, std::nullopt);
    state.tracks.clear();
    state.phase = Phase::Idle;
  }
  for (auto [pad, branch] : branches)
    removeBranch(self, pad, branch);
  if (!owned || !settings.destroyOnStop) return;
  if (auto destroyed = destroyMountpoint(settings, *owned); !destroyed) {
    const std::string message = su::model::redactText(
        "could not destroy mountpoint " + std::to_string(*owned) + ": " + destroyed.error().message,
        {settings.adminKey, settings.secret});
    GST_ELEMENT_WARNING(self, RESOURCE, CLOSE, ("%s", message.c_str()), (nullptr));
    return;
  }
  GST_INFO_OBJECT(self, "destroyed mountpoint %" G_GINT64_FORMAT, *owned);
}

// The provisioning thread's answer: the mountpoint and its branches' plan, or the error.
void finishProvisioning(SuJanusSink* self, Result<Provisioned> provisioned,
                        const Settings& settings) {
  JanusSinkState& state = *self->state;
  // The error first: streaming threads let go once told, and what they post then (not-linked)
  // must not come before the reason.
  if (!provisioned) postError(self, provisioned.error(), {settings.adminKey, settings.secret});
  {
    std::lock_guard lock(state.lock);
    if (provisioned) {
      state.tracks = provisioned->tracks;
      state.counters.clear();
      for (std::size_t i = 0; i < state.tracks.size(); ++i) {
        state.counters.push_back(std::make_unique<su::media::TrackCounters>());
      }
      state.owned = provisioned->owned;
      state.settings.mountpointId = *provisioned->mountpoint.id;
    }
    state.phase = provisioned ? Phase::Ready : Phase::Failed;
  }
  state.phaseChanged.notify_all();
  if (!provisioned) return;
  GST_INFO_OBJECT(self, "mountpoint %" G_GINT64_FORMAT " %s, %zu media",
                  *provisioned->mountpoint.id, provisioned->owned ? "created" : "found",
                  provisioned->tracks.size());
  g_object_notify(G_OBJECT(self), "mountpoint-id");
}

// The provisioning thread, once the mountpoint it created runs: every 2 s, whether Janus still
// has it; after a Janus restart it is created again with the same id and ports (the branches go
// on feeding it) and a warning says so. Until READY -> NULL, which waits for the check in flight.
void keepWhileReady(SuJanusSink* self, const Settings& settings, const Provisioned& provisioned) {
  JanusSinkState& state = *self->state;
  bool unreachableSaid = false;
  for (;;) {
    {
      std::unique_lock lock(state.lock);
      if (state.phaseChanged.wait_for(lock, std::chrono::seconds(2),
                                      [&] { return state.releasing; })) {
        return;
      }
    }
    const auto kept = keepMountpoint(settings, provisioned);
    const std::int64_t id = *provisioned.mountpoint.id;
    if (kept && *kept) {
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                          ("Janus had lost mountpoint %" G_GINT64_FORMAT
                           " (a restart?): created again with the same id and ports",
                           id),
                          (nullptr));
    } else if (!kept && !unreachableSaid) {
      const std::string message = su::model::redactText(
          "cannot check mountpoint " + std::to_string(id) + ": " + kept.error().message,
          {settings.adminKey, settings.secret});
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", message.c_str()), (nullptr));
    }
    unreachableSaid = !kept;
  }
}

// NULL -> READY: what needs no network is checked here (a problem fails the state change, with
// its error posted); Janus is asked on a thread of the element's own, like rtmp2sink connects,
// so that the application never waits for it. Its errors are posted when they come; streaming
// threads wait for its answer before their first caps.
bool startProvisioning(SuJanusSink* self) {
  JanusSinkState& state = *self->state;
  Settings settings;
  std::vector<Input> inputs;
  {
    std::lock_guard lock(state.lock);
    settings = state.settings;
    inputs = state.inputs;
  }
  const std::string name = elementName(self);
  auto plan = planMountpoint(settings, inputs, name);
  if (!plan) {
    postError(self, plan.error(), {settings.adminKey, settings.secret});
    return false;
  }
  {
    std::lock_guard lock(state.lock);
    state.phase = Phase::Provisioning;
    state.stopping = false;
    state.releasing = false;
    state.threadRunning = true;
  }
  // The thread holds the element until it is done; READY -> NULL waits for it.
  gst_object_ref(self);
  std::thread([self, settings, inputs, name, plan = std::move(plan).value()]() mutable {
    auto provisioned = provision(settings, inputs, name, std::move(plan));
    const std::optional<Provisioned> owned =
        provisioned && provisioned->owned ? std::optional(*provisioned) : std::nullopt;
    finishProvisioning(self, std::move(provisioned), settings);
    if (owned) keepWhileReady(self, settings, *owned);
    {
      std::lock_guard lock(self->state->lock);
      self->state->threadRunning = false;
    }
    self->state->phaseChanged.notify_all();
    gst_object_unref(self);
  }).detach();
  return true;
}

GstStateChangeReturn changeState(GstElement* element, GstStateChange transition) noexcept {
  auto* self = SU_JANUS_SINK(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !startProvisioning(self)) {
    return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    // Stopping, streaming threads waiting for the mountpoint let go, so that their pads can
    // deactivate; starting again, they wait again.
    std::lock_guard lock(self->state->lock);
    self->state->stopping = transition == GST_STATE_CHANGE_PAUSED_TO_READY;
    self->state->phaseChanged.notify_all();
  }
  const GstStateChangeReturn result =
      GST_ELEMENT_CLASS(su_janus_sink_parent_class)->change_state(element, transition);
  if ((transition == GST_STATE_CHANGE_NULL_TO_READY && result == GST_STATE_CHANGE_FAILURE) ||
      transition == GST_STATE_CHANGE_READY_TO_NULL) {
    unprovision(self);
  }
  return result;
}

GstStructure* statsOf(SuJanusSink* self) {
  std::lock_guard lock(self->state->lock);
  GValue media = G_VALUE_INIT;
  gst_value_array_init(&media, self->state->tracks.size());
  const std::int64_t now = g_get_monotonic_time();
  for (std::size_t i = 0; i < self->state->tracks.size(); ++i) {
    const su::media::OutputTrack& track = self->state->tracks[i];
    const su::media::TrackCounters& counters = *self->state->counters[i];
    const std::int64_t last = counters.lastPacketUs.load(std::memory_order_relaxed);
    GstStructure* entry = gst_structure_new(
        "media", "mid", G_TYPE_STRING, track.mid.c_str(), "type", G_TYPE_STRING,
        std::string(su::model::nameOf(track.type)).c_str(), "codec", G_TYPE_STRING,
        track.codec.c_str(), "port", G_TYPE_INT, track.port, "packets", G_TYPE_UINT64,
        static_cast<guint64>(counters.packets.load(std::memory_order_relaxed)), "bytes",
        G_TYPE_UINT64, static_cast<guint64>(counters.bytes.load(std::memory_order_relaxed)),
        "last-packet-age-ms", G_TYPE_INT64,
        static_cast<gint64>(last == 0 ? -1 : (now - last) / 1000), nullptr);
    if (track.rtcpPort) {
      gst_structure_set(
          entry, "rtcp-port", G_TYPE_INT, *track.rtcpPort, "rtcp-received", G_TYPE_UINT64,
          static_cast<guint64>(counters.rtcpReceived.load(std::memory_order_relaxed)),
          "keyframe-requests", G_TYPE_UINT64,
          static_cast<guint64>(counters.keyframeRequests.load(std::memory_order_relaxed)), nullptr);
    }
    GValue value = G_VALUE_INIT;
    g_value_init(&value, GST_TYPE_STRUCTURE);
    g_value_take_boxed(&value, entry);
    gst_value_array_append_and_take_value(&media, &value);
  }
  GstStructure* stats =
      gst_structure_new("janussink-stats", "mountpoint-id", G_TYPE_INT64,
                        static_cast<gint64>(self->state->settings.mountpointId), nullptr);
  gst_structure_take_value(stats, "media", &media);
  return stats;
}

void setProperty(GObject* object, guint id, const GValue* value, GParamSpec* spec) noexcept {
  auto* self = SU_JANUS_SINK(object);
  std::lock_guard lock(self->state->lock);
  Settings& settings = self->state->settings;
  auto text = [&] {
    return std::string(g_value_get_string(value) ? g_value_get_string(value) : "");
  };
  switch (id) {
    case PROP_JANUS_URL:
      settings.janusUrl = text().empty() ? kDefaultJanusUrl : text();
      break;
    case PROP_MOUNTPOINT_ID:
      settings.mountpointId = g_value_get_int64(value);
      break;
    case PROP_MOUNTPOINT_SPEC:
      settings.mountpointSpec = text();
      break;
    case PROP_CREATE_MOUNTPOINT:
      settings.createMountpoint = g_value_get_boolean(value);
      break;
    case PROP_DESTROY_ON_STOP:
      settings.destroyOnStop = g_value_get_boolean(value);
      break;
    case PROP_ADMIN_KEY:
      settings.adminKey = text();
      break;
    case PROP_SECRET:
      settings.secret = text();
      break;
    case PROP_RTP_HOST:
      settings.rtpHost = text();
      break;
    case PROP_VIDEO_CODEC:
      settings.videoCodec = text();
      break;
    case PROP_AUDIO_CODEC:
      settings.audioCodec = text();
      break;
    case PROP_REENCODE_VIDEO:
      settings.video.always = g_value_get_boolean(value);
      break;
    case PROP_KEYFRAME_INTERVAL:
      settings.video.keyframeIntervalSeconds = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_VIDEO_BITRATE:
      settings.video.bitrateKbps = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_TIMEOUT:
      settings.timeoutMs = g_value_get_uint(value);
      break;
    case PROP_RTCP:
      settings.rtcp = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

// The spec may hold secrets (secret, pin, admin_key): it reads back masked.
std::string maskedSpec(const std::string& spec) {
  auto node = su::json::parse(spec);
  if (!node) return su::model::redactText(spec);
  return su::json::toString(su::model::redacted(node->get()).get());
}

void getProperty(GObject* object, guint id, GValue* value, GParamSpec* spec) noexcept {
  auto* self = SU_JANUS_SINK(object);
  if (id == PROP_STATS) {
    g_value_take_boxed(value, statsOf(self));
    return;
  }
  std::lock_guard lock(self->state->lock);
  const Settings& settings = self->state->settings;
  switch (id) {
    case PROP_JANUS_URL:
      g_value_set_string(value, settings.janusUrl.c_str());
      break;
    case PROP_MOUNTPOINT_ID:
      g_value_set_int64(value, settings.mountpointId);
      break;
    case PROP_MOUNTPOINT_SPEC:
      g_value_set_string(value, settings.mountpointSpec.empty()
                                    ? nullptr
                                    : maskedSpec(settings.mountpointSpec).c_str());
      break;
    case PROP_CREATE_MOUNTPOINT:
      g_value_set_boolean(value, settings.createMountpoint);
      break;
    case PROP_DESTROY_ON_STOP:
      g_value_set_boolean(value, settings.destroyOnStop);
      break;
    case PROP_RTP_HOST:
      g_value_set_string(value, settings.rtpHost.empty() ? nullptr : settings.rtpHost.c_str());
      break;
    case PROP_VIDEO_CODEC:
      g_value_set_string(value, settings.videoCodec.c_str());
      break;
    case PROP_AUDIO_CODEC:
      g_value_set_string(value, settings.audioCodec.c_str());
      break;
    case PROP_REENCODE_VIDEO:
      g_value_set_boolean(value, settings.video.always);
      break;
    case PROP_KEYFRAME_INTERVAL:
      g_value_set_uint(value, static_cast<guint>(settings.video.keyframeIntervalSeconds));
      break;
    case PROP_VIDEO_BITRATE:
      g_value_set_uint(value, static_cast<guint>(settings.video.bitrateKbps));
      break;
    case PROP_TIMEOUT:
      g_value_set_uint(value, settings.timeoutMs);
      break;
    case PROP_RTCP:
      g_value_set_boolean(value, settings.rtcp);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void finalize(GObject* object) noexcept {
  auto* self = SU_JANUS_SINK(object);
  delete self->state;
  G_OBJECT_CLASS(su_janus_sink_parent_class)->finalize(object);
}

}  // namespace

static void su_janus_sink_init(SuJanusSink* self) {
  self->state = new JanusSinkState;
  // A sink, even before its first branch (with its udpsink) exists.
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}

static void su_janus_sink_class_init(SuJanusSinkClass* klass) {
  GST_DEBUG_CATEGORY_INIT(janus_sink_debug, "janussink", 0, "Janus Streaming sink");
  auto* objectClass = G_OBJECT_CLASS(klass);
  auto* elementClass = GST_ELEMENT_CLASS(klass);
  objectClass->set_property = setProperty;
  objectClass->get_property = getProperty;
  objectClass->finalize = finalize;
  elementClass->request_new_pad = requestNewPad;
  elementClass->release_pad = releasePad;
  elementClass->change_state = changeState;

  const auto settable =
      GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto secret =
      GParamFlags(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      objectClass, PROP_JANUS_URL,
      g_param_spec_string("janus-url", "Janus URL", "The Janus WebSocket API (ws:// or wss://)",
                          kDefaultJanusUrl, settable));
  g_object_class_install_property(
      objectClass, PROP_MOUNTPOINT_ID,
      g_param_spec_int64("mountpoint-id", "Mountpoint id",
                         "The Streaming mountpoint to feed. With create-mountpoint, 0 lets the "
                         "spec or Janus choose; reads back the id in use once started",
                         0, G_MAXINT64, 0, settable));
  g_object_class_install_property(
      objectClass, PROP_MOUNTPOINT_SPEC,
      g_param_spec_string(
          "mountpoint-spec", "Mountpoint spec",
          "The mountpoint as JSON (a broadcast request's mountpoint_spec: media with type, "
          "codec, pt, fmtp, mindex...). Without it, create-mountpoint makes one media per pad "
          "(video-codec, audio-codec) and an existing mountpoint is taken as Janus describes it",
          nullptr, settable));
  g_object_class_install_property(
      objectClass, PROP_CREATE_MOUNTPOINT,
      g_param_spec_boolean("create-mountpoint", "Create mountpoint",
                           "Create the mountpoint when starting (NULL to READY) instead of "
                           "feeding an existing one",
                           FALSE, settable));
  g_object_class_install_property(
      objectClass, PROP_DESTROY_ON_STOP,
      g_param_spec_boolean("destroy-on-stop", "Destroy on stop",
                           "Destroy the mountpoint this element created when stopping (READY "
                           "to NULL). A mountpoint it did not create is never destroyed",
                           TRUE, settable));
  g_object_class_install_property(
      objectClass, PROP_ADMIN_KEY,
      g_param_spec_string("admin-key", "Admin key",
                          "The Streaming plugin's admin_key, if creating mountpoints needs one "
                          "(write-only)",
                          nullptr, secret));
  g_object_class_install_property(
      objectClass, PROP_SECRET,
      g_param_spec_string("secret", "Secret",
                          "The mountpoint's secret: set on a created mountpoint, needed to read "
                          "an existing one's ports and to destroy it (write-only)",
                          nullptr, secret));
  g_object_class_install_property(
      objectClass, PROP_RTP_HOST,
      g_param_spec_string("rtp-host", "RTP host",
                          "Where to send RTP (default: the host of janus-url)", nullptr, settable));
  g_object_class_install_property(
      objectClass, PROP_VIDEO_CODEC,
      g_param_spec_string("video-codec", "Video codec",
                          "Codec of the video media created without a spec: h264, vp8, vp9", "h264",
                          settable));
  g_object_class_install_property(
      objectClass, PROP_AUDIO_CODEC,
      g_param_spec_string("audio-codec", "Audio codec",
                          "Codec of the audio media created without a spec: opus, pcmu, pcma, "
                          "g722",
                          "opus", settable));
  g_object_class_install_property(
      objectClass, PROP_REENCODE_VIDEO,
      g_param_spec_boolean("reencode-video", "Re-encode video",
                           "Re-encode video even when it could pass through (it is re-encoded "
                           "anyway when the media does not accept it)",
                           FALSE, settable));
  g_object_class_install_property(
      objectClass, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint("keyframe-interval", "Keyframe interval",
                        "Seconds between keyframes when re-encoding video", 1, 60, 2, settable));
  g_object_class_install_property(
      objectClass, PROP_RTCP,
      g_param_spec_boolean(
          "rtcp", "RTCP",
          "Send RTCP sender reports to the media's RTCP port and take Janus's keyframe requests "
          "from it (to an encoder upstream) — for media with an RTCP port; the video media of a "
          "mountpoint it creates get one",
          TRUE, settable));
  g_object_class_install_property(
      objectClass, PROP_VIDEO_BITRATE,
      g_param_spec_uint("video-bitrate", "Video bitrate", "kbit/s when re-encoding video", 100,
                        50000, 2000, settable));
  g_object_class_install_property(
      objectClass, PROP_TIMEOUT,
      g_param_spec_uint("timeout", "Timeout",
                        "Milliseconds to connect to Janus and for each request", 100, 600000, 10000,
                        settable));
  g_object_class_install_property(
      objectClass, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "mountpoint-id, and per media: mid, type, codec, port, packets, bytes, "
                         "last-packet-age-ms (-1 before the first packet); with RTCP also "
                         "rtcp-port, rtcp-received, keyframe-requests",
                         GST_TYPE_STRUCTURE,
                         GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  for (const MediaType type : {MediaType::Video, MediaType::Audio}) {
    auto caps = su::media::branchCaps(type);
    gst_element_class_add_pad_template(
        elementClass, gst_pad_template_new(type == MediaType::Video ? "video_%u" : "audio_%u",
                                           GST_PAD_SINK, GST_PAD_REQUEST, caps.get()));
  }
  gst_element_class_set_static_metadata(
      elementClass, "Janus Streaming sink", "Sink/Network",
      "Sends encoded audio and video as RTP to a Janus Streaming mountpoint, creating and "
      "destroying it if asked; transcodes what the mountpoint does not accept",
      "streaming-utils");
}
