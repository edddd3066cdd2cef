#include "supervisor/ffmpeg_relay.hpp"

#include <gio/gio.h>
#include <unistd.h>

#include <csignal>

#include "core/log.hpp"
#include "core/uri.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::supervisor

namespace su::supervisor {

namespace {

constexpr std::size_t kStderrLines = 5;

std::vector<std::string> codecArguments(const media::OutputTrack& track) {
  // Copied H.264 carries SPS/PPS out of band (FLV's avcC, an RTSP camera's SDP); Janus
  // viewers need them in band, before every keyframe.
  if (track.codec == "h264") {
    return {"-c:v", "copy", "-bsf:v", "h264_mp4toannexb,dump_extra=freq=keyframe"};
  }
  if (track.codec == "vp8") {
    return {"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2M"};
  }
  if (track.codec == "vp9") {
    return {"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2M"};
  }
  // The in-process relay's opusenc settings: 64 kbit/s constrained VBR, complexity 10, 20 ms
  // frames, 48 kHz stereo.
  if (track.codec == "opus") {
    return {"-c:a",
            "libopus",
            "-b:a",
            "64k",
            "-vbr",
            "constrained",
            "-compression_level",
            "10",
            "-frame_duration",
            "20",
            "-application",
            "audio",
            "-ar",
            "48000",
            "-ac",
            "2"};
  }
  if (track.codec == "pcmu") return {"-c:a", "pcm_mulaw", "-ar", "8000", "-ac", "1"};
  if (track.codec == "pcma") return {"-c:a", "pcm_alaw", "-ar", "8000", "-ac", "1"};
  if (track.codec == "g722") return {"-c:a", "g722", "-ar", "16000", "-ac", "1"};
  return {};
}

// The last path segment of an RTMP URL is its stream key, and its query may carry a token:
// credentials.
std::vector<std::string> secretsOf(const FfmpegInput& input) {
  const auto parts = uri::split(input.url);
  if (!parts || parts->scheme.rfind("rtmp", 0) != 0) return {};
  std::vector<std::string> secrets;
  if (std::string key = uri::lastSegment(*parts); !key.empty()) secrets.push_back(std::move(key));
  if (parts->query && !parts->query->empty()) secrets.push_back(*parts->query);
  return secrets;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& arg : argv)
    text += (text.empty() ? "" : " ") + arg;
  return text;
}

}  // namespace

struct FfmpegRelay::Reader {
  std::weak_ptr<bool> alive;
  FfmpegRelay* relay;
  unsigned run;
  bool progress;  // stdout carries -progress; stderr the errors
};

std::vector<std::string> FfmpegRelay::command(const std::string& program, const FfmpegInput& input,
                                              const std::vector<media::OutputTrack>& tracks) {
  std::vector<std::string> argv{program,         "-hide_banner", "-loglevel", "error",
                                "-nostdin",      "-nostats",     "-progress", "pipe:1",
                                "-stats_period", "0.5"};
  argv.insert(argv.end(), input.options.begin(), input.options.end());
  argv.insert(argv.end(), {"-re", "-i", input.url});
  for (const media::OutputTrack& track : tracks) {
    const bool audio = track.type == model::MediaType::Audio;
    argv.insert(argv.end(), {"-map", "0:" + std::string(audio ? "a" : "v") + ":" +
                                         std::to_string(track.sourceIndex)});
    const auto codec = codecArguments(track);
    argv.insert(argv.end(), codec.begin(), codec.end());
    argv.insert(argv.end(),
                {"-payload_type", std::to_string(track.payloadType), "-ssrc",
                 std::to_string(static_cast<std::int32_t>(track.ssrc)), "-f", "rtp",
                 "rtp://" + track.host + ":" + std::to_string(track.port) + "?pkt_size=1200" +
                     // Its sender reports: to the media's RTCP port (else ffmpeg sends them to
                     // port + 1, another media's port when Janus picked the ports in a row).
                     (track.rtcpPort ? "&rtcpport=" + std::to_string(*track.rtcpPort) : "")});
  }
  return argv;
}

Result<std::unique_ptr<FfmpegRelay>> FfmpegRelay::create(GMainContext* context, std::string name,
                                                         FfmpegInput input,
                                                         std::vector<media::OutputTrack> tracks,
                                                         RelayOptions options,
                                                         StateCallback onState,
                                                         std::string program) {
  auto restarts = RestartPolicy::create(options.backoff, options.budget);
  if (!restarts) return restarts.error();
  return std::unique_ptr<FfmpegRelay>(new FfmpegRelay(
      context, std::move(name), std::move(input), std::move(tracks), std::move(options),
      std::move(onState), std::move(restarts).value(), std::move(program)));
}

FfmpegRelay::FfmpegRelay(GMainContext* context, std::string name, FfmpegInput input,
                         std::vector<media::OutputTrack> tracks, RelayOptions options,
                         StateCallback onState, RestartPolicy restarts, std::string program)
    : SupervisedRelay(context, std::move(name), std::move(tracks), std::move(options),
                      std::move(onState), std::move(restarts)),
      input_(std::move(input)),
      secrets_(secretsOf(input_)),
      program_(std::move(program)),
      deferred_(context) {}

FfmpegRelay::~FfmpegRelay() {
  endRunFromDestructor();
  reading_.cancel();
  signalGroup(SIGKILL);
}

std::string FfmpegRelay::sourceDescription() const {
  return masked(input_.url);
}

std::string FfmpegRelay::masked(std::string_view text) const {
  return model::redactText(text, secrets_);
}

Result<void> FfmpegRelay::launchRun() {
  totalSize_ = 0;
  lastProgressUs_ = 0;
  stderrTail_.clear();
  reading_.renew();
  const std::vector<std::string> argv = command(program_, input_, tracks());
  std::vector<const char*> raw;
  for (const std::string& arg : argv)
    raw.push_back(arg.c_str());
  raw.push_back(nullptr);
  auto launcher = GRef<GObject>::adopt(G_OBJECT(g_subprocess_launcher_new(
      GSubprocessFlags(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE))));
  // Its own process group, so that a stop ends whatever it started too.
  g_subprocess_launcher_set_child_setup(
      G_SUBPROCESS_LAUNCHER(launcher.get()), [](gpointer) { setpgid(0, 0); }, nullptr, nullptr);
  GUnique<GError> error;
  process_ = GRef<GSubprocess>::adopt(g_subprocess_launcher_spawnv(
      G_SUBPROCESS_LAUNCHER(launcher.get()), raw.data(), error.outPtr()));
  if (!process_) {
    return Error{error->domain,
                 error->code,
                 "cannot start " + program_ + ": " + (error ? error->message : "unknown error"),
                 {}};
  }
  GST_INFO("relay %s: %s", name().c_str(), masked(joined(argv)).c_str());
  ThreadDefaultScope scope(context());
  readLine(G_OBJECT(g_data_input_stream_new(g_subprocess_get_stdout_pipe(process_.get()))), true);
  readLine(G_OBJECT(g_data_input_stream_new(g_subprocess_get_stderr_pipe(process_.get()))), false);
  g_subprocess_wait_async(
      process_.get(), reading_.get(),
      [](GObject* source, GAsyncResult* result, gpointer data) {
        std::unique_ptr<Reader> exit(static_cast<Reader*>(data));
        const bool waited = g_subprocess_wait_finish(G_SUBPROCESS(source), result, nullptr);
        if (!waited || exit->alive.expired() || exit->run != exit->relay->run()) return;
        GSubprocess* process = G_SUBPROCESS(source);
        exit->relay->onExit(g_subprocess_get_if_exited(process)
                                ? g_subprocess_get_exit_status(process)
                                : -g_subprocess_get_term_sig(process));
      },
      new Reader{aliveToken(), this, run(), false});
  return {};
}

// Takes over `stream` (a new GDataInputStream): read line by line until it ends.
void FfmpegRelay::readLine(GObject* stream, bool progress) {
  g_data_input_stream_read_line_async(
      G_DATA_INPUT_STREAM(stream), G_PRIORITY_DEFAULT, reading_.get(),
      [](GObject* source, GAsyncResult* result, gpointer data) {
        std::unique_ptr<Reader> reader(static_cast<Reader*>(data));
        auto line = GUnique<char>::adopt(g_data_input_stream_read_line_finish(
            G_DATA_INPUT_STREAM(source), result, nullptr, nullptr));
        if (!line || reader->alive.expired() || reader->run != reader->relay->run()) {
          g_object_unref(source);  // the end of the stream, of the run or of the relay
          return;
        }
        reader->relay->onLine(line.get(), reader->progress);
        reader->relay->readLine(source, reader->progress);
      },
      new Reader{aliveToken(), this, run(), progress});
}

void FfmpegRelay::onLine(const std::string& line, bool progress) {
  if (!progress) {
    if (line.empty()) return;
    stderrTail_.push_back(masked(line));
    if (stderrTail_.size() > kStderrLines) stderrTail_.pop_front();
    GST_WARNING("relay %s: ffmpeg: %s", name().c_str(), stderrTail_.back().c_str());
    return;
  }
  constexpr std::string_view kTotalSize = "total_size=";
  if (line.rfind(kTotalSize, 0) != 0) return;
  const std::uint64_t size = g_ascii_strtoull(line.c_str() + kTotalSize.size(), nullptr, 10);
  if (size > totalSize_) {
    totalSize_ = size;
    lastProgressUs_ = g_get_monotonic_time();
    mediaFlowing();
  }
}

void FfmpegRelay::onExit(int status) {
  process_.reset();
  killTimer_.cancel();
  if (ending_) {
    auto then = std::move(ending_);
    ending_ = nullptr;
    then(false);
    return;
  }
  std::string message = "ffmpeg exited with status " + std::to_string(status);
  if (!stderrTail_.empty()) message += ": " + stderrTail_.back();
  retry(makeError(RelayError::SourceEnded, message));
}

void FfmpegRelay::endRun(std::function<void(bool abandoned)> then) {
  if (!process_) {
    // Already exited (its exit is why the run ends): nothing left to stop.
    deferred_.post([then] { then(false); });
    return;
  }
  ending_ = std::move(then);
  signalGroup(SIGTERM);
  killTimer_ = Source::timeout(
      context(), options().stopTimeout,
      [this] {
        GST_WARNING("relay %s: ffmpeg ignored SIGTERM for %lld ms: killing it", name().c_str(),
                    static_cast<long long>(options().stopTimeout.count()));
        signalGroup(SIGKILL);
        return false;
      },
      "su-ffmpeg-kill");
}

void FfmpegRelay::signalGroup(int signal) {
  const char* pid = process_ ? g_subprocess_get_identifier(process_.get()) : nullptr;
  if (pid) ::kill(-static_cast<pid_t>(std::atoi(pid)), signal);
}

}  // namespace su::supervisor
