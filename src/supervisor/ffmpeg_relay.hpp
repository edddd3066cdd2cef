// `relay_kind: ffmpeg`: the `ffmpeg` program as a supervised subprocess, with the same states,
// backoff and budget as the in-process relay. It exists for compatibility with the original and
// as the baseline of the benchmarks; the in-process pipeline is the default.
//
// The command is the original's (`-re -i <input>`, audio from 0:a:N, video from 0:v:N, one
// `rtp://host:port?pkt_size=1200` output per media) plus what Janus needs: Opus audio, H.264
// copied as it comes, each media's payload type and stable SSRC. Media is judged flowing from
// ffmpeg's own progress report (-progress pipe:1); it cannot count per media. The process gets
// its own process group: stopping it ends everything it started (SIGTERM, then SIGKILL after
// stopTimeout).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "supervisor/relay.hpp"

namespace su::supervisor {

struct FfmpegInput {
  std::string url;
  std::vector<std::string> options;  // before -i, e.g. {"-rtsp_transport", "tcp"}
};

class FfmpegRelay final : public SupervisedRelay {
 public:
  static Result<std::unique_ptr<FfmpegRelay>> create(GMainContext* context, std::string name,
                                                     FfmpegInput input,
                                                     std::vector<media::OutputTrack> tracks,
                                                     RelayOptions options, StateCallback onState,
                                                     std::string program = "ffmpeg");
  ~FfmpegRelay() override;

  // The argv of every run.
  static std::vector<std::string> command(const std::string& program, const FfmpegInput& input,
                                          const std::vector<media::OutputTrack>& tracks);

 private:
  FfmpegRelay(GMainContext* context, std::string name, FfmpegInput input,
              std::vector<media::OutputTrack> tracks, RelayOptions options, StateCallback onState,
              RestartPolicy restarts, std::string program);
  Result<void> launchRun() override;
  void endRun(std::function<void(bool abandoned)> then) override;
  std::int64_t lastMediaUs() const override { return lastProgressUs_; }
  void fillTrackStats(std::vector<TrackStats>&) const override {}  // ffmpeg reports totals only
  std::string sourceDescription() const override;

  struct Reader;
  void readLine(GObject* stream, bool progress);
  void onLine(const std::string& line, bool progress);
  void onExit(int status);
  void signalGroup(int signal);

  std::string masked(std::string_view text) const;

  FfmpegInput input_;
  std::vector<std::string> secrets_;  // what ffmpeg may echo that must not be shown
  std::string program_;
  GRef<GSubprocess> process_;
  Cancellable reading_;
  std::uint64_t totalSize_ = 0;
  std::int64_t lastProgressUs_ = 0;
  std::deque<std::string> stderrTail_;
  std::function<void(bool)> ending_;  // set while a run is being ended
  Source killTimer_;
  Deferred deferred_;
};

}  // namespace su::supervisor
