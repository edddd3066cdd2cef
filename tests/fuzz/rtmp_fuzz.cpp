// The RTMP reader (media/rtmp_reader.hpp) as a hostile server meets it. A server on loopback does
// a proper handshake, then sends the input as the rest of its side of the connection — chunks,
// AMF commands and results, audio and video messages — and closes. The reader's play session
// parses it in its streaming thread and hands it on as FLV, flvdemux parses that. Seeds: what
// nginx-rtmp sends a player (captured), its commands alone, nothing, and the inputs that broke
// librtmp, which the reader used before. Property: whatever the server sends, the pipeline ends
// — end of stream or an error — within a bound, and nothing crashes, leaks or posts a critical.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>
#include <thread>

#include "core/gref.hpp"
#include "fuzz.hpp"
#include "media/rtmp_reader.hpp"

namespace {

constexpr gint64 kEndsWithinUs = 5'000'000;
constexpr std::size_t kSignatureSize = 1536;

// A listening socket on loopback for the whole run; one connection per input.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(fd, 4) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      std::abort();
    }
    port = ntohs(address.sin_port);
  }
};

bool readExactly(int fd, char* into, std::size_t size) {
  while (size > 0) {
    pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
    if (poll(&readable, 1, 2000) != 1) return false;
    const ssize_t got = recv(fd, into, size, 0);
    if (got <= 0) return false;
    into += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

// The server's side of one connection: the handshake (S0, S1, S2 echoing C1), then `input`, then
// its end; what the client says is read and dropped until it closes too.
void serve(int listening, std::string input) {
  const int fd = accept4(listening, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  std::array<char, 1 + kSignatureSize> c0c1{};
  std::string reply(1 + 2 * kSignatureSize, '\0');
  if (readExactly(fd, c0c1.data(), c0c1.size())) {
    reply[0] = 3;
    std::copy(c0c1.begin() + 1, c0c1.end(), reply.begin() + 1 + kSignatureSize);
    std::array<char, kSignatureSize> c2{};
    if (send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(reply.size()) &&
        readExactly(fd, c2.data(), c2.size())) {
      send(fd, input.data(), input.size(), MSG_NOSIGNAL);
    }
  }
  shutdown(fd, SHUT_WR);
  char drain[4096];
  for (pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
       poll(&readable, 1, 1000) == 1 && recv(fd, drain, sizeof drain, 0) > 0;) {
  }
  close(fd);
}

// Each stream flvdemux finds goes to a sink of its own.
void linkDemuxed(GstElement* demux, GstPad* pad, gpointer) {
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(GST_ELEMENT_PARENT(demux)), sink);
  gst_element_sync_state_with_parent(sink);
  auto target = su::GRef<GstPad>::adopt(gst_element_get_static_pad(sink, "sink"));
  gst_pad_link(pad, target.get());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Listener listener;
  std::thread server(serve, listener.fd, std::string(su::fuzz::textOf(data, size)));

  auto pipeline = su::GRef<GstElement>::adopt(gst_pipeline_new("rtmp-fuzz"));
  const std::string location = "rtmp://127.0.0.1:" + std::to_string(listener.port) + "/live/fuzz";
  GstElement* reader = GST_ELEMENT(
      g_object_new(SU_TYPE_RTMP_READER, "location", location.c_str(), "timeout", 2u, nullptr));
  GstElement* demux = gst_element_factory_make("flvdemux", nullptr);
  gst_bin_add_many(GST_BIN(pipeline.get()), reader, demux, nullptr);
  if (!gst_element_link(reader, demux)) std::abort();
  g_signal_connect(demux, "pad-added", G_CALLBACK(linkDemuxed), nullptr);
  gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);

  auto bus = su::GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
  GstMessage* ended = gst_bus_timed_pop_filtered(
      bus.get(), kEndsWithinUs * 1000, GstMessageType(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  const bool endedInTime = ended != nullptr;
  if (ended) gst_message_unref(ended);
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  server.join();
  SU_FUZZ_CHECK(endedInTime, "the pipeline neither ended nor failed within %lld s (%zu bytes)",
                static_cast<long long>(kEndsWithinUs / 1'000'000), size);
  return 0;
}
