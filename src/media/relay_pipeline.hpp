// One relay's GstPipeline: a source and one output branch per mountpoint media.
//
// Source streams are routed as their pads appear — in the streaming thread that adds them, as
// dynamic linking must be, under a mutex — to the media whose type and index they match
// (`mindex`, else the order of media of that type): the n-th video stream feeds the media asking
// for video stream n, however late it appears. A stream nobody asked for goes to a fakesink; a
// stream several media ask for is teed, and media of the same encoding on several Janus servers
// share one branch (encoded once). Per-media counters are updated by pad probes with
// atomics only.
//
// A gstreamer_pipeline that ends in sinks of its own (the original's form) is the whole pipeline:
// it runs as given, and each of its udpsinks sending to a media's port counts for that media (the
// stall watchdog and statistics work as for the others).
#pragma once

#include <gst/gst.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/gref.hpp"
#include "core/result.hpp"
#include "media/output.hpp"
#include "media/source.hpp"

namespace su::media {

class RelayPipeline {
 public:
  // Builds (does not start) the pipeline named `name`. Fails on a missing element or a bad
  // description: nothing to retry.
  static Result<std::unique_ptr<RelayPipeline>> create(const std::string& name,
                                                       const SourceSpec& source,
                                                       std::vector<OutputTrack> tracks,
                                                       VideoEncoding video,
                                                       FirstPacketNotice firstPacket = {});
  ~RelayPipeline();  // drops to NULL

  GstElement* pipeline() const noexcept { return pipeline_.get(); }
  const std::vector<OutputTrack>& tracks() const noexcept { return tracks_; }
  const TrackCounters& counters(std::size_t track) const { return *counters_.at(track); }
  // The most recent RTP packet of any media, 0 if none yet.
  std::int64_t lastPacketUs() const;

  RelayPipeline(const RelayPipeline&) = delete;
  RelayPipeline& operator=(const RelayPipeline&) = delete;

 private:
  RelayPipeline(std::string name, std::vector<OutputTrack> tracks, VideoEncoding video);
  static void padAdded(GstElement* source, GstPad* pad, gpointer self) noexcept;
  void route(GstPad* pad);
  void linkToTracks(GstPad* pad, const GstCaps* caps, const std::vector<std::size_t>& tracks);
  // One branch for `tracks` (of the same encoding).
  bool linkBranch(GstPad* pad, const GstCaps* caps, const std::vector<std::size_t>& tracks);
  void discard(GstPad* pad);
  // The whole-pipeline form: counts each udpsink's packets for the media whose port it sends to.
  Result<void> countOwnSinks();

  std::string name_;
  std::vector<OutputTrack> tracks_;
  VideoEncoding video_;
  std::vector<std::unique_ptr<TrackCounters>> counters_;
  std::shared_ptr<FirstPacket> firstPacket_;
  GRef<GstElement> pipeline_;
  GRef<GstElement> source_;
  std::mutex routing_;                    // guards what follows: pads arrive in any thread
  std::array<int, 2> nextStreamIndex_{};  // per type: audio, video
};

}  // namespace su::media
