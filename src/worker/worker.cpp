#include "worker/worker.hpp"

#include "core/log.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"
#include "orchestrator/errors.hpp"

#define GST_CAT_DEFAULT su::log::queue

namespace su::worker {

namespace {

bool is(const model::ResultError& error, auto code) {
  return error.domain == g_quark_to_string(errorDomainOf(code)) &&
         error.code == static_cast<int>(code);
}

// Counts a job in flight for as long as its task lives, however it ends.
struct Running {
  WorkerStats& stats;
  Condition& finished;
  explicit Running(WorkerStats& s, Condition& f) : stats(s), finished(f) { ++stats.running; }
  ~Running() {
    --stats.running;
    finished.notify();
  }
};

}  // namespace

json::Value WorkerStats::toJson() const {
  json::ObjectWriter out;
  out.set("claimed", claimed)
      .set("done", done)
      .set("failed", failed)
      .set("dead_lettered", deadLettered)
      .set("running", static_cast<std::int64_t>(running))
      .set("draining", draining)
      .set("queue_error", queueError);
  return json::Value::of(out.node());
}

GQuark errorDomainOf(WorkerError) {
  return g_quark_from_static_string("su-worker-error");
}

Worker::Worker(GMainContext* context, queue::JobQueue& queue,
               orchestrator::BroadcastOrchestrator& orchestrator, WorkerOptions options,
               WorkerObserver observer)
    : context_(GRef<GMainContext>::ref(context)),
      queue_(queue),
      orchestrator_(orchestrator),
      options_(options),
      observer_(std::move(observer)),
      jobs_(context) {
  if (options_.concurrency < 1) options_.concurrency = 1;
  if (options_.touchInterval.count() <= 0) {
    options_.touchInterval = std::max(Milliseconds(50), queue_.options().visibilityTimeout / 3);
  }
}

void Worker::start() {
  claimTask_ = claiming();
  claimTask_.start(context_.get());
}

void Worker::report(std::string what, const queue::Delivery& delivery,
                    std::optional<std::string> error) {
  if (!observer_.onJob) return;
  JobEvent event{.what = std::move(what),
                 .jobId = delivery.job ? delivery.job->jobId : delivery.messageId,
                 .messageId = delivery.messageId,
                 .error = std::move(error)};
  if (delivery.job) {
    event.action = model::nameOf(delivery.job->action);
    event.broadcastId = delivery.job->targetId();
    event.attempt = delivery.job->attempt;
  }
  observer_.onJob(event);
}

void Worker::queueFailed(const Error& error) {
  const std::string message = model::redactText(error.describe());
  if (stats_.queueError != message) {
    GST_WARNING("queue %s: %s", queue_.name().c_str(), message.c_str());
    if (observer_.onError) observer_.onError("", "queue", error);
  }
  stats_.queueError = message;
}

Task<void> Worker::claiming() {
  auto backoff = Backoff::create(options_.retry);
  if (!backoff) co_return backoff.error();
  while (!stats_.draining) {
    while (stats_.running >= options_.concurrency && !stats_.draining)
      co_await jobFinished_.next();
    // A start just handed back for lack of room: give other nodes a moment to take it.
    if (std::exchange(released_, false)) co_await sleep(Milliseconds(1000));
    if (stats_.draining) break;
    auto claimed = co_await queue_.claim(options_.claimWait);
    if (!claimed) {
      queueFailed(claimed.error());
      co_await sleep(backoff->next());
      continue;
    }
    backoff->reset();
    stats_.queueError.reset();
    if (!*claimed) continue;
    ++stats_.claimed;
    // Claimed during a drain too: it is run, not left pending for the visibility timeout.
    jobs_.spawn(runJob(std::move(**claimed)));
  }
  jobFinished_.notify();  // a drain waits for this loop too
  co_return {};
}

Task<void> Worker::runJob(queue::Delivery delivery) {
  Running running(stats_, jobFinished_);
  report("claimed", delivery);
  if (!delivery.job) {
    GST_WARNING("message %s is not a job: %s", delivery.messageId.c_str(),
                model::redactText(delivery.decodeError->describe()).c_str());
    (void)co_await settle(delivery, delivery.decodeError, "decode");
    co_return {};
  }
  model::JobEnvelope job = *delivery.job;
  if (job.action == model::JobAction::Start && job.request && options_.hasRoom &&
      !options_.hasRoom(*job.request)) {
    // Left for a node with room, not failed.
    released_ = true;
    if (auto released = co_await queue_.release(delivery); !released) {
      queueFailed(released.error());
    } else {
      report("released", delivery);
    }
    co_return {};
  }
  // Touched while it runs (touching never ends: anyOf ends with the job).
  auto outcome = co_await anyOf(execute(job, delivery), touching(delivery));
  std::optional<Error> failure;
  if (!outcome) failure = outcome.error();
  (void)co_await settle(delivery, failure, "worker_job");
  co_return {};
}

Task<void> Worker::touching(queue::Delivery delivery) {
  for (;;) {
    co_await sleep(options_.touchInterval);
    if (auto touched = co_await queue_.touch(delivery); !touched) {
      GST_WARNING("could not keep job %s: %s", delivery.messageId.c_str(),
                  touched.error().describe().c_str());
    }
  }
}

Task<void> Worker::execute(model::JobEnvelope job, queue::Delivery delivery) {
  if (job.action == model::JobAction::Stop) co_return co_await stopBroadcast(std::move(job));
  co_return co_await startBroadcast(std::move(job), std::move(delivery));
}

Task<void> Worker::startBroadcast(model::JobEnvelope job, queue::Delivery delivery) {
  const std::string id = job.targetId();
  if (auto stopped = stoppedAtMs_.find(id); !id.empty() && stopped != stoppedAtMs_.end() &&
                                            job.enqueuedAtMs.value_or(0) <= stopped->second) {
    GST_INFO("job %s: broadcast %s was stopped by a later job; not started", job.jobId.c_str(),
             id.c_str());
    report("superseded", delivery);
    co_return {};
  }
  if (options_.claimOwnership) {
    auto owner = co_await options_.claimOwnership(*job.request);
    if (!owner) co_return owner.error();
    if (*owner) {
      GST_INFO("job %s: broadcast %s runs on %s; not started here", job.jobId.c_str(), id.c_str(),
               (*owner)->c_str());
      report("owned_elsewhere", delivery);
      co_return {};
    }
  }
  // A start taken over from a worker that died while it held it may find what that worker left
  // in Janus. (Not a start handed back after a failure: its rollback undid what it made, and an
  // id that exists then is somebody else's.)
  orchestrator::StartOptions origin{.queue = model::QueueSection{.kind = queue_.kind(),
                                                                 .jobId = job.jobId,
                                                                 .messageId = delivery.messageId,
                                                                 .attempt = job.attempt},
                                    .takeOver = delivery.reclaimed};
  auto result = co_await call<model::BroadcastResult>(
      [this, &job, &origin](Callback<model::BroadcastResult> done) {
        orchestrator_.start(*job.request, std::move(done), origin);
      });
  if (!result) co_return result.error();
  if (result->state == model::RunState::Running || result->state == model::RunState::Retrying) {
    co_return {};
  }
  // Stopped while it started: by a stop job, which is what was asked.
  if (result->error && is(*result->error, orchestrator::BroadcastError::Stopped)) co_return {};
  co_return makeError(WorkerError::BroadcastFailed,
                      "broadcast " + result->broadcastId + " " +
                          std::string(model::nameOf(result->state)) +
                          (result->error ? ": " + result->error->message : ""));
}

Task<void> Worker::stopBroadcast(model::JobEnvelope job) {
  const std::string id = *job.broadcastId;
  std::int64_t& stoppedAt = stoppedAtMs_[id];
  stoppedAt = std::max(stoppedAt, job.enqueuedAtMs.value_or(queue::nowMs()));
  auto result =
      co_await call<model::BroadcastResult>([this, &id](Callback<model::BroadcastResult> done) {
        orchestrator_.stop(id, std::move(done));
      });
  if (!result && result.error().is(orchestrator::OrchestratorError::UnknownBroadcast)) {
    if (options_.routeStop) {
      auto routed = co_await options_.routeStop(id);
      if (!routed) co_return routed.error();
      if (*routed) {
        GST_INFO("job %s: broadcast %s stopped by its owner", job.jobId.c_str(), id.c_str());
        co_return {};
      }
    }
    GST_INFO("job %s: no broadcast %s here: nothing to stop", job.jobId.c_str(), id.c_str());
    co_return {};
  }
  if (!result) co_return result.error();
  co_return {};
}

// Reports the failure and retries the queue until the job is settled; what it returns is only a
// broken retry policy (callers drop it).
Task<void> Worker::settle(queue::Delivery delivery, std::optional<Error> error, std::string phase) {
  const std::string broadcastId = delivery.job ? delivery.job->targetId() : "";
  if (error && observer_.onError) observer_.onError(broadcastId, phase, *error);
  auto backoff = Backoff::create(options_.retry);
  if (!backoff) co_return backoff.error();
  for (;;) {
    if (!error) {
      auto acked = co_await queue_.ack(delivery);
      if (acked) {
        ++stats_.done;
        report("done", delivery);
        co_return {};
      }
      if (acked.error().is(queue::QueueError::UnknownMessage)) {
        // Taken over by another worker meanwhile (this one was taken for dead): theirs now.
        GST_WARNING("job %s done, but no longer ours: %s", delivery.messageId.c_str(),
                    acked.error().describe().c_str());
        co_return {};
      }
      queueFailed(acked.error());
    } else {
      auto handed = co_await queue_.nack(delivery, *error, phase);
      if (handed) {
        ++stats_.failed;
        const bool dead = *handed == queue::NackOutcome::DeadLettered;
        if (dead) ++stats_.deadLettered;
        report(dead ? "dead_lettered" : "requeued", delivery, model::redactText(error->describe()));
        co_return {};
      }
      if (handed.error().is(queue::QueueError::UnknownMessage)) co_return {};
      queueFailed(handed.error());
    }
    co_await sleep(backoff->next());
  }
}

void Worker::drain(std::function<void()> done) {
  stats_.draining = true;
  jobFinished_.notify();
  drainTask_ = draining(std::move(done));
  drainTask_.start(context_.get());
}

Task<void> Worker::draining(std::function<void()> done) {
  GST_INFO("draining: %d job(s) in flight", stats_.running);
  while (claimTask_.busy() || stats_.running > 0)
    co_await jobFinished_.next();
  if (options_.stopBroadcastsOnDrain) {
    (void)co_await call<bool>(
        [this](Callback<bool> stopped) { orchestrator_.stopAll([stopped] { stopped(true); }); });
  }
  done();
  co_return {};
}

}  // namespace su::worker
