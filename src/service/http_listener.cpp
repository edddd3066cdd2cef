#include "service/http_listener.hpp"

#include <libsoup/soup.h>

#include <algorithm>
#include <cstring>

#include "core/log.hpp"
#include "core/streams.hpp"
#include "json/writer.hpp"

#define GST_CAT_DEFAULT su::log::core

namespace {

// An input stream that gives back the bytes read ahead (the request head), then the
// connection's; closing it closes the whole connection (libsoup closes the streams it was handed,
// and a GSocketConnection's own input stream does not close its socket). Pollable, as libsoup
// needs: it never blocks the context.
struct SuReplayInputStream {
  GInputStream parent;
  GIOStream* connection;
  GBytes* ahead;
  gsize offset;
};
struct SuReplayInputStreamClass {
  GInputStreamClass parent_class;
};

void su_replay_input_stream_pollable_init(GPollableInputStreamInterface* iface);

G_DEFINE_TYPE_WITH_CODE(SuReplayInputStream, su_replay_input_stream, G_TYPE_INPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
                                              su_replay_input_stream_pollable_init))

SuReplayInputStream* replayOf(gpointer stream) {
  return reinterpret_cast<SuReplayInputStream*>(stream);
}

GInputStream* baseOf(gpointer stream) {
  return g_io_stream_get_input_stream(replayOf(stream)->connection);
}

gsize aheadLeft(gpointer stream) {
  SuReplayInputStream* self = replayOf(stream);
  return g_bytes_get_size(self->ahead) - self->offset;
}

gssize takeAhead(gpointer stream, void* buffer, gsize count) {
  SuReplayInputStream* self = replayOf(stream);
  const gsize n = std::min(count, aheadLeft(stream));
  std::memcpy(buffer,
              static_cast<const char*>(g_bytes_get_data(self->ahead, nullptr)) + self->offset, n);
  self->offset += n;
  return static_cast<gssize>(n);
}

gssize replayRead(GInputStream* stream, void* buffer, gsize count, GCancellable* cancellable,
                  GError** error) {
  if (aheadLeft(stream) > 0) return takeAhead(stream, buffer, count);
  return g_input_stream_read(baseOf(stream), buffer, count, cancellable, error);
}

gboolean replayClose(GInputStream* stream, GCancellable* cancellable, GError** error) {
  return g_io_stream_close(replayOf(stream)->connection, cancellable, error);
}

void replayFinalize(GObject* object) {
  SuReplayInputStream* self = replayOf(object);
  g_clear_object(&self->connection);
  g_clear_pointer(&self->ahead, g_bytes_unref);
  G_OBJECT_CLASS(su_replay_input_stream_parent_class)->finalize(object);
}

void su_replay_input_stream_class_init(SuReplayInputStreamClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = replayFinalize;
  klass->parent_class.read_fn = replayRead;
  klass->parent_class.close_fn = replayClose;
}

void su_replay_input_stream_init(SuReplayInputStream*) {}

gboolean replayCanPoll(GPollableInputStream* stream) {
  return g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(baseOf(stream)));
}

gboolean replayIsReadable(GPollableInputStream* stream) {
  return aheadLeft(stream) > 0 ||
         g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(baseOf(stream)));
}

GSource* replayCreateSource(GPollableInputStream* stream, GCancellable* cancellable) {
  if (aheadLeft(stream) > 0) {
    GSource* ready = g_pollable_source_new_full(stream, nullptr, cancellable);
    g_source_set_ready_time(ready, 0);
    return ready;
  }
  GSource* base =
      g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(baseOf(stream)), cancellable);
  GSource* source = g_pollable_source_new_full(stream, base, cancellable);
  g_source_unref(base);
  return source;
}

gssize replayReadNonblocking(GPollableInputStream* stream, void* buffer, gsize count,
                             GError** error) {
  if (aheadLeft(stream) > 0) return takeAhead(stream, buffer, count);
  return g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(baseOf(stream)), buffer,
                                                  count, nullptr, error);
}

void su_replay_input_stream_pollable_init(GPollableInputStreamInterface* iface) {
  iface->can_poll = replayCanPoll;
  iface->is_readable = replayIsReadable;
  iface->create_source = replayCreateSource;
  iface->read_nonblocking = replayReadNonblocking;
}

su::GRef<GInputStream> replayInputStream(GIOStream* connection, std::string ahead) {
  auto* stream =
      static_cast<SuReplayInputStream*>(g_object_new(su_replay_input_stream_get_type(), nullptr));
  stream->connection = G_IO_STREAM(g_object_ref(connection));
  stream->ahead = g_bytes_new(ahead.data(), ahead.size());
  return su::GRef<GInputStream>::adopt(G_INPUT_STREAM(stream));
}

}  // namespace

namespace su::service {

namespace {

constexpr gsize kReadChunk = 4096;
// A refused client gets this long to read its answer before the connection closes.
constexpr Milliseconds kLinger{2000};

// Where the head ends (after its empty line), if it has.
std::optional<std::size_t> headEnd(const std::string& head) {
  const std::size_t crlf = head.find("\r\n\r\n");
  const std::size_t lf = head.find("\n\n");
  if (crlf == std::string::npos && lf == std::string::npos) return std::nullopt;
  return std::min(crlf == std::string::npos ? crlf : crlf + 4,
                  lf == std::string::npos ? lf : lf + 2);
}

const char* reasonOf(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Bad Request";
  }
}

}  // namespace

GQuark errorDomainOf(ListenError) {
  return g_quark_from_static_string("su-listen-error");
}

HttpListener::HttpListener(GMainContext* context, SoupServer* server, HeadLimits limits)
    : context_(GRef<GMainContext>::ref(context)),
      server_(server),
      limits_(limits),
      admissions_(context) {}

HttpListener::~HttpListener() {
  if (service_) {
    g_signal_handlers_disconnect_by_data(service_.get(), this);
    g_socket_service_stop(service_.get());
    g_socket_listener_close(G_SOCKET_LISTENER(service_.get()));
  }
  for (const auto& [remote, handed] : handedOver_)
    g_object_weak_unref(handed.stream, &HttpListener::forget, this);
}

Result<void> HttpListener::listen(const std::string& host, int port) {
  auto fail = [&](const std::string& why) {
    return makeError(ListenError::Listen,
                     "cannot listen on " + host + ":" + std::to_string(port) + ": " + why);
  };
  auto address = GRef<GInetAddress>::adopt(g_inet_address_new_from_string(host.c_str()));
  if (!address) return fail("not an address");
  auto socketAddress = GRef<GSocketAddress>::adopt(
      g_inet_socket_address_new(address.get(), static_cast<guint16>(port)));
  service_ = GRef<GSocketService>::adopt(g_socket_service_new());
  // GSocketListener's backlog is 10: 32 clients starting broadcasts at once (serve-bench, a
  // scheduler placing work) overflowed it and some connections were reset.
  g_socket_listener_set_backlog(G_SOCKET_LISTENER(service_.get()), 1024);
  GUnique<GError> error;
  GSocketAddress* bound = nullptr;
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(service_.get()), socketAddress.get(),
                                     G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr, &bound,
                                     error.outPtr())) {
    return fail(error->message);
  }
  port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_signal_connect(service_.get(), "incoming", G_CALLBACK(&HttpListener::incoming), this);
  g_socket_service_start(service_.get());
  return {};
}

gboolean HttpListener::incoming(GSocketService*, GSocketConnection* connection, GObject*,
                                gpointer data) {
  auto* self = static_cast<HttpListener*>(data);
  self->admissions_.spawn(self->admit(GRef<GSocketConnection>::ref(connection)));
  return TRUE;
}

Task<void> HttpListener::admit(GRef<GSocketConnection> connection) {
  auto stream = GRef<GIOStream>::ref(G_IO_STREAM(connection.get()));
  if (certificate_) {
    GUnique<GError> error;
    stream = GRef<GIOStream>::adopt(
        g_tls_server_connection_new(stream.get(), certificate_.get(), error.outPtr()));
    if (!stream) {
      GST_WARNING("HTTP API: no TLS for a connection: %s", error->message);
      co_return {};
    }
  }
  std::string head;
  auto read = co_await anyOf(
      readHead(stream.get(), head),
      failAfter<int>(limits_.headTimeout, makeError(ListenError::HeadTimeout, "head timeout")));
  if (read && *read == 0) {
    handOver(connection.get(), stream.get(), std::move(head));
    co_return {};
  }
  const int status = read ? *read : read.error().is(ListenError::HeadTimeout) ? 408 : 0;
  if (status == 0) {
    // A client that went, or a failed TLS handshake: there is no one to answer.
    GST_DEBUG("HTTP API: connection dropped before its request: %s", read.error().message.c_str());
    co_return {};
  }
  const std::string why =
      status == 408 ? "the request did not arrive within " +
                          std::to_string(limits_.headTimeout.count()) + " ms"
      : status == 414
          ? "the request line is over " + std::to_string(limits_.maxRequestLine) + " bytes"
          : "the request head is over " + std::to_string(limits_.maxHead) + " bytes";
  co_return co_await refuse(stream, connection, status, why);
}

Task<int> HttpListener::readHead(GIOStream* stream, std::string& head) {
  auto input = GRef<GInputStream>::ref(g_io_stream_get_input_stream(stream));
  auto buffer = makeReadBuffer(kReadChunk);
  for (;;) {
    auto got = co_await readSome(input, buffer);
    if (!got) co_return got.error();
    if (*got == 0) co_return makeError(ListenError::Listen, "closed by the client");
    head.append(buffer->data(), static_cast<std::size_t>(*got));
    const std::size_t line = head.find('\n');
    if ((line == std::string::npos ? head.size() : line) > limits_.maxRequestLine) co_return 414;
    const auto end = headEnd(head);
    if (end && *end <= limits_.maxHead) co_return 0;
    if (end || head.size() > limits_.maxHead) co_return 431;
  }
}

Task<void> HttpListener::refuse(GRef<GIOStream> stream, GRef<GSocketConnection> connection,
                                int status, std::string message) {
  json::ObjectWriter error;
  error.set("code", status == 408 ? "timeout" : "too_large").set("message", message);
  json::ObjectWriter body;
  body.set("error", std::move(error));
  const std::string json = json::Value::of(body.node()).toString();
  auto text = std::make_shared<const std::string>(
      "HTTP/1.1 " + std::to_string(status) + " " + reasonOf(status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
      "\r\nConnection: close\r\nServer: streaming-utils\r\n\r\n" + json);
  auto written = co_await anyOf(
      writeAll(GRef<GOutputStream>::ref(g_io_stream_get_output_stream(stream.get())), text),
      failAfter<void>(kLinger, makeError(ListenError::Listen, "the client does not read")));
  if (!written) co_return {};
  GST_INFO("HTTP API: refused a request: %d %s", status, message.c_str());
  // What the client still sends is read and dropped for a while: a socket closed with unread
  // bytes resets the connection, and the client would lose the answer.
  g_socket_shutdown(g_socket_connection_get_socket(connection.get()), FALSE, TRUE, nullptr);
  (void)co_await anyOf(
      drain(GRef<GInputStream>::ref(g_io_stream_get_input_stream(G_IO_STREAM(connection.get())))),
      delay(kLinger));
  co_return {};
}

void HttpListener::handOver(GSocketConnection* connection, GIOStream* stream, std::string head) {
  auto local =
      GRef<GSocketAddress>::adopt(g_socket_connection_get_local_address(connection, nullptr));
  auto remote =
      GRef<GSocketAddress>::adopt(g_socket_connection_get_remote_address(connection, nullptr));
  if (!local || !remote) return;  // the client is gone already
  auto input = replayInputStream(stream, std::move(head));
  auto handed = GRef<GIOStream>::adopt(
      g_simple_io_stream_new(input.get(), g_io_stream_get_output_stream(stream)));
  handedOver_[remote.get()] =
      HandedOver{.stream = G_OBJECT(handed.get()),
                 .socket = GRef<GSocket>::ref(g_socket_connection_get_socket(connection)),
                 .remote = remote};
  g_object_weak_ref(G_OBJECT(handed.get()), &HttpListener::forget, this);
  soup_server_accept_iostream(server_, handed.get(), local.get(), remote.get(), nullptr);
}

void HttpListener::forget(gpointer data, GObject* stream) {
  auto& handed = static_cast<HttpListener*>(data)->handedOver_;
  std::erase_if(handed, [stream](const auto& entry) { return entry.second.stream == stream; });
}

GSocket* HttpListener::socketOf(GSocketAddress* remote) const {
  auto found = handedOver_.find(remote);
  return found == handedOver_.end() ? nullptr : found->second.socket.get();
}

}  // namespace su::service
