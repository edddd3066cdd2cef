#include "app/queue_commands.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "app/arguments.hpp"
#include "app/command_output.hpp"
#include "app/exit_codes.hpp"
#include "app/input.hpp"
#include "app/janus_access.hpp"
#include "app/status_board.hpp"
#include "core/task.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "model/decode.hpp"
#include "model/redaction.hpp"
#include "queue/queue_url.hpp"
#include "service/broadcast_service.hpp"
#include "worker/worker.hpp"

namespace su::app {

namespace {

constexpr const char* kQueueHelp =
    "  --queue URL       the queue (default $SU_QUEUE_URL, else redis://127.0.0.1:6379/0):\n"
    "                    redis://[user:password@]host[:port][/db][?stream=S&group=G]\n"
    "                    kafka://broker[:port][,broker...]/topic[?group=G]\n"
    "                    and on either: consumer=NAME, max_attempts=N (default 3),\n"
    "                    visibility_ms=N (default 60000), max_length=N, dead_letter=NAME\n";

const std::string kEnqueueUsage =
    std::string(
        "usage: streaming-utils enqueue REQUEST.json|- --queue URL [--job-id ID]\n"
        "       streaming-utils enqueue --stop BROADCAST_ID --queue URL\n"
        "\n"
        "Puts a start_broadcast job (the request, validated first: an invalid one is not\n"
        "enqueued) or a stop_broadcast job on a queue, for a worker to run. Prints the\n"
        "queue's message id.\n"
        "\n"
        "Options:\n") +
    kQueueHelp +
    "  --job-id ID       the job's id (default: the message id)\n"
    "  --stop ID         a stop job for this broadcast instead of a start\n"
    "Exit status: 0 enqueued, 1 the queue could not be reached, 2 wrong arguments or an\n"
    "invalid request.\n";

const std::string kWorkerUsage =
    std::string(
        "usage: streaming-utils worker --queue URL [options]\n"
        "\n"
        "Claims broadcast jobs from a queue and runs them on Janus until SIGTERM or Ctrl-C;\n"
        "then it stops claiming, lets the jobs in flight finish and, with --stop-on-exit,\n"
        "stops its broadcasts (by default they keep running: the next worker finds them in\n"
        "Janus). Shows jobs and broadcasts as they change.\n"
        "\n"
        "Options:\n") +
    kQueueHelp + kJanusOptionsHelp +
    "  --consumer NAME   this worker's name in the group (default: host-pid; the same name\n"
    "                    after a restart takes back the jobs it held)\n"
    "  --concurrency N   jobs run at once (default 4)\n"
    "  --admin-key K     the Streaming plugin's admin_key, for jobs whose mountpoint has none\n"
    "                    (default $SU_JANUS_ADMIN_KEY): producers need not know it\n"
    "  --stop-on-exit    stop the broadcasts when the worker exits\n"
    "  --media-timeout MS how long a start may wait for media (default 20000)\n"
    "  --status-every MS refresh the status this often (default 1000 on a terminal, else\n"
    "                    10000)\n"
    "Exit status: 0 drained cleanly, 1 the queue URL cannot be used, 2 wrong arguments.\n";

const std::string kQueueUsage =
    std::string(
        "usage: streaming-utils queue stats --queue URL [--dead N]\n"
        "\n"
        "Prints the queue's figures as JSON: entries waiting (not yet delivered to the group),\n"
        "pending (delivered, not acknowledged) and their sum, the lag; pending per consumer\n"
        "and how long each has been idle; dead letters; with --dead N, the newest N of them.\n"
        "\n"
        "Options:\n") +
    kQueueHelp + "  --dead N          also list the newest N dead letters\n";

// The queue URL of the command line, parsed; memory: is refused where another process would
// have to share it.
Result<queue::QueueUrl> queueUrl(const Arguments& arguments, bool memoryAllowed) {
  const std::string text =
      arguments.value("queue", "SU_QUEUE_URL").value_or("redis://127.0.0.1:6379/0");
  auto url = queue::parseQueueUrl(text);
  if (!url) return url.error();
  if (!memoryAllowed && url->kind == model::QueueKind::Memory) {
    return makeError(queue::QueueError::InvalidUrl,
                     "a memory: queue lives inside one process; give a redis:// or kafka:// URL");
  }
  return url;
}

int positiveInt(const Arguments& arguments, const char* name, int fallback, int max) {
  const auto text = arguments.value(name);
  gint64 value = 0;
  if (!text) return fallback;
  if (!g_ascii_string_to_signed(text->c_str(), 10, 1, max, &value, nullptr)) return -1;
  return static_cast<int>(value);
}

void printProblems(const Error& error) {
  std::fprintf(stderr, "error: %s\n", model::redactText(error.message).c_str());
  for (const FieldError& field : error.fields)
    std::fprintf(stderr, "  %s\n", model::redactText(field.toString()).c_str());
}

}  // namespace

// --- enqueue ------------------------------------------------------------------------------------

int runEnqueue(int argc, char** argv) {
  auto arguments = Arguments::parse(argc, argv, {{"queue"}, {"job-id"}, {"stop"}});
  if (!arguments) return failUsage(arguments.error().message, kEnqueueUsage.c_str());
  if (arguments->help()) {
    std::fputs(kEnqueueUsage.c_str(), stdout);
    return kExitOk;
  }
  const bool stop = arguments->has("stop");
  if (stop != arguments->positional().empty() || arguments->positional().size() > 1) {
    return failUsage("give one request file, or --stop ID", kEnqueueUsage.c_str());
  }
  auto url = queueUrl(*arguments, false);
  if (!url) return failUsage(url.error().message, kEnqueueUsage.c_str());

  model::JobEnvelope job;
  if (stop) {
    job = model::JobEnvelope::stop(arguments->value("stop").value_or(""));
  } else {
    auto text = readInput(arguments->positional()[0], json::ParseLimits{}.maxBytes);
    if (!text) return fail(kExitInvalidInput, text.error().message);
    auto request = model::decodeText<model::BroadcastRequest>(*text, "broadcast request");
    if (!request) {
      printProblems(request.error());
      return kExitInvalidInput;
    }
    job = model::JobEnvelope::start(std::move(request).value());
  }
  job.jobId = arguments->value("job-id").value_or("");
  job.normalize();
  json::Diagnostics diagnostics;
  job.validate("", diagnostics);
  if (!diagnostics.ok()) {
    printProblems(model::invalidDocument("job envelope", diagnostics.errors()));
    return kExitInvalidInput;
  }

  BlockingContext context;
  auto queue = queue::openQueue(context.get(), *url);
  if (!queue) return fail(kExitFailure, queue.error().message);
  auto id = runTask(context, (*queue)->enqueue(job));
  if (!id)
    return fail(kExitFailure, "cannot enqueue on " + (*queue)->name() + ": " + id.error().message);
  std::fprintf(stderr, "enqueued %s%s on %s\n", model::nameOf(job.action).data(),
               job.targetId().empty() ? "" : (" of " + job.targetId()).c_str(),
               (*queue)->name().c_str());
  std::printf("%s\n", id->c_str());
  return kExitOk;
}

// --- queue stats --------------------------------------------------------------------------------

int runQueue(int argc, char** argv) {
  auto arguments = Arguments::parse(argc, argv, {{"queue"}, {"dead"}});
  if (!arguments) return failUsage(arguments.error().message, kQueueUsage.c_str());
  if (arguments->help()) {
    std::fputs(kQueueUsage.c_str(), stdout);
    return kExitOk;
  }
  if (arguments->positional() != std::vector<std::string>{"stats"}) {
    return failUsage("the queue command is: queue stats", kQueueUsage.c_str());
  }
  const int dead = positiveInt(*arguments, "dead", 0, 10'000);
  if (dead < 0) return failUsage("--dead takes a count (1..10000)", kQueueUsage.c_str());
  auto url = queueUrl(*arguments, false);
  if (!url) return failUsage(url.error().message, kQueueUsage.c_str());

  BlockingContext context;
  auto queue = queue::openQueue(context.get(), *url);
  if (!queue) return fail(kExitFailure, queue.error().message);
  auto stats = runTask(context, (*queue)->stats());
  if (!stats)
    return fail(kExitFailure, "cannot read " + (*queue)->name() + ": " + stats.error().message);
  json::ObjectWriter out;
  out.mergeMissing(stats->toJson());
  if (dead > 0) {
    auto letters = runTask(context, (*queue)->deadLetters(static_cast<std::size_t>(dead)));
    if (!letters) return fail(kExitFailure, letters.error().message);
    std::vector<GRef<JsonNode>> nodes;
    for (const queue::DeadLetter& letter : *letters)
      nodes.push_back(letter.toJson());
    out.set("dead", json::arrayOf(nodes));
  }
  printJson(out.node());
  return kExitOk;
}

// --- worker -------------------------------------------------------------------------------------

namespace {

// One `worker` run, as a coroutine on the command's context: connect to Janus (waiting for it
// if it is not up yet), claim and run jobs until a signal, then drain.
struct WorkerRun {
  GMainContext* context;
  StatusBoard& board;
  std::string janusUrl;
  Milliseconds statusEvery{1000};
  std::unique_ptr<queue::JobQueue> queue;
  std::unique_ptr<service::BroadcastService> service;
  std::unique_ptr<worker::Worker> worker;
  worker::WorkerOptions options;
  Trigger stopAsked;
  int signals = 0;

  Task<int> steps();
  Task<void> connect();
  void signalled();
  void showStatus();
};

void WorkerRun::signalled() {
  if (++signals > 1) {
    std::fputs(
        "\nquitting at once: jobs in flight go back to the queue after its visibility "
        "timeout\n",
        stderr);
    _exit(130);
  }
  board.say("draining: no new jobs; finishing the ones in flight (again quits at once)");
  stopAsked.fire();
}

Task<void> WorkerRun::connect() {
  co_return co_await call<void>([this](Callback<void> done) { service->connect(std::move(done)); });
}

void WorkerRun::showStatus() {
  const worker::WorkerStats& stats = worker->stats();
  std::vector<std::string> lines{
      "worker " + queue->options().consumer + " on " + queue->name() + ": " +
      std::to_string(stats.running) + " job(s) running, " + std::to_string(stats.claimed) +
      " claimed, " + std::to_string(stats.done) + " done, " + std::to_string(stats.failed) +
      " failed (" + std::to_string(stats.deadLettered) + " dead-lettered)" +
      (stats.queueError ? "; queue: " + *stats.queueError : "")};
  for (const model::BroadcastResult& result : service->orchestrator()->list()) {
    std::string line = "  " + result.broadcastId + ": " + std::string(model::nameOf(result.state));
    if (result.health) line += result.health->healthy ? ", healthy" : ", unhealthy";
    if (result.queue && result.queue->jobId) line += " (job " + *result.queue->jobId + ")";
    lines.push_back(line);
  }
  board.show(std::move(lines));
}

Task<int> WorkerRun::steps() {
  auto backoff = Backoff::create({.initial = Milliseconds(1000), .max = Milliseconds(15000)});
  if (!backoff) co_return fail(kExitFailure, backoff.error().message);
  for (;;) {
    auto connected = co_await connect();
    if (connected) break;
    const Milliseconds wait = backoff->next();
    board.say("no Janus at " + janusUrl + " (" + connected.error().message + "): trying again in " +
              std::to_string(wait.count()) + " ms");
    auto waited = co_await anyOf(delay(wait), stopAsked.wait());
    (void)waited;
    if (stopAsked.fired()) co_return kExitOk;
  }
  board.say("connected to Janus at " + janusUrl + "; claiming jobs from " + queue->name() + " as " +
            queue->options().consumer);
  worker = std::make_unique<worker::Worker>(
      context, *queue, *service->orchestrator(), options,
      worker::WorkerObserver{.onJob =
                                 [this](const worker::JobEvent& event) {
                                   std::string line = "job " + event.jobId + " " + event.what;
                                   if (!event.action.empty()) line += " (" + event.action;
                                   if (!event.broadcastId.empty()) line += " " + event.broadcastId;
                                   if (!event.action.empty()) {
                                     line += ", attempt " + std::to_string(event.attempt + 1) + ")";
                                   }
                                   if (event.error) line += ": " + *event.error;
                                   board.say(line);
                                 },
                             .onError = {}});
  worker->start();
  Source status = Source::timeout(
      context, statusEvery,
      [this] {
        showStatus();
        return true;
      },
      "su-worker-status");
  (void)co_await stopAsked.wait();
  (void)co_await call<bool>([this](Callback<bool> done) { worker->drain([done] { done(true); }); });
  status.cancel();
  board.clear();
  const worker::WorkerStats& stats = worker->stats();
  board.say("drained: " + std::to_string(stats.done) + " job(s) done, " +
            std::to_string(stats.failed) + " failed; " +
            (options.stopBroadcastsOnDrain
                 ? "broadcasts stopped"
                 : std::to_string(service->orchestrator()->list().size()) +
                       " broadcast(s) left running in Janus"));
  co_return kExitOk;
}

}  // namespace

int runWorker(int argc, char** argv) {
  auto arguments = Arguments::parse(argc, argv,
                                    withJanusOptions({{"queue"},
                                                      {"consumer"},
                                                      {"concurrency"},
                                                      {"admin-key"},
                                                      {"stop-on-exit", false},
                                                      {"media-timeout"},
                                                      {"status-every"}}));
  if (!arguments) return failUsage(arguments.error().message, kWorkerUsage.c_str());
  if (arguments->help()) {
    std::fputs(kWorkerUsage.c_str(), stdout);
    return kExitOk;
  }
  if (!arguments->positional().empty()) {
    return failUsage("worker takes no positional arguments", kWorkerUsage.c_str());
  }
  auto url = queueUrl(*arguments, true);
  if (!url) return failUsage(url.error().message, kWorkerUsage.c_str());
  if (auto consumer = arguments->value("consumer")) url->options.consumer = *consumer;

  worker::WorkerOptions options;
  options.concurrency = positiveInt(*arguments, "concurrency", options.concurrency, 1000);
  if (options.concurrency < 0) {
    return failUsage("--concurrency takes a count (1..1000)", kWorkerUsage.c_str());
  }
  options.stopBroadcastsOnDrain = arguments->has("stop-on-exit");
  service::ServiceOptions serviceOptions;
  serviceOptions.janus = janusSessionOptions(*arguments);
  serviceOptions.broadcast.streamingAdminKey = arguments->value("admin-key", "SU_JANUS_ADMIN_KEY");
  const int mediaTimeout = positiveInt(*arguments, "media-timeout", 20000, 3'600'000);
  const bool terminal = isatty(STDOUT_FILENO) == 1;
  const int statusEvery =
      positiveInt(*arguments, "status-every", terminal ? 1000 : 10000, 3'600'000);
  if (mediaTimeout < 0 || statusEvery < 0) {
    return failUsage("--media-timeout and --status-every take milliseconds", kWorkerUsage.c_str());
  }
  serviceOptions.broadcast.mediaTimeout = Milliseconds(mediaTimeout);

  BlockingContext context;
  StatusBoard board(terminal);
  auto queue = queue::openQueue(context.get(), *url);
  if (!queue) return fail(kExitFailure, queue.error().message);
  WorkerRun run{.context = context.get(),
                .board = board,
                .janusUrl = serviceOptions.janus.url,
                .statusEvery = Milliseconds(statusEvery),
                .queue = std::move(queue).value(),
                .options = options};
  orchestrator::Observer observer;
  observer.onState = [&](const std::string& broadcast, model::RunState state) {
    board.say(broadcast + ": " + std::string(model::nameOf(state)));
  };
  observer.onError = [&](const std::string& broadcast, const std::string& phase,
                         const Error& error) {
    board.say(broadcast + ": error in " + phase + ": " + error.message);
  };
  run.service =
      std::make_unique<service::BroadcastService>(context.get(), serviceOptions, observer);
  auto onSignal = [&] {
    run.signalled();
    return true;
  };
  Source sigint = Source::unixSignal(context.get(), SIGINT, onSignal);
  Source sigterm = Source::unixSignal(context.get(), SIGTERM, onSignal);
  const Result<int> status = runTask(context, run.steps());
  run.worker.reset();
  // Without --stop-on-exit the broadcasts stay in Janus: the service must not stop them.
  if (!options.stopBroadcastsOnDrain && run.service->orchestrator()) {
    run.service->orchestrator()->abandonAll();
  }
  run.service.reset();
  return status ? *status : fail(kExitFailure, status.error().message);
}

}  // namespace su::app
