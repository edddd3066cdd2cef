#include "app/status_board.hpp"

#include <glib.h>

#include <cstdio>
#include <map>

#include "model/redaction.hpp"

namespace su::app {

namespace {

std::string now() {
  auto time = GUnique<GDateTime>::adopt(g_date_time_new_now_local());
  auto text = GUnique<char>::adopt(g_date_time_format(time.get(), "%H:%M:%S"));
  return text.get();
}

std::string duration(std::int64_t ms) {
  const std::int64_t seconds = ms / 1000;
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  return text;
}

}  // namespace

void StatusBoard::say(const std::string& line) {
  erase();
  // Everything `run` says passes here: masked once, whatever it quotes (a URL with a token...).
  std::printf("[%s] %s\n", now().c_str(), model::redactText(line).c_str());
  if (terminal_) draw();
  std::fflush(stdout);
}

void StatusBoard::show(std::vector<std::string> lines) {
  erase();
  lines_ = std::move(lines);
  if (!terminal_) std::printf("[%s] status\n", now().c_str());
  draw();
  std::fflush(stdout);
}

void StatusBoard::clear() {
  erase();
  lines_.clear();
  std::fflush(stdout);
}

void StatusBoard::erase() {
  if (!terminal_ || drawn_ == 0) return;
  std::printf("\x1b[%zuA\x1b[J", drawn_);  // up over the block, then clear to the end
  drawn_ = 0;
}

void StatusBoard::draw() {
  for (const std::string& line : lines_)
    std::printf("%s\n", line.c_str());
  if (terminal_) drawn_ = lines_.size();
}

std::vector<std::string> StatusBoard::render(const model::BroadcastResult& result,
                                             const orchestrator::HealthReport& report) {
  std::vector<std::string> lines;
  std::string head = result.broadcastId + "  " + std::string(model::nameOf(result.state));
  if (report.relay) {
    head += "  relay " + std::string(model::nameOf(report.relay->state)) + "  restarts " +
            std::to_string(report.relay->restarts);
    if (report.relay->uptimeMs) head += "  up " + duration(*report.relay->uptimeMs);
  }
  if (report.health.forwarding) {
    head += *report.health.forwarding ? "  forwarding" : "  publisher away";
  }
  if (report.health.obsStreaming) {
    head += *report.health.obsStreaming ? "  OBS streaming" : "  OBS not streaming";
  }
  head += report.health.healthy ? "  healthy" : "  UNHEALTHY";
  if (report.health.janusError) head += "  (Janus: " + *report.health.janusError + ")";
  lines.push_back(head);

  // One block of media lines per Janus: the node's own mountpoint, then each output.
  auto mediaLines = [&](int output, const std::vector<model::MediaHealth>& media,
                        const std::optional<model::MountPointSection>& mountpoint) {
    std::map<std::string, const supervisor::TrackStats*> relayed;
    if (report.relay) {
      for (const supervisor::TrackStats& track : report.relay->tracks) {
        if (track.output == output) relayed[track.mid] = &track;
      }
    }
    for (const model::MediaHealth& health : media) {
      std::string type;
      if (mountpoint) {
        for (const model::MountPointPort& port : mountpoint->media) {
          if (port.mid == health.mid) type = model::nameOf(port.type);
        }
      }
      const auto* track = relayed.contains(health.mid) ? relayed[health.mid] : nullptr;
      char line[160];
      std::snprintf(line, sizeof line, "  %-3s %-5s %-7s %8.1f kbit/s %9llu packets  age_ms %s",
                    health.mid.c_str(), type.c_str(), health.fresh ? "flowing" : "stale",
                    track ? track->bitrateKbps : 0.0,
                    track ? static_cast<unsigned long long>(track->packets) : 0ULL,
                    health.ageMs ? std::to_string(*health.ageMs).c_str() : "-");
      lines.push_back(line);
    }
  };
  mediaLines(0, report.health.media, result.mountpoint);
  for (std::size_t i = 0; i < report.health.outputs.size(); ++i) {
    const model::OutputHealth& output = report.health.outputs[i];
    const model::OutputSection* section = i < result.outputs.size() ? &result.outputs[i] : nullptr;
    std::string line = "  output " + std::to_string(i + 1) + "  " + output.janusUrl;
    if (section) line += "  " + std::string(model::nameOf(section->state));
    line += output.healthy ? "  healthy" : "  UNHEALTHY";
    if (output.janusError) line += "  (Janus: " + *output.janusError + ")";
    lines.push_back(model::redactText(line));
    mediaLines(static_cast<int>(i + 1), output.media, section ? section->mountpoint : std::nullopt);
  }
  if (report.health.media.empty() && report.relay) {
    // Janus not asked (or not answering): the relay's own view.
    for (const supervisor::TrackStats& track : report.relay->tracks) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-3s %-5s %8.1f kbit/s %9llu packets", track.mid.c_str(),
                    std::string(model::nameOf(track.type)).c_str(), track.bitrateKbps,
                    static_cast<unsigned long long>(track.packets));
      lines.push_back(line);
    }
  }
  return lines;
}

}  // namespace su::app
