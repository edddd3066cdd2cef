#include "support/tcp_proxy.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/gref.hpp"

namespace su::test {

// Shared with the pending GIO calls, which may finish after the proxy is gone (cancelled).
struct TcpProxy::State {
  std::uint16_t target = 0;
  std::uint16_t port = 0;
  int accepted = 0;
  GRef<GSocketListener> listener;
  GRef<GCancellable> cancellable;  // of this listening period and its connections
  std::vector<GRef<GSocketConnection>> connections;
};

namespace {

using StatePtr = std::shared_ptr<TcpProxy::State>;

struct Connecting {
  StatePtr state;
  GRef<GSocketConnection> incoming;
  GRef<GCancellable> cancellable;
};

void acceptNext(const StatePtr& state);

void onSpliced(GObject*, GAsyncResult* result, gpointer) {
  g_io_stream_splice_finish(result, nullptr);  // ended by either side, or by cut()
}

void onConnected(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<Connecting> connecting(static_cast<Connecting*>(data));
  GSocketConnection* outgoing =
      g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, nullptr);
  if (!outgoing || g_cancellable_is_cancelled(connecting->cancellable.get())) {
    g_io_stream_close(G_IO_STREAM(connecting->incoming.get()), nullptr, nullptr);
    if (outgoing) g_object_unref(outgoing);
    return;
  }
  auto upstream = GRef<GSocketConnection>::adopt(outgoing);
  connecting->state->connections.push_back(connecting->incoming);
  connecting->state->connections.push_back(upstream);
  g_io_stream_splice_async(G_IO_STREAM(connecting->incoming.get()), G_IO_STREAM(upstream.get()),
                           static_cast<GIOStreamSpliceFlags>(G_IO_STREAM_SPLICE_CLOSE_STREAM1 |
                                                             G_IO_STREAM_SPLICE_CLOSE_STREAM2),
                           G_PRIORITY_DEFAULT, connecting->cancellable.get(), onSpliced, nullptr);
}

void onAccepted(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<StatePtr> holder(static_cast<StatePtr*>(data));
  const StatePtr& state = *holder;
  GSocketConnection* accepted =
      g_socket_listener_accept_finish(G_SOCKET_LISTENER(source), result, nullptr, nullptr);
  if (!accepted) return;  // cut, or the proxy is gone
  ++state->accepted;
  auto client = GRef<GSocketClient>::adopt(g_socket_client_new());
  g_socket_client_connect_to_host_async(
      client.get(), "127.0.0.1", state->target, state->cancellable.get(), onConnected,
      new Connecting{state, GRef<GSocketConnection>::adopt(accepted), state->cancellable});
  acceptNext(state);
}

void acceptNext(const StatePtr& state) {
  g_socket_listener_accept_async(state->listener.get(), state->cancellable.get(), onAccepted,
                                 new StatePtr(state));
}

void listen(const StatePtr& state) {
  state->listener = GRef<GSocketListener>::adopt(g_socket_listener_new());
  state->cancellable = GRef<GCancellable>::adopt(g_cancellable_new());
  auto loopback = GRef<GInetAddress>::adopt(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
  auto address =
      GRef<GSocketAddress>::adopt(g_inet_socket_address_new(loopback.get(), state->port));
  GSocketAddress* bound = nullptr;
  GError* error = nullptr;
  if (!g_socket_listener_add_address(state->listener.get(), address.get(), G_SOCKET_TYPE_STREAM,
                                     G_SOCKET_PROTOCOL_TCP, nullptr, &bound, &error)) {
    ADD_FAILURE() << "the proxy cannot listen on port " << state->port << ": " << error->message;
    g_error_free(error);
    return;
  }
  state->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  acceptNext(state);
}

}  // namespace

TcpProxy::TcpProxy(std::uint16_t targetPort) : state_(std::make_shared<State>()) {
  state_->target = targetPort;
  listen(state_);
}

TcpProxy::~TcpProxy() {
  cut();
}

std::uint16_t TcpProxy::port() const noexcept {
  return state_->port;
}

int TcpProxy::accepted() const noexcept {
  return state_->accepted;
}

void TcpProxy::cut() {
  if (!state_->listener) return;
  g_cancellable_cancel(state_->cancellable.get());
  for (const GRef<GSocketConnection>& connection : state_->connections)
    g_io_stream_close(G_IO_STREAM(connection.get()), nullptr, nullptr);
  state_->connections.clear();
  g_socket_listener_close(state_->listener.get());
  state_->listener.reset();
}

void TcpProxy::resume() {
  if (!state_->listener) listen(state_);
}

SilentListener::SilentListener() {
  socket_ = GRef<GSocket>::adopt(
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr));
  auto loopback = GRef<GInetAddress>::adopt(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
  auto any = GRef<GSocketAddress>::adopt(g_inet_socket_address_new(loopback.get(), 0));
  const bool listening = g_socket_bind(socket_.get(), any.get(), TRUE, nullptr) &&
                         g_socket_listen(socket_.get(), nullptr);
  EXPECT_TRUE(listening) << "cannot listen on loopback";
  auto bound = GRef<GSocketAddress>::adopt(g_socket_get_local_address(socket_.get(), nullptr));
  if (bound) port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
}

}  // namespace su::test
