#include "service/http_api.hpp"

#include <libsoup/soup.h>

#include "cluster/cluster_status.hpp"
#include "core/log.hpp"
#include "core/secret.hpp"
#include "json/writer.hpp"
#include "model/decode.hpp"
#include "model/redaction.hpp"

SU_GREF_GOBJECT(SoupServerMessage);

#define GST_CAT_DEFAULT su::log::core

namespace su::service {

namespace {

constexpr const char* kBroadcasts = "/v1/broadcasts";

void respond(SoupServerMessage* message, int status, const GRef<JsonNode>& body) {
  const std::string text = json::Value::of(body).toString();
  soup_server_message_set_status(message, status, nullptr);
  soup_server_message_set_response(message, "application/json", SOUP_MEMORY_COPY, text.data(),
                                   text.size());
}

void respondError(SoupServerMessage* message, int status, const std::string& code,
                  const std::string& text, const std::vector<FieldError>& fields = {}) {
  std::vector<std::string> problems;
  for (const FieldError& field : fields)
    problems.push_back(model::redactText(field.toString()));
  json::ObjectWriter error;
  error.set("code", code).set("message", model::redactText(text));
  if (!problems.empty()) error.set("problems", problems);
  json::ObjectWriter body;
  body.set("error", std::move(error));
  respond(message, status, body.node());
}

GRef<JsonNode> resultJson(const model::BroadcastResult& result) {
  auto payload = result.toPayload();
  return model::redacted(payload.get());
}

}  // namespace

// A reply owed to a paused message: the message is kept until it is answered, and nothing is
// answered once the API is gone.
struct HttpApi::Reply {
  GRef<SoupServerMessage> message;
  std::shared_ptr<bool> alive;

  Reply(SoupServerMessage* paused, std::shared_ptr<bool> apiAlive)
      : message(GRef<SoupServerMessage>::ref(paused)), alive(std::move(apiAlive)) {
    soup_server_message_pause(paused);
  }
  template <typename Answer>
  void send(Answer&& answer) const {
    if (!*alive) return;
    answer(message.get());
    soup_server_message_unpause(message.get());
  }
};

HttpApi::HttpApi(GMainContext* context, BroadcastService& service, HttpOptions options,
                 queue::JobQueue* queue)
    : context_(GRef<GMainContext>::ref(context)),
      service_(service),
      options_(std::move(options)),
      queue_(queue),
      tasks_(context) {}

HttpApi::~HttpApi() {
  *alive_ = false;
  listener_.reset();  // accepts nothing more
  // The event streams end; their "finished" no longer reaches this object.
  for (const EventStream& stream : std::exchange(subscribers_, {})) {
    g_signal_handlers_disconnect_by_data(stream.message.get(), this);
    soup_message_body_complete(soup_server_message_get_response_body(stream.message.get()));
    soup_server_message_unpause(stream.message.get());
  }
  if (server_) {
    soup_server_disconnect(server_);
    g_object_unref(server_);
  }
}

Result<void> HttpApi::start() {
  server_ = soup_server_new("server-header", "streaming-utils", nullptr);
  soup_server_add_early_handler(server_, nullptr, &HttpApi::early, this, nullptr);
  soup_server_add_handler(server_, nullptr, &HttpApi::handle, this, nullptr);
  listener_ = std::make_unique<HttpListener>(context_.get(), server_, options_.head);
  listener_->setCertificate(options_.certificate);
  if (auto listening = listener_->listen(options_.host, options_.port); !listening) {
    return listening.error();
  }
  // A comment line: EventSource clients skip it, proxies see traffic, and a write to a client
  // that went fails (libsoup then closes its connection).
  heartbeat_ = Source::timeout(context_.get(), options_.eventHeartbeat, [this] {
    sendToStreams(":\n\n");
    return true;
  });
  GST_INFO("HTTP API on %s://%s:%d%s", options_.certificate ? "https" : "http",
           options_.host.c_str(), port(), options_.token ? "" : " (no token: loopback only)");
  return {};
}

void HttpApi::setCertificate(GRef<GTlsCertificate> certificate) {
  if (listener_ && listener_->tls() && certificate)
    listener_->setCertificate(std::move(certificate));
}

bool HttpApi::authorized(SoupServerMessage* message) const {
  if (!options_.token) return true;
  const char* header = soup_message_headers_get_one(
      soup_server_message_get_request_headers(message), "Authorization");
  const std::string_view prefix = "Bearer ";
  if (!header || !std::string_view(header).starts_with(prefix)) return false;
  return sameSecret(std::string_view(header).substr(prefix.size()), *options_.token);
}

void HttpApi::early(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*,
                    gpointer data) {
  // From the headers alone, before a byte of the body is read.
  auto* self = static_cast<HttpApi*>(data);
  // One request per connection: libsoup 3.2 (Debian 12) never closes an idle kept-alive
  // connection that its client closed, so every curl left a socket in CLOSE_WAIT for the life of
  // the process (fixed in libsoup 3.3; docs/protocol-quirks.md).
  soup_message_headers_replace(soup_server_message_get_response_headers(message), "Connection",
                               "close");
  if (std::string_view(path) == "/healthz") return;
  if (!self->authorized(message)) {
    soup_message_headers_replace(soup_server_message_get_response_headers(message),
                                 "WWW-Authenticate", "Bearer");
    respondError(message, SOUP_STATUS_UNAUTHORIZED, "unauthorized", "unauthorized");
    return;
  }
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
  const SoupEncoding encoding = soup_message_headers_get_encoding(headers);
  if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF) {
    respondError(message, SOUP_STATUS_LENGTH_REQUIRED, "length_required",
                 "a request body needs a Content-Length");
  } else if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
             soup_message_headers_get_content_length(headers) >
                 static_cast<goffset>(self->options_.maxBodyBytes)) {
    respondError(message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                 "the body is over " + std::to_string(self->options_.maxBodyBytes) + " bytes");
  }
}

void HttpApi::handle(SoupServer*, SoupServerMessage* message, const char* path, GHashTable* query,
                     gpointer data) {
  static_cast<HttpApi*>(data)->route(message, soup_server_message_get_method(message), path, query);
}

void HttpApi::route(SoupServerMessage* message, const std::string& method, const std::string& path,
                    GHashTable* query) {
  auto allow = [&](std::initializer_list<const char*> methods) {
    for (const char* allowed : methods) {
      if (method == allowed) return true;
    }
    respondError(message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                 method + " is not allowed on " + path);
    return false;
  };
  if (path == "/healthz") {
    if (allow({"GET"})) health(message);
  } else if (path == "/readyz" || path == "/availability") {
    if (allow({"GET"})) readiness(message, query);
  } else if (path == "/metrics") {
    if (allow({"GET"})) tasks_.spawn(scraping(std::make_shared<Reply>(message, alive_)));
  } else if (path == "/v1/events") {
    if (allow({"GET"})) subscribe(message);
  } else if (path == "/v1/jobs") {
    if (allow({"POST"})) enqueueJob(message);
  } else if (path == "/v1/cluster") {
    if (!allow({"GET"})) return;
    if (!cluster_) {
      respondError(message, SOUP_STATUS_NOT_FOUND, "not_found", "this node is not in a cluster");
      return;
    }
    tasks_.spawn(showingCluster(std::make_shared<Reply>(message, alive_)));
  } else if (path == kBroadcasts) {
    if (!allow({"GET", "POST"})) return;
    if (method == "POST") {
      startBroadcast(message);
      return;
    }
    std::vector<GRef<JsonNode>> results;
    if (service_.orchestrator()) {
      for (const model::BroadcastResult& result : service_.orchestrator()->list())
        results.push_back(resultJson(result));
    }
    json::ObjectWriter body;
    body.set("broadcasts", json::arrayOf(results));
    respond(message, SOUP_STATUS_OK, body.node());
  } else if (path.starts_with(std::string(kBroadcasts) + "/") &&
             path.size() > std::string_view(kBroadcasts).size() + 1) {
    const std::string id = path.substr(std::string_view(kBroadcasts).size() + 1);
    if (!allow({"GET", "DELETE"})) return;
    if (!service_.orchestrator() || !service_.orchestrator()->result(id)) {
      if (cluster_) {
        tasks_.spawn(elsewhere(std::make_shared<Reply>(message, alive_), method, id));
        return;
      }
      respondError(message, SOUP_STATUS_NOT_FOUND, "not_found", "no broadcast " + id);
    } else if (method == "GET") {
      showBroadcast(message, id);
    } else {
      stopBroadcast(message, id);
    }
  } else {
    respondError(message, SOUP_STATUS_NOT_FOUND, "not_found", "no such resource: " + path);
  }
}

void HttpApi::health(SoupServerMessage* message) {
  const bool janusUp =
      service_.janus() && service_.janus()->connected() && service_.janus()->session().ready();
  // Only the states: this answer needs no token, and errors name hosts.
  const std::optional<bool> queueUp =
      worker_ ? std::optional<bool>(!worker_->stats().queueError) : std::nullopt;
  const std::optional<bool> clusterLeased =
      cluster_ ? std::optional<bool>(cluster_->leased()) : std::nullopt;
  const bool whole = janusUp && queueUp.value_or(true) && clusterLeased.value_or(true);
  json::ObjectWriter body;
  body.set("status", whole ? "ok" : "degraded").set("janus", janusUp ? "up" : "down");
  if (queueUp) body.set("queue", *queueUp ? "up" : "down");
  if (clusterLeased) body.set("cluster", *clusterLeased ? "leased" : "no lease");
  respond(message, whole ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE, body.node());
}

std::optional<std::string> HttpApi::unavailable(RelayWork work) const {
  if (draining_) return "draining";
  if (!service_.orchestrator() || !service_.janus()->connected() ||
      !service_.janus()->session().ready()) {
    return "Janus is not connected";
  }
  if (cluster_ && !cluster_->leased()) return "no cluster lease (joining, or fenced)";
  if (auto why = descriptorRefusal(descriptorsNow())) return why;
  return refusal(options_.admission,
                 loadOf(service_.orchestrator()->list(), options_.admission.costs), work);
}

void HttpApi::readiness(SoupServerMessage* message, GHashTable* query) {
  RelayWork work = RelayWork::AudioTranscode;
  if (const char* asked =
          query ? static_cast<const char*>(g_hash_table_lookup(query, "work")) : nullptr) {
    auto named = model::enumFromName<RelayWork>(asked);
    if (!named) {
      respondError(message, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                   "work: must be one of " + model::enumNameList<RelayWork>());
      return;
    }
    work = *named;
  }
  const auto why = unavailable(work);
  json::ObjectWriter body;
  body.set("ready", !why).set("work", model::nameOf(work)).set("reason", why);
  respond(message, why ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_OK, body.node());
}

void HttpApi::subscribe(SoupServerMessage* message) {
  if (subscribers_.size() >= options_.maxEventStreams) {
    respondError(message, SOUP_STATUS_SERVICE_UNAVAILABLE, "too_many_streams",
                 "already " + std::to_string(subscribers_.size()) +
                     " event streams open, the most this node serves ([http] max_event_streams)");
    return;
  }
  soup_server_message_set_status(message, SOUP_STATUS_OK, nullptr);
  SoupMessageHeaders* headers = soup_server_message_get_response_headers(message);
  soup_message_headers_set_content_type(headers, "text/event-stream", nullptr);
  soup_message_headers_replace(headers, "Cache-Control", "no-cache");
  soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
  SoupMessageBody* body = soup_server_message_get_response_body(message);
  soup_message_body_set_accumulate(body, FALSE);
  // A comment first, so that the client sees the stream open at once.
  soup_message_body_append(body, SOUP_MEMORY_STATIC, ": streaming-utils events\n\n", 26);
  // Forgotten when the client goes.
  g_signal_connect(
      message, "finished", G_CALLBACK(+[](SoupServerMessage* gone, gpointer data) {
        auto& list = static_cast<HttpApi*>(data)->subscribers_;
        std::erase_if(list, [gone](const EventStream& kept) { return kept.message.get() == gone; });
      }),
      this);
  EventStream stream{.message = GRef<SoupServerMessage>::ref(message), .clientGone = {}};
  // libsoup reads nothing more from a connection while it writes the response: without this, a
  // client that closed its stream is noticed only when a write fails, two writes later.
  if (GSocket* socket = listener_->socketOf(soup_server_message_get_remote_address(message))) {
    auto watch = GRef<GSource>::adopt(
        g_socket_create_source(socket, GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr));
    struct Gone {
      HttpApi* api;
      SoupServerMessage* message;
    };
    g_source_set_callback(watch.get(), G_SOURCE_FUNC(+[](GSocket*, GIOCondition, gpointer data) {
                            auto* gone = static_cast<Gone*>(data);
                            gone->api->endStream(gone->message);
                            return G_SOURCE_REMOVE;
                          }),
                          new Gone{this, message},
                          [](gpointer data) { delete static_cast<Gone*>(data); });
    stream.clientGone = Source::attach(std::move(watch), context_.get());
  }
  subscribers_.push_back(std::move(stream));
}

void HttpApi::endStream(SoupServerMessage* message) {
  soup_message_body_complete(soup_server_message_get_response_body(message));
  soup_server_message_unpause(message);
}

void HttpApi::sendToStreams(const std::string& text) {
  std::vector<GRef<SoupServerMessage>> open;  // a client that goes meanwhile leaves the list
  for (const EventStream& stream : subscribers_)
    open.push_back(stream.message);
  for (const auto& message : open) {
    soup_message_body_append(soup_server_message_get_response_body(message.get()), SOUP_MEMORY_COPY,
                             text.data(), text.size());
    soup_server_message_unpause(message.get());
  }
}

Task<void> HttpApi::scraping(std::shared_ptr<Reply> reply) {
  MetricsSnapshot snapshot{.admission = options_.admission};
  if (service_.orchestrator()) {
    auto health = co_await call<orchestrator::AggregateHealth>(
        [this](Callback<orchestrator::AggregateHealth> done) {
          service_.healthReport([done](orchestrator::AggregateHealth report) { done(report); });
        });
    if (health) snapshot.health = std::move(*health);
    snapshot.broadcasts = service_.orchestrator()->list();
  }
  if (queue_) {
    if (auto stats = co_await queue_->stats()) snapshot.queue = std::move(*stats);
  }
  if (worker_) snapshot.worker = worker_->stats();
  const std::string text = metrics_.render(snapshot);
  reply->send([&](SoupServerMessage* answered) {
    soup_server_message_set_status(answered, SOUP_STATUS_OK, nullptr);
    soup_server_message_set_response(answered, "text/plain; version=0.0.4; charset=utf-8",
                                     SOUP_MEMORY_COPY, text.data(), text.size());
  });
  co_return {};
}

void HttpApi::publish(const std::string& name, const json::Value& data) {
  if (subscribers_.empty()) return;
  const std::string text = "event: " + name +
                           "\ndata: " + json::Value::of(model::redacted(data.node())).toString() +
                           "\n\n";
  sendToStreams(text);
}

void HttpApi::enqueueJob(SoupServerMessage* message) {
  if (!queue_ && options_.queueOpensLater) {
    respondError(message, SOUP_STATUS_SERVICE_UNAVAILABLE, "queue_not_open",
                 "the job queue opens once Janus is connected: try again once /readyz answers 200");
    return;
  }
  if (!queue_) {
    respondError(message, SOUP_STATUS_SERVICE_UNAVAILABLE, "no_queue", "no queue is configured");
    return;
  }
  SoupMessageBody* body = soup_server_message_get_request_body(message);
  auto job = model::JobEnvelope::fromPayload(
      std::string_view(body->data ? body->data : "", static_cast<std::size_t>(body->length)));
  if (!job) {
    respondError(message, SOUP_STATUS_BAD_REQUEST, "invalid_request", job.error().message,
                 job.error().fields);
    return;
  }
  tasks_.spawn(enqueuing(std::make_shared<Reply>(message, alive_), std::move(*job)));
}

Task<void> HttpApi::enqueuing(std::shared_ptr<Reply> reply, model::JobEnvelope job) {
  auto id = co_await queue_->enqueue(std::move(job));
  reply->send([&](SoupServerMessage* answered) {
    if (!id) {
      respondError(answered, SOUP_STATUS_SERVICE_UNAVAILABLE, "queue_unavailable",
                   id.error().message);
      return;
    }
    json::ObjectWriter body;
    body.set("message_id", *id).set("queue", queue_->name());
    respond(answered, SOUP_STATUS_ACCEPTED, body.node());
  });
  co_return {};
}

Task<void> HttpApi::showingCluster(std::shared_ptr<Reply> reply) {
  auto status = co_await cluster::clusterStatus(cluster_->store());
  reply->send([&](SoupServerMessage* answered) {
    if (!status) {
      respondError(answered, SOUP_STATUS_SERVICE_UNAVAILABLE, "cluster_unavailable",
                   status.error().message);
      return;
    }
    json::ObjectWriter body;
    body.set("node", cluster_->node().id).set("leased", cluster_->leased()).mergeMissing(*status);
    respond(answered, SOUP_STATUS_OK, body.node());
  });
  co_return {};
}

Task<void> HttpApi::elsewhere(std::shared_ptr<Reply> reply, std::string method, std::string id) {
  if (method == "DELETE") {
    auto routed = co_await cluster_->routeStop(id);
    reply->send([&](SoupServerMessage* answered) {
      if (!routed) {
        respondError(answered, SOUP_STATUS_GATEWAY_TIMEOUT, "owner_unavailable",
                     routed.error().message);
      } else if (!*routed) {
        respondError(answered, SOUP_STATUS_NOT_FOUND, "not_found", "no broadcast " + id);
      } else {
        json::ObjectWriter body;
        body.set("broadcast_id", id).set("state", "stopped");
        respond(answered, SOUP_STATUS_OK, body.node());
      }
    });
    co_return {};
  }
  auto record = co_await cluster_->store().record(id);
  auto alive = record && *record
                   ? co_await cluster_->store().alive((*record)->node, (*record)->generation)
                   : Result<bool>(false);
  reply->send([&](SoupServerMessage* answered) {
    if (!record) {
      respondError(answered, SOUP_STATUS_SERVICE_UNAVAILABLE, "cluster_unavailable",
                   record.error().message);
    } else if (!*record) {
      respondError(answered, SOUP_STATUS_NOT_FOUND, "not_found", "no broadcast " + id);
    } else {
      const json::Value view = cluster::recordView(**record, alive && *alive);
      respond(answered, SOUP_STATUS_OK, GRef<JsonNode>::ref(view.node()));
    }
  });
  co_return {};
}

void HttpApi::startBroadcast(SoupServerMessage* message) {
  SoupMessageBody* body = soup_server_message_get_request_body(message);
  auto request = model::decodeText<model::BroadcastRequest>(
      std::string_view(body->data ? body->data : "", static_cast<std::size_t>(body->length)),
      "broadcast request");
  if (!request) {
    respondError(message, SOUP_STATUS_BAD_REQUEST, "invalid_request", request.error().message,
                 request.error().fields);
    return;
  }
  if (auto why = unavailable(relayWorkOf(*request))) {
    respondError(message, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable", *why);
    return;
  }
  auto reply = std::make_shared<Reply>(message, alive_);
  if (cluster_) {
    tasks_.spawn(claimingThenStarting(std::move(reply), std::move(*request)));
    return;
  }
  start(std::move(reply), std::move(*request));
}

// In a cluster a start runs where its broadcast is claimed, as a start from the queue does: a
// broadcast another node runs is not started twice, and one started before this node holds a
// lease would have no record (the first record written would find none and abandon it).
Task<void> HttpApi::claimingThenStarting(std::shared_ptr<Reply> reply,
                                         model::BroadcastRequest request) {
  auto claim = co_await cluster_->claim(request);
  if (claim && claim->outcome == cluster::Claim::Outcome::Claimed) {
    start(std::move(reply), std::move(request));
    co_return {};
  }
  reply->send([&](SoupServerMessage* answered) {
    if (!claim) {
      respondError(answered, SOUP_STATUS_SERVICE_UNAVAILABLE, "cluster_unavailable",
                   claim.error().message);
    } else if (claim->outcome == cluster::Claim::Outcome::OwnedElsewhere) {
      respondError(
          answered, SOUP_STATUS_CONFLICT, "owned_elsewhere",
          "broadcast " + request.broadcastId.value_or("") + " runs on node " + claim->owner);
    } else {
      respondError(answered, SOUP_STATUS_SERVICE_UNAVAILABLE, "no_lease",
                   "this node holds no cluster lease now (joining, or fenced): try again once "
                   "/readyz answers 200");
    }
  });
  co_return {};
}

void HttpApi::start(std::shared_ptr<Reply> reply, model::BroadcastRequest request) {
  const std::optional<std::string> id = request.broadcastId;
  service_.start(std::move(request), [this, reply, id](Result<model::BroadcastResult> result) {
    reply->send([&](SoupServerMessage* answered) {
      if (!result) {
        // Refused before it ran: the record claimed for it goes.
        if (cluster_ && id) cluster_->noteState(*id);
        const bool notConnected = result.error().is(ServiceError::NotConnected);
        respondError(answered,
                     notConnected ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_BAD_REQUEST,
                     notConnected ? "janus_unavailable" : "invalid_request", result.error().message,
                     result.error().fields);
        return;
      }
      const bool running = result->state == model::RunState::Running;
      respond(answered, running ? SOUP_STATUS_CREATED : SOUP_STATUS_BAD_GATEWAY,
              resultJson(*result));
    });
  });
}

void HttpApi::showBroadcast(SoupServerMessage* message, const std::string& id) {
  // The result with health checked now (a health check refreshes each result's).
  auto reply = std::make_shared<Reply>(message, alive_);
  service_.healthReport([this, reply, id](orchestrator::AggregateHealth) {
    reply->send([&](SoupServerMessage* answered) {
      auto result = service_.orchestrator() ? service_.orchestrator()->result(id) : std::nullopt;
      if (!result) {
        respondError(answered, SOUP_STATUS_NOT_FOUND, "not_found", "no broadcast " + id);
        return;
      }
      respond(answered, SOUP_STATUS_OK, resultJson(*result));
    });
  });
}

void HttpApi::stopBroadcast(SoupServerMessage* message, const std::string& id) {
  service_.stop(id, [id](const Result<model::BroadcastResult>& stopped) {
    if (!stopped) {
      GST_WARNING("stopping %s: %s", id.c_str(),
                  model::redactText(stopped.error().message).c_str());
    }
  });
  json::ObjectWriter body;
  body.set("broadcast_id", id).set("state", "stopping");
  respond(message, SOUP_STATUS_ACCEPTED, body.node());
}

}  // namespace su::service
