#include "service/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace su::service {

namespace {

// A label value, escaped as the text format asks.
std::string label(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

class Writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const std::string& name, double value,
              const std::vector<std::pair<std::string, std::string>>& labels = {}) {
    out_ << name;
    if (!labels.empty()) {
      out_ << '{';
      for (std::size_t i = 0; i < labels.size(); ++i)
        out_ << (i ? "," : "") << labels[i].first << "=\"" << label(labels[i].second) << '"';
      out_ << '}';
    }
    out_ << ' ' << number(value) << '\n';
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::int64_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0;
  std::int64_t resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& time) { return time.tv_sec + time.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

void ServiceMetrics::onState(model::RunState state) {
  if (state == model::RunState::Failed) ++failures_;
}

void ServiceMetrics::onMetric(const std::string& name, double value) {
  if (name == "broadcast_start_ms") {
    const double seconds = value / 1000;
    ++startCount_;
    startSumSeconds_ += seconds;
    for (std::size_t i = 0; i < kStartBuckets.size(); ++i) {
      if (seconds <= kStartBuckets[i]) ++startBuckets_[i];
    }
  } else if (name == "relay_restarts") {
    relayRestarts_ += static_cast<std::uint64_t>(value);
  } else if (name == "forward_restarts") {
    forwardRestarts_ += static_cast<std::uint64_t>(value);
  }
}

std::string ServiceMetrics::render(const MetricsSnapshot& snapshot) const {
  Writer out;
  out.family("su_broadcasts", "gauge", "Broadcasts on this node, by state and source kind.");
  std::map<std::pair<std::string, std::string>, int> byState;
  for (const model::BroadcastResult& result : snapshot.broadcasts) {
    ++byState[{std::string(model::nameOf(result.state)),
               std::string(model::nameOf(result.request.sourceKind))}];
  }
  const NodeLoad load = loadOf(snapshot.broadcasts, snapshot.admission.costs);
  for (const auto& [key, count] : byState)
    out.sample("su_broadcasts", count, {{"state", key.first}, {"source_kind", key.second}});

  out.family("su_broadcast_start_seconds", "histogram",
             "Time from a start request to a running broadcast (Janus confirmed media).");
  for (std::size_t i = 0; i < kStartBuckets.size(); ++i) {
    out.sample("su_broadcast_start_seconds_bucket", static_cast<double>(startBuckets_[i]),
               {{"le", number(kStartBuckets[i])}});
  }
  out.sample("su_broadcast_start_seconds_bucket", static_cast<double>(startCount_),
             {{"le", "+Inf"}});
  out.sample("su_broadcast_start_seconds_sum", startSumSeconds_);
  out.sample("su_broadcast_start_seconds_count", static_cast<double>(startCount_));

  out.family("su_broadcast_failures_total", "counter", "Broadcasts that failed.");
  out.sample("su_broadcast_failures_total", static_cast<double>(failures_));
  out.family("su_relay_restarts_total", "counter", "Relay restarts after a failure.");
  out.sample("su_relay_restarts_total", static_cast<double>(relayRestarts_));
  out.family("su_forward_restarts_total", "counter", "rtp_forwards set up again.");
  out.sample("su_forward_restarts_total", static_cast<double>(forwardRestarts_));

  out.family("su_relay_bitrate_bytes_per_second", "gauge",
             "A relay track's bitrate (output 0: to the node's Janus, n: the n-th output).");
  for (const auto& [id, report] : snapshot.health.broadcasts) {
    if (!report.relay) continue;
    for (const auto& track : report.relay->tracks) {
      out.sample(
          "su_relay_bitrate_bytes_per_second", track.bitrateKbps * 1000 / 8,
          {{"broadcast_id", id}, {"output", std::to_string(track.output)}, {"mid", track.mid}});
    }
  }
  out.family("su_relay_packets_total", "counter", "RTP packets a relay track sent.");
  for (const auto& [id, report] : snapshot.health.broadcasts) {
    if (!report.relay) continue;
    for (const auto& track : report.relay->tracks) {
      out.sample(
          "su_relay_packets_total", static_cast<double>(track.packets),
          {{"broadcast_id", id}, {"output", std::to_string(track.output)}, {"mid", track.mid}});
    }
  }
  out.family("su_janus_media_age_seconds", "gauge",
             "Janus's age of the last packet of a mountpoint media (output 0: the node's Janus, "
             "n: the broadcast's n-th output).");
  for (const auto& [broadcastId, report] : snapshot.health.broadcasts) {
    const std::string& id = broadcastId;  // clang 14 lambdas cannot capture a structured binding
    auto ages = [&](std::size_t output, const std::vector<model::MediaHealth>& media) {
      for (const model::MediaHealth& health : media) {
        if (!health.ageMs) continue;
        out.sample("su_janus_media_age_seconds", static_cast<double>(*health.ageMs) / 1000,
                   {{"broadcast_id", id}, {"output", std::to_string(output)}, {"mid", health.mid}});
      }
    };
    ages(0, report.health.media);
    for (std::size_t i = 0; i < report.health.outputs.size(); ++i)
      ages(i + 1, report.health.outputs[i].media);
  }
  out.family("su_obs_streaming", "gauge", "OBS's stream is live (1) or not (0).");
  for (const auto& [id, report] : snapshot.health.broadcasts) {
    if (report.health.obsStreaming) {
      out.sample("su_obs_streaming", *report.health.obsStreaming ? 1 : 0, {{"broadcast_id", id}});
    }
  }

  out.family("su_node_capacity_broadcasts", "gauge", "Broadcasts this node takes (0: no limit).");
  out.sample("su_node_capacity_broadcasts", snapshot.admission.maxBroadcasts);
  out.family("su_node_active_broadcasts", "gauge", "Broadcasts starting, running or retrying.");
  out.sample("su_node_active_broadcasts", load.broadcasts);
  out.family("su_node_cpu_budget_percent", "gauge",
             "CPU the broadcasts may cost, in percent of one core (0: no budget).");
  out.sample("su_node_cpu_budget_percent", snapshot.admission.cpuBudgetPercent);
  out.family("su_node_cpu_committed_percent", "gauge",
             "What the active broadcasts cost by the cost table, in percent of one core.");
  out.sample("su_node_cpu_committed_percent", load.cpuPercent);

  if (snapshot.queue) {
    const queue::QueueStats& queue = *snapshot.queue;
    const std::vector<std::pair<std::string, std::string>> kind{
        {"queue_kind", std::string(model::nameOf(queue.kind))}};
    out.family("su_queue_lag_jobs", "gauge", "Jobs not finished: waiting plus pending.");
    out.sample("su_queue_lag_jobs", static_cast<double>(queue.lag()), kind);
    out.family("su_queue_waiting_jobs", "gauge", "Jobs not yet delivered to any consumer.");
    out.sample("su_queue_waiting_jobs", static_cast<double>(queue.waiting), kind);
    out.family("su_queue_pending_jobs", "gauge", "Jobs delivered and not acknowledged.");
    out.sample("su_queue_pending_jobs", static_cast<double>(queue.pending), kind);
    out.family("su_queue_dead_letters", "gauge", "Jobs in the dead letter.");
    out.sample("su_queue_dead_letters", static_cast<double>(queue.deadLetters), kind);
  }
  if (snapshot.worker) {
    const worker::WorkerStats& worker = *snapshot.worker;
    out.family("su_worker_jobs_in_flight", "gauge", "Jobs this node's worker runs now.");
    out.sample("su_worker_jobs_in_flight", worker.running);
    out.family("su_worker_jobs_total", "counter", "Jobs this node's worker settled.");
    out.sample("su_worker_jobs_total", static_cast<double>(worker.done), {{"outcome", "done"}});
    out.sample("su_worker_jobs_total", static_cast<double>(worker.failed - worker.deadLettered),
               {{"outcome", "requeued"}});
    out.sample("su_worker_jobs_total", static_cast<double>(worker.deadLettered),
               {{"outcome", "dead_lettered"}});
  }

  if (desiredWorkers_) {
    out.family("su_desired_workers", "gauge",
               "Workers the fleet should have for the queue's lag (the autoscaling signal).");
    out.sample("su_desired_workers", *desiredWorkers_);
  }
  out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  out.sample("process_resident_memory_bytes", static_cast<double>(residentBytes()));
  out.family("process_cpu_seconds_total", "counter", "User and system CPU time in seconds.");
  out.sample("process_cpu_seconds_total", cpuSeconds());
  return out.text();
}

}  // namespace su::service
