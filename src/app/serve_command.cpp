#include "app/serve_command.hpp"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <string>

#include "app/arguments.hpp"
#include "app/command_output.hpp"
#include "app/exit_codes.hpp"
#include "app/input.hpp"
#include "app/janus_access.hpp"
#include "app/status_board.hpp"
#include "cluster/cluster_node.hpp"
#include "core/task.hpp"
#include "json/writer.hpp"
#include "model/redaction.hpp"
#include "queue/queue_url.hpp"
#include "service/http_api.hpp"
#include "service/local_janus.hpp"
#include "service/serve_config.hpp"
#include "service/systemd_notify.hpp"
#include "worker/worker.hpp"

namespace su::app {

namespace {

std::string usage() {
  std::string text =
      "usage: streaming-utils serve [--config FILE] [options]\n"
      "\n"
      "Runs the ingest-node service until SIGTERM or Ctrl-C: an HTTP control API, any number\n"
      "of broadcasts on one Janus, and a worker on the configured queue. Every setting comes\n"
      "from the config file (data/streaming-utils.conf documents each key), an environment\n"
      "variable or a flag; the flag wins. Without any it listens on 127.0.0.1:8089, takes jobs\n"
      "from an in-memory queue, and starts a Janus of its own when none answers.\n"
      "\n"
      "Options:\n"
      "  --config FILE     the config file (GKeyFile)\n"
      "  --check-config    print the settings it would run with (secrets masked) and exit\n";
  for (const auto& [flag, help] : service::serveConfigFlags()) {
    std::string line = "  --" + flag + " ";
    line.resize(std::max<std::size_t>(line.size(), 20), ' ');
    text += line + help + "\n";
  }
  text +=
      "Exit status: 0 drained cleanly, 1 it could not serve (the address is taken...), 2 a\n"
      "configuration error (the file, group and key are named).\n";
  return text;
}

// One `serve`, as a coroutine on the command's context: the HTTP API at once (health tells
// whether Janus is there), then Janus (its own if none answers and the config allows), then the
// worker; until a signal, then the drain.
struct Serve {
  GMainContext* context;
  StatusBoard& board;
  service::SystemdNotifier& systemd;
  service::ServeConfig config;
  service::ConfigSources sources;                   // read again on SIGHUP
  std::unique_ptr<service::LocalJanus> localJanus;  // outlives the service
  std::unique_ptr<service::BroadcastService> service;
  std::unique_ptr<service::HttpApi> http;
  std::unique_ptr<queue::JobQueue> queue;
  std::unique_ptr<cluster::ClusterStore> clusterStore;  // outlives the node
  std::unique_ptr<cluster::ClusterNode> cluster;
  std::unique_ptr<worker::Worker> worker;
  Trigger stopAsked;
  int signals = 0;

  std::optional<service::Autoscaler> autoscaler;
  Task<void> autoscaleTask;

  Task<int> steps();
  bool startsInFlight() const {
    for (const model::BroadcastResult& result : service->orchestrator()->list()) {
      if (result.state == model::RunState::Starting) return true;
    }
    return false;
  }
  Task<void> connect();
  // Joins the cluster ([cluster] redis): an error only for a key that cannot be used.
  Result<void> joinCluster();
  // The worker's claimOwnership: the live node that owns the broadcast, if not this one.
  Task<std::optional<std::string>> claimOwnership(model::BroadcastRequest request);
  // After the drain: the cluster hears this node leave (or, with drain = leave, its lease lapse).
  Task<void> leaveCluster();
  // Reads the queue's lag every tick: the desired_workers metric, and scale_request events.
  Task<void> autoscaling();
  void signalled();
  // SIGHUP: the log level, admission and token change at once; what needs a restart is named.
  void reload();
};

void Serve::signalled() {
  if (++signals > 1) {
    std::fputs("\nquitting at once\n", stderr);
    if (localJanus) localJanus.reset();
    _exit(130);
  }
  board.say("draining (again quits at once)");
  systemd.stopping("draining: finishing the jobs in flight");
  if (http) http->setDraining();
  stopAsked.fire();
}

void Serve::reload() {
  auto refused = [this](const Error& error) {
    board.say("reload refused, nothing changed: " + error.message);
    systemd.status("reload refused: " + error.message);
  };
  auto fresh = service::loadServeConfig(sources);
  if (!fresh) return refused(fresh.error());
  // Judged on the address it listens on now, which a reload does not change.
  service::ServeConfig effective = *fresh;
  effective.listenHost = config.listenHost;
  effective.listenPort = config.listenPort;
  auto secrets = service::loadServeSecrets(effective);
  if (!secrets) return refused(secrets.error());
  std::vector<std::string> ignored;
  auto compare = [&](bool same, const char* key) {
    if (!same) ignored.push_back(key);
  };
  compare(fresh->janusUrl == config.janusUrl, "[janus] url");
  compare(fresh->adminKey == config.adminKey || localJanus, "[janus] admin_key");
  compare(fresh->localJanus == config.localJanus, "[janus] local_janus");
  compare(fresh->queueUrl == config.queueUrl, "[queue] url");
  compare(fresh->kafkaSettings == config.kafkaSettings, "[kafka]");
  compare(fresh->consumer == config.consumer, "[queue] consumer");
  compare(fresh->concurrency == config.concurrency, "[queue] concurrency");
  compare(fresh->drain == config.drain, "[node] drain");
  compare(fresh->listen() == config.listen(), "[http] listen");
  compare(fresh->maxBodyBytes == config.maxBodyBytes, "[http] max_body_bytes");
  compare(fresh->maxEventStreams == config.maxEventStreams, "[http] max_event_streams");
  compare(fresh->eventHeartbeat == config.eventHeartbeat, "[http] event_heartbeat_ms");
  compare(fresh->headerTimeout == config.headerTimeout, "[http] header_timeout_ms");
  // A rotated pair is served from the next connection; HTTPS on or off needs a restart.
  compare(fresh->tlsCertificate.has_value() == config.tlsCertificate.has_value(),
          "[http] tls_certificate");
  compare(fresh->clusterRedis == config.clusterRedis, "[cluster] redis");
  compare(fresh->clusterName == config.clusterName, "[cluster] name");
  compare(fresh->clusterKeyFile == config.clusterKeyFile, "[cluster] key_file");
  compare(fresh->nodeId == config.nodeId, "[cluster] node_id");
  compare(fresh->lease == config.lease, "[cluster] lease_ms");
  if (fresh->logLevel) gst_debug_set_threshold_from_string(fresh->logLevel->c_str(), TRUE);
  http->setAdmission(fresh->admission);
  http->setToken(secrets->token);
  config.admission = fresh->admission;
  config.logLevel = fresh->logLevel;
  config.tokenFile = fresh->tokenFile;
  std::string line =
      "reloaded: capacity " + std::to_string(config.admission.maxBroadcasts) + ", CPU budget " +
      std::to_string(std::lround(config.admission.cpuBudgetPercent)) + " %, log level " +
      config.logLevel.value_or("(default)") + ", token " + (secrets->token ? "set" : "none");
  if (config.tlsCertificate && secrets->certificate) {
    http->setCertificate(secrets->certificate);
    config.tlsCertificate = fresh->tlsCertificate;
    config.tlsKey = fresh->tlsKey;
    line += ", certificate " + tls::fingerprint(secrets->certificate.get());
  }
  if (!ignored.empty()) {
    line += "; ignored (restart to apply):";
    for (const std::string& key : ignored)
      line += " " + key;
  }
  board.say(line);
  systemd.status(line);
}

Task<void> Serve::autoscaling() {
  for (;;) {
    if (auto stats = co_await queue->stats()) {
      const auto decision = autoscaler->tick(stats->lag(), g_get_monotonic_time() / 1000);
      http->metrics().setDesiredWorkers(decision.desired);
      if (decision.request) {
        board.say("scale_request: " + std::to_string(decision.desired) +
                  " worker(s) for a lag of " + std::to_string(stats->lag()));
        json::ObjectWriter data;
        data.set("desired_workers", decision.desired)
            .set("lag", stats->lag())
            .set("min_workers", config.autoscale.minWorkers)
            .set("max_workers", config.autoscale.maxWorkers);
        http->publish("scale_request", json::Value::of(data.node()));
      }
    }
    co_await sleep(config.autoscaleTick);
  }
}

Result<void> Serve::joinCluster() {
  auto text = readInput(*config.clusterKeyFile, 4096);
  if (!text) return makeError(ArgumentError::Usage, "[cluster] key_file: " + text.error().message);
  auto key = cluster::ClusterKey::fromBase64(*text);
  if (!key) return makeError(ArgumentError::Usage, "[cluster] key_file: " + key.error().message);
  auto address = queue::parseRedisAddress(*config.clusterRedis);
  if (!address)
    return makeError(ArgumentError::Usage, "[cluster] redis: " + address.error().message);
  if (address->tls) {
    if (auto material = queue::loadRedisTls(*address->tls); !material)
      return makeError(ArgumentError::Usage, "[cluster] redis: " + material.error().message);
  }
  clusterStore =
      std::make_unique<cluster::ClusterStore>(context, std::move(*address), config.clusterName);
  cluster = std::make_unique<cluster::ClusterNode>(
      context, *clusterStore, std::move(*key), *service->orchestrator(),
      cluster::ClusterOptions{
          .nodeId = config.nodeId,
          .lease = config.lease,
          .capacity = config.admission.maxBroadcasts,
          .api = std::string(config.tlsCertificate ? "https" : "http") + "://" + config.listen()},
      cluster::ClusterObserver{.onEvent = [this](const std::string& what,
                                                 const std::string& broadcast,
                                                 const std::string& detail) {
        board.say("cluster: " + what + (broadcast.empty() ? "" : " " + broadcast) +
                  (detail.empty() ? "" : ": " + detail));
        json::ObjectWriter data;
        data.set("event", what).set("broadcast_id", broadcast).set("detail", detail);
        if (http) http->publish("cluster_event", json::Value::of(data.node()));
      }});
  cluster->start();
  if (http) http->setCluster(cluster.get());
  board.say("cluster " + config.clusterName + " on " + model::redactText(*config.clusterRedis) +
            " as node " + cluster->node().id + " (lease " + std::to_string(config.lease.count()) +
            " ms)");
  return {};
}

Task<std::optional<std::string>> Serve::claimOwnership(model::BroadcastRequest request) {
  auto claim = co_await cluster->claim(std::move(request));
  if (!claim) co_return claim.error();
  switch (claim->outcome) {
    case cluster::Claim::Outcome::Claimed:
      co_return std::optional<std::string>();
    case cluster::Claim::Outcome::OwnedElsewhere:
      co_return std::optional<std::string>(claim->owner);
    case cluster::Claim::Outcome::NoLease:
      break;
  }
  co_return makeError(cluster::ClusterError::NoLease,
                      "this node holds no cluster lease now: the job goes back to the queue");
}

Task<void> Serve::leaveCluster() {
  if (!cluster) co_return {};
  const bool leave = config.drain != service::DrainPolicy::Leave;
  (void)co_await call<bool>(
      [this, leave](Callback<bool> done) { cluster->stop(leave, [done] { done(true); }); });
  board.say(leave ? "left the cluster" : "stopped renewing the cluster lease");
  co_return {};
}

Task<void> Serve::connect() {
  co_return co_await call<void>([this](Callback<void> done) { service->connect(std::move(done)); });
}

Task<int> Serve::steps() {
  const int limit = service::raiseDescriptorLimit();
  board.say("file descriptors: limit " + std::to_string(limit) + ", " +
            std::to_string(service::descriptorsNow().open) + " open");
  auto connected = co_await connect();
  const auto port = loopbackJanusPort(config.janusUrl);
  if (!connected && port && config.localJanus && !stopAsked.fired()) {
    board.say("no Janus answers at " + config.janusUrl + ": starting one from " +
              service::janusTemplatesDir());
    auto started = service::LocalJanus::start({.wsPort = *port});
    if (!started) co_return fail(kExitFailure, "cannot start Janus: " + started.error().message);
    localJanus = std::move(started).value();
    if (!config.adminKey) {
      // Ours: requests need not carry it.
      config.adminKey = localJanus->config().streamingAdminKey;
      service->setStreamingAdminKey(config.adminKey);
    }
    connected = co_await connect();
  }
  auto backoff = Backoff::create({.initial = Milliseconds(1000), .max = Milliseconds(15000)});
  while (!connected && !stopAsked.fired()) {
    const Milliseconds wait = backoff->next();
    board.say("no Janus at " + config.janusUrl + " (" + connected.error().message +
              "): trying again in " + std::to_string(wait.count()) + " ms");
    (void)co_await anyOf(delay(wait), stopAsked.wait());
    if (!stopAsked.fired()) connected = co_await connect();
  }
  if (connected) {
    board.say("connected to Janus at " + config.janusUrl);
    systemd.status("serving; connected to Janus at " + config.janusUrl);
    auto url = queue::parseQueueUrl(config.queueUrl);
    if (!url) co_return fail(kExitUsage, "queue: " + url.error().message);
    if (!config.consumer.empty()) url->options.consumer = config.consumer;
    url->kafka.settings.insert(url->kafka.settings.begin(), config.kafkaSettings.begin(),
                               config.kafkaSettings.end());
    auto opened = queue::openQueue(context, *url);
    if (!opened) co_return fail(kExitFailure, opened.error().message);
    queue = std::move(*opened);
    if (config.clusterRedis) {
      if (auto joined = joinCluster(); !joined) co_return fail(kExitUsage, joined.error().message);
    }
    worker::WorkerOptions workerOptions{
        .concurrency = config.concurrency,
        .stopBroadcastsOnDrain = config.drain == service::DrainPolicy::Stop,
        // What /readyz says: without a lease (not joined yet, or fenced), at capacity, ... a
        // start is left for another node.
        .hasRoom = [this](const model::BroadcastRequest& request) {
          return !http->unavailable(service::relayWorkOf(request));
        }};
    if (cluster) {
      workerOptions.claimOwnership = [this](const model::BroadcastRequest& request) {
        return claimOwnership(request);
      };
      workerOptions.routeStop = [this](const std::string& id) { return cluster->routeStop(id); };
    }
    worker = std::make_unique<worker::Worker>(
        context, *queue, *service->orchestrator(), std::move(workerOptions),
        worker::WorkerObserver{.onJob = [this](const worker::JobEvent& event) {
          board.say("job " + event.jobId + " " + event.what +
                    (event.broadcastId.empty() ? "" : " (" + event.broadcastId + ")") +
                    (event.error ? ": " + *event.error : ""));
        }});
    worker->start();
    http->setQueue(queue.get());
    http->setWorker(worker.get());
    autoscaler.emplace(config.autoscale);
    autoscaleTask = autoscaling();
    autoscaleTask.start(context);
    board.say("worker on " + queue->name() + " as " + queue->options().consumer);
  }
  (void)co_await stopAsked.wait();
  autoscaleTask = {};
  if (worker) {
    (void)co_await call<bool>(
        [this](Callback<bool> done) { worker->drain([done] { done(true); }); });
  }
  // Starts through the API finish too (each is bounded by its own timeouts): a client waiting
  // for one gets its result, and what started is then stopped or left like the rest.
  for (bool said = false; service->orchestrator() && startsInFlight(); said = true) {
    if (!said) board.say("draining: waiting for the starts in flight");
    co_await sleep(Milliseconds(100));
  }
  if (service->orchestrator() && config.drain == service::DrainPolicy::Stop) {
    (void)co_await call<bool>(
        [this](Callback<bool> done) { service->stopAll([done] { done(true); }); });
    board.say("drained: every broadcast stopped");
  } else if (service->orchestrator()) {
    const std::size_t left = service->orchestrator()->list().size();
    service->orchestrator()->abandonAll();
    board.say(
        "drained: " + std::to_string(left) + " broadcast(s) left as they are in Janus" +
        (config.drain == service::DrainPolicy::Handover ? ", handed over to the cluster" : ""));
  }
  (void)co_await leaveCluster();
  co_return kExitOk;
}

}  // namespace

int runServe(int argc, char** argv) {
  std::vector<OptionSpec> options{{"config"}, {"check-config", false}};
  for (const auto& [flag, help] : service::serveConfigFlags())
    options.push_back({flag.c_str()});
  const std::string help = usage();
  auto arguments = Arguments::parse(argc, argv, options);
  if (!arguments) return failUsage(arguments.error().message, help.c_str());
  if (arguments->help()) {
    std::fputs(help.c_str(), stdout);
    return kExitOk;
  }
  if (!arguments->positional().empty()) {
    return failUsage("serve takes no positional arguments", help.c_str());
  }
  service::ConfigSources sources{.file = arguments->value("config")};
  for (const auto& [flag, text] : service::serveConfigFlags()) {
    if (auto value = arguments->value(flag)) sources.flags[flag] = *value;
  }
  auto config = service::loadServeConfig(sources);
  if (!config) return fail(kExitUsage, config.error().message);
  auto secrets = service::loadServeSecrets(*config);
  if (!secrets) return fail(kExitUsage, secrets.error().message);
  if (arguments->has("check-config")) {
    json::ObjectWriter out;
    out.set("janus_url", config->janusUrl)
        .set("admin_key", config->adminKey ? "***" : "")
        .set("local_janus", config->localJanus)
        .set("queue", model::redactText(config->queueUrl))
        .set("consumer", config->consumer)
        .set("concurrency", config->concurrency)
        .set("capacity", config->admission.maxBroadcasts)
        .set("cpu_budget", config->admission.cpuBudgetPercent)
        .set("cost_passthrough", config->admission.costs.passthrough)
        .set("cost_audio_transcode", config->admission.costs.audioTranscode)
        .set("cost_video_transcode", config->admission.costs.videoTranscode)
        .set("drain", config->drain == service::DrainPolicy::Stop    ? "stop"
                      : config->drain == service::DrainPolicy::Leave ? "leave"
                                                                     : "handover")
        .set("listen", config->listen())
        .set("token", secrets->token ? "***" : "")
        .set("tls_certificate", config->tlsCertificate.value_or(""))
        .set("tls_key", config->tlsKey.value_or(""))
        .set("max_body_bytes", static_cast<std::int64_t>(config->maxBodyBytes))
        .set("max_event_streams", static_cast<std::int64_t>(config->maxEventStreams))
        .set("event_heartbeat_ms", static_cast<std::int64_t>(config->eventHeartbeat.count()))
        .set("header_timeout_ms", static_cast<std::int64_t>(config->headerTimeout.count()))
        .set("cluster", model::redactText(config->clusterRedis.value_or("")))
        .set("cluster_name", config->clusterName)
        .set("cluster_key_file", config->clusterKeyFile.value_or(""))
        .set("node_id", config->nodeId)
        .set("lease_ms", static_cast<std::int64_t>(config->lease.count()))
        .set("log_level", config->logLevel.value_or(""));
    json::ObjectWriter kafka;
    for (const auto& [key, value] : config->kafkaSettings)
      kafka.set(key, model::isSecretKey(key) ? "***" : value);
    out.set("kafka", std::move(kafka));
    printJson(out.node());
    return kExitOk;
  }
  if (config->logLevel) gst_debug_set_threshold_from_string(config->logLevel->c_str(), TRUE);

  BlockingContext context;
  StatusBoard board(isatty(STDOUT_FILENO) == 1);
  service::SystemdNotifier systemd(context.get());
  Serve serve{.context = context.get(),
              .board = board,
              .systemd = systemd,
              .config = *config,
              .sources = sources};
  service::ServiceOptions serviceOptions;
  serviceOptions.janus.url = config->janusUrl;
  serviceOptions.broadcast.streamingAdminKey = config->adminKey;
  orchestrator::Observer observer;
  // Every state change and event also goes to the HTTP API's /v1/events clients.
  observer.onEvent = [&](const std::string& broadcast, const std::string& name,
                         const json::Value& details) {
    if (!serve.http) return;
    json::ObjectWriter data;
    data.set("broadcast_id", broadcast).set("event", name).set("details", details);
    serve.http->publish("broadcast_event", json::Value::of(data.node()));
  };
  observer.onMetric = [&](const std::string& name, double value,
                          const std::map<std::string, std::string>&) {
    if (serve.http) serve.http->metrics().onMetric(name, value);
  };
  observer.onState = [&](const std::string& broadcast, model::RunState state) {
    if (serve.cluster) serve.cluster->noteState(broadcast);
    if (serve.http) {
      serve.http->metrics().onState(state);
      json::ObjectWriter data;
      data.set("broadcast_id", broadcast).set("state", model::nameOf(state));
      serve.http->publish("broadcast_state", json::Value::of(data.node()));
    }
    board.say(broadcast + ": " + std::string(model::nameOf(state)));
  };
  observer.onError = [&](const std::string& broadcast, const std::string& phase,
                         const Error& error) {
    board.say(broadcast + ": error in " + phase + ": " + error.message);
  };
  serve.service =
      std::make_unique<service::BroadcastService>(context.get(), serviceOptions, observer);
  serve.http = std::make_unique<service::HttpApi>(
      context.get(), *serve.service,
      service::HttpOptions{.host = config->listenHost,
                           .port = config->listenPort,
                           .token = secrets->token,
                           .certificate = secrets->certificate,
                           .maxBodyBytes = config->maxBodyBytes,
                           .maxEventStreams = config->maxEventStreams,
                           .eventHeartbeat = config->eventHeartbeat,
                           .head = {.headTimeout = config->headerTimeout},
                           .admission = config->admission,
                           .queueOpensLater = true});
  if (auto listening = serve.http->start(); !listening) {
    return fail(kExitFailure, listening.error().message);
  }
  const std::string serving =
      "serving the HTTP API on " + std::string(secrets->certificate ? "https" : "http") + "://" +
      config->listenHost + ":" + std::to_string(serve.http->port()) +
      (secrets->certificate ? " (certificate " + tls::fingerprint(secrets->certificate.get()) + ")"
                            : "") +
      (secrets->token ? " (bearer token required)" : "");
  board.say(serving);
  systemd.ready(serving + "; connecting to Janus");
  auto onSignal = [&] {
    serve.signalled();
    return true;
  };
  Source sigint = Source::unixSignal(context.get(), SIGINT, onSignal);
  Source sigterm = Source::unixSignal(context.get(), SIGTERM, onSignal);
  Source sighup = Source::unixSignal(context.get(), SIGHUP, [&] {
    serve.reload();
    return true;
  });
  Task<int> steps = serve.steps();
  const Result<int> status =
      context.wait<int>([&](Callback<int> done) { steps.start(context.get(), std::move(done)); });
  if (serve.http) serve.http->setWorker(nullptr);
  serve.worker.reset();
  if (serve.http) serve.http->setCluster(nullptr);
  serve.cluster.reset();
  serve.clusterStore.reset();
  serve.http.reset();
  serve.queue.reset();
  if (serve.service->orchestrator() && config->drain == service::DrainPolicy::Leave) {
    serve.service->orchestrator()->abandonAll();
  }
  serve.service.reset();
  serve.localJanus.reset();
  return status ? *status : fail(kExitFailure, status.error().message);
}

}  // namespace su::app
