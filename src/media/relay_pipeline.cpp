#include "media/relay_pipeline.hpp"

#include <algorithm>

#include "core/log.hpp"

#define GST_CAT_DEFAULT su::log::media

namespace su::media {

namespace {

std::optional<model::MediaType> streamType(const GstCaps* caps, const GstPad* pad) {
  if (caps && !gst_caps_is_empty(caps) && !gst_caps_is_any(caps)) {
    const std::string_view name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    if (name.starts_with("video/")) return model::MediaType::Video;
    if (name.starts_with("audio/")) return model::MediaType::Audio;
    return std::nullopt;
  }
  // No caps yet: a pad name like "video_0" or "audio" still says what it is.
  const std::string_view padName = GST_OBJECT_NAME(pad);
  if (padName.find("video") != std::string_view::npos) return model::MediaType::Video;
  if (padName.find("audio") != std::string_view::npos) return model::MediaType::Audio;
  return std::nullopt;
}

// Whether a description's bin holds a sink: then it is a whole pipeline, not a source.
bool holdsSink(GstElement* bin) {
  GstIterator* it = gst_bin_iterate_sinks(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  const bool found = gst_iterator_next(it, &item) == GST_ITERATOR_OK;
  g_value_unset(&item);
  gst_iterator_free(it);
  return found;
}

}  // namespace

Result<std::unique_ptr<RelayPipeline>> RelayPipeline::create(const std::string& name,
                                                             const SourceSpec& source,
                                                             std::vector<OutputTrack> tracks,
                                                             VideoEncoding video,
                                                             FirstPacketNotice firstPacket) {
  std::unique_ptr<RelayPipeline> relay(new RelayPipeline(name, std::move(tracks), video));
  relay->firstPacket_->notice = std::move(firstPacket);
  auto bin = makeSource(source, name + "-source");
  if (!bin) return bin.error();
  relay->source_ = std::move(bin).value();
  gst_bin_add(GST_BIN(relay->pipeline_.get()),
              relay->source_.get());  // takes a reference of its own
  if (std::holds_alternative<CustomSource>(source) && holdsSink(relay->source_.get())) {
    if (auto counted = relay->countOwnSinks(); !counted) return counted.error();
    return relay;
  }
  g_signal_connect(relay->source_.get(), "pad-added", G_CALLBACK(&RelayPipeline::padAdded),
                   relay.get());
  // Static pads (a test pattern, a custom description) are streams from the start.
  GstIterator* pads = gst_element_iterate_src_pads(relay->source_.get());
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(pads, &item) == GST_ITERATOR_OK) {
    relay->route(GST_PAD(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(pads);
  return relay;
}

RelayPipeline::RelayPipeline(std::string name, std::vector<OutputTrack> tracks, VideoEncoding video)
    : name_(std::move(name)),
      tracks_(std::move(tracks)),
      video_(video),
      firstPacket_(std::make_shared<FirstPacket>()),
      pipeline_(GRef<GstElement>::adopt(gst_pipeline_new(name_.c_str()))) {
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    counters_.push_back(std::make_unique<TrackCounters>());
  }
}

RelayPipeline::~RelayPipeline() {
  if (source_) g_signal_handlers_disconnect_by_data(source_.get(), this);
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

std::int64_t RelayPipeline::lastPacketUs() const {
  std::int64_t latest = 0;
  for (const auto& counters : counters_) {
    latest = std::max(latest, counters->lastPacketUs.load(std::memory_order_relaxed));
  }
  return latest;
}

void RelayPipeline::padAdded(GstElement*, GstPad* pad, gpointer self) noexcept {
  static_cast<RelayPipeline*>(self)->route(pad);
}

void RelayPipeline::route(GstPad* pad) {
  auto caps = GRef<GstCaps>::adopt(gst_pad_get_current_caps(pad));
  if (!caps) caps = GRef<GstCaps>::adopt(gst_pad_query_caps(pad, nullptr));
  const auto type = streamType(caps.get(), pad);
  std::lock_guard lock(routing_);
  if (!type) {
    GST_INFO_OBJECT(pipeline_.get(), "ignoring stream %s:%s (neither audio nor video)",
                    GST_DEBUG_PAD_NAME(pad));
    discard(pad);
    return;
  }
  const int typeIndex = *type == model::MediaType::Audio ? 0 : 1;
  const int index = nextStreamIndex_[typeIndex]++;
  std::vector<std::size_t> wanted;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (tracks_[i].type == *type && tracks_[i].sourceIndex == index) wanted.push_back(i);
  }
  gchar* description = caps ? gst_caps_to_string(caps.get()) : g_strdup("unknown");
  GST_INFO_OBJECT(pipeline_.get(), "%s stream %d (%s): %zu media", model::nameOf(*type).data(),
                  index, description, wanted.size());
  g_free(description);
  if (wanted.empty()) {
    discard(pad);
    return;
  }
  linkToTracks(pad, caps.get(), wanted);
}

void RelayPipeline::linkToTracks(GstPad* pad, const GstCaps* caps,
                                 const std::vector<std::size_t>& tracks) {
  // Tracks of the same encoding (one media on several Janus servers) share a branch.
  std::vector<std::vector<std::size_t>> branches;
  for (std::size_t track : tracks) {
    auto same = std::find_if(branches.begin(), branches.end(), [&](const auto& branch) {
      return sameEncoding(tracks_[branch.front()], tracks_[track]);
    });
    if (same != branches.end()) {
      same->push_back(track);
    } else {
      branches.push_back({track});
    }
  }
  if (branches.size() == 1) {
    linkBranch(pad, caps, branches.front());
    return;
  }
  GstElement* tee = gst_element_factory_make("tee", nullptr);
  gst_bin_add(GST_BIN(pipeline_.get()), tee);
  gst_element_sync_state_with_parent(tee);
  GstPad* teeSink = gst_element_get_static_pad(tee, "sink");
  gst_pad_link(pad, teeSink);
  gst_object_unref(teeSink);
  for (const std::vector<std::size_t>& branch : branches) {
    GstPad* branchPad = gst_element_request_pad_simple(tee, "src_%u");
    linkBranch(branchPad, caps, branch);
    gst_object_unref(branchPad);
  }
}

bool RelayPipeline::linkBranch(GstPad* pad, const GstCaps* caps,
                               const std::vector<std::size_t>& tracks) {
  std::vector<OutputTrack> destinations;
  std::vector<TrackCounters*> counters;
  for (std::size_t track : tracks) {
    destinations.push_back(tracks_[track]);
    counters.push_back(counters_[track].get());
  }
  const OutputTrack& track = destinations.front();
  auto branch = makeOutputBranch(destinations, caps, video_);
  if (!branch) {
    GST_ELEMENT_ERROR(pipeline_.get(), CORE, MISSING_PLUGIN, ("%s", branch.error().message.c_str()),
                      (nullptr));
    return false;
  }
  GstElement* element = branch->get();  // the pipeline takes a reference of its own
  gst_bin_add(GST_BIN(pipeline_.get()), element);
  countSentPackets(element, counters, firstPacket_);
  GstPad* sink = gst_element_get_static_pad(element, "sink");
  const GstPadLinkReturn linked = gst_pad_link(pad, sink);
  gst_object_unref(sink);
  gst_element_sync_state_with_parent(element);
  if (linked != GST_PAD_LINK_OK) {
    GST_ELEMENT_ERROR(pipeline_.get(), CORE, NEGOTIATION,
                      ("cannot link the source to the %s branch of mid %s", track.codec.c_str(),
                       track.mid.c_str()),
                      ("gst_pad_link: %s", gst_pad_link_get_name(linked)));
    return false;
  }
  return true;
}

Result<void> RelayPipeline::countOwnSinks() {
  std::vector<bool> fed(tracks_.size(), false);
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(source_.get()));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* element = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory* factory = gst_element_get_factory(element);
    if (factory && std::string_view(GST_OBJECT_NAME(factory)) == "udpsink") {
      int port = 0;
      g_object_get(element, "port", &port, nullptr);
      for (std::size_t i = 0; i < tracks_.size(); ++i) {
        if (tracks_[i].port != port || fed[i]) continue;
        countPacketsInto(element, counters_[i].get(), firstPacket_);
        fed[i] = true;
      }
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  if (std::find(fed.begin(), fed.end(), true) == fed.end()) {
    std::string ports;
    for (const OutputTrack& track : tracks_)
      ports += (ports.empty() ? "" : ", ") + track.mid + " " + std::to_string(track.port);
    return makeError(MediaError::Unrelayable,
                     "gstreamer_pipeline ends in sinks of its own, but no udpsink sends to a "
                     "port of the mountpoint (" +
                         ports + ")");
  }
  return {};
}

void RelayPipeline::discard(GstPad* pad) {
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(pipeline_.get()), sink);
  gst_element_sync_state_with_parent(sink);
  GstPad* sinkPad = gst_element_get_static_pad(sink, "sink");
  gst_pad_link(pad, sinkPad);
  gst_object_unref(sinkPad);
}

}  // namespace su::media
