// The HTTP control API of `streaming-utils serve` (libsoup's server, on the control context):
//   GET    /healthz                 the process, its Janus session, its queue consumer and
//                                   cluster lease: 200, or 503 when one is down (no token)
//   GET    /v1/broadcasts           every broadcast's result
//   POST   /v1/broadcasts           a broadcast request: 201 with the result once it runs, 400
//                                   with every problem as "path: rule", 502 when it failed
//   GET    /v1/broadcasts/{id}      its result with fresh health
//   DELETE /v1/broadcasts/{id}      stop with cleanup: 202 at once; GET shows the result
//   POST   /v1/jobs                 a job envelope onto the configured queue: 202 with its id
//   GET    /readyz, /availability   can this node take one more broadcast: 200, or 503 with why;
//                                   ?work=none|passthrough|audio_transcode|video_transcode
//                                   asks for one doing that (default audio_transcode)
//   GET    /metrics                 Prometheus text format (service/metrics.hpp)
//   GET    /v1/events               server-sent events: every broadcast's state changes and
//                                   events, as they happen (redacted); a comment line every
//                                   heartbeat keeps it open through proxies and finds clients
//                                   that went; at most `maxEventStreams` at once (503 beyond)
//   GET    /v1/cluster              in a cluster: its nodes and its broadcasts' owners
// In a cluster, /v1/broadcasts/{id} of a broadcast another node runs answers from its owner
// record (GET), or sends the stop to that owner and waits for it (DELETE: 200 once stopped).
// Everything but /healthz asks for `Authorization: Bearer TOKEN` (compared in constant time;
// 401 without detail) when a token is set. Connections come through an HttpListener (HTTPS when
// a certificate is set; a request head bounded in time and size: 408, 414, 431). Requests are
// refused from their headers, before any body is read: a missing or wrong token, a body over the
// limit (413) or one without a length (411). Errors are JSON {"error": {"code", "message",
// "problems"}}; results are redacted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_node.hpp"
#include "core/gref.hpp"
#include "queue/queue.hpp"
#include "service/admission.hpp"
#include "service/broadcast_service.hpp"
#include "service/http_listener.hpp"
#include "service/metrics.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;

namespace su::service {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8089;  // 0: any free port (port() tells)
  std::optional<std::string> token;
  GRef<GTlsCertificate> certificate;  // HTTPS with it; none: plain HTTP
  std::size_t maxBodyBytes = 1 << 20;
  std::size_t maxEventStreams = 64;
  Milliseconds eventHeartbeat{15'000};
  HeadLimits head;
  AdmissionPolicy admission;
  // The job queue is set later (setQueue), once Janus is connected: until then POST /v1/jobs
  // says so instead of "no queue".
  bool queueOpensLater = false;
};

class HttpApi {
 public:
  // `queue`, if given, takes POST /v1/jobs.
  HttpApi(GMainContext* context, BroadcastService& service, HttpOptions options,
          queue::JobQueue* queue = nullptr);
  ~HttpApi();

  // Listens; the context must be the thread's default (libsoup attaches its sources there).
  Result<void> start();
  int port() const noexcept { return listener_ ? listener_->port() : 0; }
  void setQueue(queue::JobQueue* queue) noexcept { queue_ = queue; }
  void setWorker(const worker::Worker* worker) noexcept { worker_ = worker; }
  // In a cluster: /v1/cluster, and /v1/broadcasts/{id} for a broadcast another node runs (its
  // record; a DELETE is sent to its owner and waited for).
  void setCluster(cluster::ClusterNode* cluster) noexcept { cluster_ = cluster; }
  // Fed by the orchestrator's observer.
  ServiceMetrics& metrics() noexcept { return metrics_; }
  // What a reload may change while it serves.
  void setAdmission(AdmissionPolicy admission) noexcept { options_.admission = admission; }
  void setToken(std::optional<std::string> token) { options_.token = std::move(token); }
  // The certificate for connections from now on (a rotation); HTTPS stays HTTPS.
  void setCertificate(GRef<GTlsCertificate> certificate);
  std::size_t eventStreams() const noexcept { return subscribers_.size(); }
  // Draining: not ready, takes no new broadcast.
  void setDraining() noexcept { draining_ = true; }
  // Sends `data` (a JSON object) as an event named `name` to every /v1/events client.
  void publish(const std::string& name, const json::Value& data);
  // Why this node cannot take one more broadcast doing `work` now; nothing when it can.
  std::optional<std::string> unavailable(RelayWork work) const;

  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

 private:
  struct Reply;
  static void early(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*,
                    gpointer self);
  static void handle(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*,
                     gpointer self);
  bool authorized(SoupServerMessage* message) const;
  void route(SoupServerMessage* message, const std::string& method, const std::string& path,
             GHashTable* query);
  void startBroadcast(SoupServerMessage* message);
  Task<void> claimingThenStarting(std::shared_ptr<Reply> reply, model::BroadcastRequest request);
  void start(std::shared_ptr<Reply> reply, model::BroadcastRequest request);
  void showBroadcast(SoupServerMessage* message, const std::string& id);
  void stopBroadcast(SoupServerMessage* message, const std::string& id);
  void health(SoupServerMessage* message);
  void readiness(SoupServerMessage* message, GHashTable* query);
  void subscribe(SoupServerMessage* message);
  // Ends an event stream: libsoup writes its last chunk (or fails to) and closes it.
  void endStream(SoupServerMessage* message);
  void sendToStreams(const std::string& text);
  Task<void> scraping(std::shared_ptr<Reply> reply);
  void enqueueJob(SoupServerMessage* message);
  Task<void> enqueuing(std::shared_ptr<Reply> reply, model::JobEnvelope job);
  Task<void> showingCluster(std::shared_ptr<Reply> reply);
  // GET or DELETE of a broadcast that is not here, answered from the cluster.
  Task<void> elsewhere(std::shared_ptr<Reply> reply, std::string method, std::string id);

  GRef<GMainContext> context_;
  BroadcastService& service_;
  HttpOptions options_;
  queue::JobQueue* queue_ = nullptr;
  const worker::Worker* worker_ = nullptr;
  cluster::ClusterNode* cluster_ = nullptr;
  ServiceMetrics metrics_;
  struct EventStream {
    GRef<SoupServerMessage> message;
    Source clientGone;  // the socket readable or hung up: its client closed it
  };
  std::vector<EventStream> subscribers_;  // /v1/events streams, open
  Source heartbeat_;
  bool draining_ = false;
  TaskGroup tasks_;
  SoupServer* server_ = nullptr;
  std::unique_ptr<HttpListener> listener_;
  // Replies still owed to paused messages; answered (or dropped) with the API.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su::service
