// The RTMP reader (src/media/rtmp_reader.hpp) against real nginx-rtmp with a real publisher, and
// against what nginx cannot be made to do: refuse, never answer, have its connection cut.
#include "media/rtmp_reader.hpp"

#include <gio/gio.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/gref.hpp"
#include "support/main_context_test.hpp"
#include "support/rtmp_server.hpp"
#include "support/tcp_proxy.hpp"

namespace su::test {
namespace {

using namespace std::chrono_literals;

// What the reader hands on: FLV, each buffer after the first one whole tag.
struct FlvCheck {
  int buffers = 0;
  int videoTags = 0;
  int audioTags = 0;
  int notOneTag = 0;  // buffers after the first that are not exactly one tag
  bool startsWithHeader = false;
};

GstPadProbeReturn checkFlv(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* check = static_cast<FlvCheck*>(data);
  GstMapInfo map;
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
  if (check->buffers++ == 0) {
    check->startsWithHeader =
        map.size >= 13 && std::string_view(reinterpret_cast<const char*>(map.data), 3) == "FLV";
  } else if (map.size >= 15) {
    const std::size_t dataSize =
        (std::size_t{map.data[1]} << 16) | (std::size_t{map.data[2]} << 8) | map.data[3];
    if (map.data[0] == 9) ++check->videoTags;
    if (map.data[0] == 8) ++check->audioTags;
    if (map.size != 11 + dataSize + 4) ++check->notOneTag;
  } else {
    ++check->notOneTag;
  }
  gst_buffer_unmap(buffer, &map);
  return GST_PAD_PROBE_OK;
}

class RtmpReaderTest : public MainContextTest {
 protected:
  void TearDown() override {
    if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    pipeline.reset();
    MainContextTest::TearDown();
  }

  // reader ! fakesink, the reader's buffers checked on the way.
  void build(const std::string& location, guint timeoutSeconds = 10) {
    pipeline = GRef<GstElement>::adopt(gst_pipeline_new("rtmp-reader-test"));
    GstElement* reader = GST_ELEMENT(g_object_new(SU_TYPE_RTMP_READER, "location", location.c_str(),
                                                  "timeout", timeoutSeconds, nullptr));
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add_many(GST_BIN(pipeline.get()), reader, sink, nullptr);
    ASSERT_TRUE(gst_element_link(reader, sink));
    GstPad* pad = gst_element_get_static_pad(reader, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, checkFlv, &flv, nullptr);
    gst_object_unref(pad);
  }

  // The first error (or end of stream) the pipeline posts within `timeout`, as text.
  std::optional<std::string> nextFailure(std::chrono::milliseconds timeout) {
    auto bus = GRef<GstBus>::adopt(gst_element_get_bus(pipeline.get()));
    std::optional<std::string> failure;
    runUntil(
        [&] {
          if (failure) return true;  // runUntil asks once more
          GstMessage* message =
              gst_bus_pop_filtered(bus.get(), GstMessageType(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
          if (!message) return false;
          if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
            failure = "end of stream";
          } else {
            GUnique<GError> error;
            gst_message_parse_error(message, error.outPtr(), nullptr);
            failure = error->message;
          }
          gst_message_unref(message);
          return true;
        },
        timeout);
    return failure;
  }

  GRef<GstElement> pipeline;
  FlvCheck flv;
};

// A loopback port nothing listens on.
std::uint16_t closedPort() {
  auto socket = GRef<GSocket>::adopt(
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr));
  auto loopback = GRef<GInetAddress>::adopt(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
  auto address = GRef<GSocketAddress>::adopt(g_inet_socket_address_new(loopback.get(), 0));
  g_socket_bind(socket.get(), address.get(), TRUE, nullptr);
  auto bound = GRef<GSocketAddress>::adopt(g_socket_get_local_address(socket.get(), nullptr));
  return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
}

TEST_F(RtmpReaderTest, PlaysALiveStreamFromNginxOneTagPerBuffer) {
  auto rtmp = RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = RtmpPublisher::start(rtmp->url("reader-1"));
  ASSERT_TRUE(publisher);
  build(rtmp->url("reader-1"));
  gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);

  // 60 video frames: two seconds of the publisher's 30 fps, read as they come.
  EXPECT_TRUE(runUntil([&] { return flv.videoTags >= 60; }, 20s))
      << flv.videoTags << " video tags\n"
      << publisher->logTail();
  EXPECT_TRUE(flv.startsWithHeader);
  EXPECT_GT(flv.audioTags, 0);
  EXPECT_EQ(flv.notOneTag, 0);
}

TEST_F(RtmpReaderTest, ARefusedConnectionIsAClearErrorWithoutTheStreamKey) {
  const std::uint16_t port = closedPort();
  build("rtmp://127.0.0.1:" + std::to_string(port) + "/live/secret-stream-key");
  gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);

  const auto failure = nextFailure(5s);
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->find("cannot connect to the RTMP server 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << *failure;
  EXPECT_EQ(failure->find("secret-stream-key"), std::string::npos) << *failure;
}

TEST_F(RtmpReaderTest, AServerThatNeverAnswersBlocksNeitherTheStartNorTheStop) {
  // Listening, never accepting: the kernel completes the TCP connect, the handshake waits.
  SilentListener silent;
  build("rtmp://127.0.0.1:" + std::to_string(silent.port()) + "/live/stream", 60);

  const auto started = std::chrono::steady_clock::now();
  gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "the state change waited";
  EXPECT_FALSE(nextFailure(1s)) << "nothing has failed yet: the handshake is waiting";

  // Stopping interrupts the handshake's read: not its 60 s timeout.
  const auto stopping = std::chrono::steady_clock::now();
  EXPECT_EQ(gst_element_set_state(pipeline.get(), GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 5s) << "the stop waited for the timeout";
  EXPECT_EQ(flv.buffers, 0);
}

TEST_F(RtmpReaderTest, ACutConnectionIsALostConnectionError) {
  auto rtmp = RtmpServer::start();
  ASSERT_TRUE(rtmp);
  auto publisher = RtmpPublisher::start(rtmp->url("reader-2"));
  ASSERT_TRUE(publisher);
  TcpProxy proxy(rtmp->port());
  build("rtmp://127.0.0.1:" + std::to_string(proxy.port()) + "/live/reader-2");
  gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  ASSERT_TRUE(runUntil([&] { return flv.videoTags >= 30; }, 20s)) << flv.videoTags;

  // Cut mid-stream: the reader reads a closed socket and reports it.
  proxy.cut();
  const auto failure = nextFailure(15s);
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->find("lost the RTMP connection to 127.0.0.1:" + std::to_string(proxy.port())),
            std::string::npos)
      << *failure;
}

}  // namespace
}  // namespace su::test
