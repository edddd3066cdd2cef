// The worker: claims jobs from a queue up to a concurrency limit and runs them on the
// orchestrator. A job that succeeded is acknowledged; one that failed is handed back with its
// error (queued again, or dead-lettered after max_attempts) and reported to the observer with
// phase "worker_job"; one that cannot be decoded goes to the dead letter at once. While a job
// runs it is touched, so that no other worker takes it over.
//
// Idempotent on one node: a start redelivered while its broadcast starts or runs here returns
// that broadcast (the orchestrator never provisions twice); a start older than a stop already
// done for its broadcast is dropped (a stop does not let an earlier start run again); a stop of
// a broadcast that is not here is done.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/backoff.hpp"
#include "core/task.hpp"
#include "orchestrator/orchestrator.hpp"
#include "queue/queue.hpp"

namespace su::worker {

enum class WorkerError {
  BroadcastFailed = 1,  // a start job's broadcast did not reach running (its error in the text)
};
GQuark errorDomainOf(WorkerError);

struct WorkerOptions {
  int concurrency = 4;            // jobs run at once
  Milliseconds claimWait{2000};   // one blocking claim; also the longest a drain waits for it
  Milliseconds touchInterval{0};  // 0: a third of the queue's visibility timeout
  BackoffPolicy retry{.initial = Milliseconds(500), .max = Milliseconds(10'000)};  // queue errors
  bool stopBroadcastsOnDrain = false;  // on drain: stop the broadcasts, or leave them running
  // Whether this node takes one more broadcast of this request now; a start claimed while it
  // does not is handed back unchanged (released) for another node, and claiming pauses a second.
  std::function<bool(const model::BroadcastRequest&)> hasRoom;
  // In a cluster (src/cluster): claims the broadcast a start is about for this node. The live
  // node that owns it instead, if any: the start is then done without running here (reported
  // "owned_elsewhere"). An error hands the job back, to be tried again.
  std::function<Task<std::optional<std::string>>(const model::BroadcastRequest&)> claimOwnership;
  // In a cluster: a stop of a broadcast that is not here goes to its owner and is waited for.
  // False when nobody owns it (nothing to stop); an error hands the job back.
  std::function<Task<bool>(const std::string& broadcastId)> routeStop;
};

// What happened to a job: claimed, done, requeued, dead_lettered, superseded, released,
// owned_elsewhere.
struct JobEvent {
  std::string what;
  std::string jobId;
  std::string messageId;
  std::string action;       // start_broadcast, stop_broadcast; empty when it did not decode
  std::string broadcastId;  // may be empty (a start whose id the orchestrator makes up)
  std::int64_t attempt = 0;
  std::optional<std::string> error;
};

struct WorkerObserver {
  std::function<void(const JobEvent&)> onJob;
  // A job that failed (phase "worker_job"), or the queue failing (phase "queue"). Masked.
  std::function<void(const std::string& broadcastId, const std::string& phase, const Error&)>
      onError;
};

struct WorkerStats {
  std::int64_t claimed = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;  // requeued or dead-lettered
  std::int64_t deadLettered = 0;
  int running = 0;  // jobs in flight
  bool draining = false;
  std::optional<std::string> queueError;  // the queue's last error, until it works again

  // {"claimed", "done", "failed", "dead_lettered", "running", "draining", "queue_error"?}
  json::Value toJson() const;
};

class Worker {
 public:
  Worker(GMainContext* context, queue::JobQueue& queue,
         orchestrator::BroadcastOrchestrator& orchestrator, WorkerOptions options,
         WorkerObserver observer = {});

  // Claims and runs jobs until drain().
  void start();
  // Stops claiming (the claim in progress ends within claimWait), lets the jobs in flight
  // finish, then stops the broadcasts if the options say so; `done` after all that.
  void drain(std::function<void()> done);
  const WorkerStats& stats() const noexcept { return stats_; }

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

 private:
  Task<void> claiming();
  Task<void> runJob(queue::Delivery delivery);
  Task<void> execute(model::JobEnvelope job, queue::Delivery delivery);
  Task<void> startBroadcast(model::JobEnvelope job, queue::Delivery delivery);
  Task<void> stopBroadcast(model::JobEnvelope job);
  Task<void> touching(queue::Delivery delivery);
  // Acknowledges, or hands back with `error`; retried while the queue is unreachable.
  Task<void> settle(queue::Delivery delivery, std::optional<Error> error, std::string phase);
  Task<void> draining(std::function<void()> done);
  void report(std::string what, const queue::Delivery& delivery,
              std::optional<std::string> error = std::nullopt);
  void queueFailed(const Error& error);

  GRef<GMainContext> context_;
  queue::JobQueue& queue_;
  orchestrator::BroadcastOrchestrator& orchestrator_;
  WorkerOptions options_;
  WorkerObserver observer_;
  WorkerStats stats_;
  bool released_ = false;  // a start was handed back for lack of room
  Condition jobFinished_;
  // When each broadcast was last stopped by a job (its enqueued_at_ms): older starts are dropped.
  std::map<std::string, std::int64_t> stoppedAtMs_;
  Task<void> claimTask_;
  Task<void> drainTask_;
  TaskGroup jobs_;
};

}  // namespace su::worker
