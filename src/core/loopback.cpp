#include "core/loopback.hpp"

#include <gio/gio.h>

#include "core/gref.hpp"

namespace su {

std::uint16_t freeLoopbackPort(bool udp) {
  auto socket = GRef<GObject>::adopt(G_OBJECT(
      g_socket_new(G_SOCKET_FAMILY_IPV4, udp ? G_SOCKET_TYPE_DATAGRAM : G_SOCKET_TYPE_STREAM,
                   udp ? G_SOCKET_PROTOCOL_UDP : G_SOCKET_PROTOCOL_TCP, nullptr)));
  auto loopback = GRef<GObject>::adopt(G_OBJECT(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4)));
  auto address =
      GRef<GObject>::adopt(G_OBJECT(g_inet_socket_address_new(G_INET_ADDRESS(loopback.get()), 0)));
  if (!socket ||
      !g_socket_bind(G_SOCKET(socket.get()), G_SOCKET_ADDRESS(address.get()), FALSE, nullptr)) {
    return 0;
  }
  auto bound =
      GRef<GObject>::adopt(G_OBJECT(g_socket_get_local_address(G_SOCKET(socket.get()), nullptr)));
  return bound ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get())) : 0;
}

bool acceptsConnections(std::uint16_t port, const char* host) {
  auto client = GRef<GObject>::adopt(G_OBJECT(g_socket_client_new()));
  g_socket_client_set_timeout(G_SOCKET_CLIENT(client.get()), 1);
  auto connection = GRef<GObject>::adopt(G_OBJECT(g_socket_client_connect_to_host(
      G_SOCKET_CLIENT(client.get()), host, port, nullptr, nullptr)));
  return static_cast<bool>(connection);
}

}  // namespace su
