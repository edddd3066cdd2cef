#include "support/rtp_receiver.hpp"

#include <gio/gio.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace su::test {

RtpReceiver::RtpReceiver() {
  GUnique<GError> error;
  socket_ = GRef<GObject>::adopt(G_OBJECT(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                                       G_SOCKET_PROTOCOL_UDP, error.outPtr())));
  auto loopback = GRef<GObject>::adopt(G_OBJECT(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4)));
  auto address =
      GRef<GObject>::adopt(G_OBJECT(g_inet_socket_address_new(G_INET_ADDRESS(loopback.get()), 0)));
  EXPECT_TRUE(g_socket_bind(G_SOCKET(socket_.get()), G_SOCKET_ADDRESS(address.get()), FALSE,
                            error.outPtr()))
      << (error ? error->message : "");
  g_socket_set_blocking(G_SOCKET(socket_.get()), FALSE);
  auto bound =
      GRef<GObject>::adopt(G_OBJECT(g_socket_get_local_address(G_SOCKET(socket_.get()), nullptr)));
  port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
  auto watch =
      GRef<GSource>::adopt(g_socket_create_source(G_SOCKET(socket_.get()), G_IO_IN, nullptr));
  g_source_set_callback(
      watch.get(), G_SOURCE_FUNC(+[](GSocket* socket, GIOCondition, gpointer data) -> gboolean {
        auto* self = static_cast<RtpReceiver*>(data);
        guint8 packet[2048];
        gssize size;
        while ((size = g_socket_receive(socket, reinterpret_cast<gchar*>(packet), sizeof packet,
                                        nullptr, nullptr)) > 0) {
          if (size < 12 || (packet[0] >> 6) != 2) continue;  // not RTP version 2
          ++self->packets_;
          self->payloadTypes_.insert(packet[1] & 0x7f);
          self->ssrcs_.insert((std::uint32_t(packet[8]) << 24) | (std::uint32_t(packet[9]) << 16) |
                              (std::uint32_t(packet[10]) << 8) | packet[11]);
        }
        return G_SOURCE_CONTINUE;
      }),
      this, nullptr);
  source_ = Source::attach(std::move(watch), g_main_context_get_thread_default());
}

void RtpReceiver::reset() {
  packets_ = 0;
  payloadTypes_.clear();
  ssrcs_.clear();
}

std::size_t openFileDescriptors() {
  return static_cast<std::size_t>(std::distance(
      std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator{}));
}

std::size_t threadCount() {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                    std::filesystem::directory_iterator{}));
}

}  // namespace su::test
