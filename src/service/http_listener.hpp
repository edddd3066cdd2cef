// The HTTP API's front door: accepts its connections ahead of libsoup, so that each one is bounded
// from its first byte. A connection is wrapped in TLS when a certificate is set, its request head
// must arrive within a time and a size (the TLS handshake included), and only then is it handed
// to the SoupServer, with the bytes read so far in front of the rest. libsoup 3.2 alone waits for
// a head forever and resets a connection whose head passes 64 KiB without a word; here such
// requests are answered like every other refusal:
//   408  the head did not arrive within `headTimeout`
//   414  the request line is longer than `maxRequestLine`
//   431  the head is longer than `maxHead`
// The certificate can be replaced while serving (a reload): connections accepted from then on
// use the new one.
#pragma once

#include <map>
#include <string>

#include "core/task.hpp"
#include "core/tls.hpp"

typedef struct _SoupServer SoupServer;

namespace su::service {

enum class ListenError { Listen = 1, HeadTimeout };
GQuark errorDomainOf(ListenError);

struct HeadLimits {
  std::size_t maxRequestLine = 8 * 1024;
  std::size_t maxHead = 48 * 1024;  // under libsoup's own 64 KiB
  Milliseconds headTimeout{10'000};
};

class HttpListener {
 public:
  // Hands what it admits to `server`, which must outlive it.
  HttpListener(GMainContext* context, SoupServer* server, HeadLimits limits = {});
  ~HttpListener();

  // Binds and listens on host:port (0: any free port); the context must be the thread's
  // default when it is called, as GIO attaches the accepting source there.
  Result<void> listen(const std::string& host, int port);
  int port() const noexcept { return port_; }
  // HTTPS with `certificate` for the connections accepted from now on; null: plain HTTP.
  void setCertificate(GRef<GTlsCertificate> certificate) { certificate_ = std::move(certificate); }
  bool tls() const noexcept { return static_cast<bool>(certificate_); }
  // The socket under a connection handed to the server, by the remote address the server
  // reports for its message (soup_server_message_get_remote_address); null if it is gone.
  GSocket* socketOf(GSocketAddress* remote) const;
  std::size_t admitting() const noexcept { return admissions_.size(); }

  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

 private:
  struct HandedOver {
    GObject* stream;  // what the server holds (weakly referenced here)
    GRef<GSocket> socket;
    GRef<GSocketAddress> remote;  // held, so that its address is not another's key meanwhile
  };
  static gboolean incoming(GSocketService*, GSocketConnection* connection, GObject*, gpointer self);
  static void forget(gpointer self, GObject* stream);
  Task<void> admit(GRef<GSocketConnection> connection);
  // 0 once the head is in (in `head`), or the status that refuses it.
  Task<int> readHead(GIOStream* stream, std::string& head);
  // Answers `status` itself, then lingers a while so that the client reads it.
  Task<void> refuse(GRef<GIOStream> stream, GRef<GSocketConnection> connection, int status,
                    std::string message);
  void handOver(GSocketConnection* connection, GIOStream* stream, std::string head);

  GRef<GMainContext> context_;
  SoupServer* server_;
  HeadLimits limits_;
  GRef<GSocketService> service_;
  GRef<GTlsCertificate> certificate_;
  int port_ = 0;
  std::map<GSocketAddress*, HandedOver> handedOver_;
  TaskGroup admissions_;  // last: its tasks go first
};

}  // namespace su::service
