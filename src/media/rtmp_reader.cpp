#include "media/rtmp_reader.hpp"

#include <fcntl.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "core/gref.hpp"
#include "core/log.hpp"
#include "media/rtmp_play.hpp"

#define GST_CAT_DEFAULT su::log::media

namespace {

using su::GRef;
using su::GUnique;

constexpr guint kDefaultTimeoutSeconds = 10;

enum { PROP_0, PROP_LOCATION, PROP_TIMEOUT };

// A connection and its conversation.
struct Connection {
  GRef<GSocketConnection> socket;  // owns the socket the session reads a blocking duplicate of
  int fd = -1;
  std::string peer;  // "host:port", for errors
  std::optional<su::media::rtmp::PlaySession> session;
  bool headerSent = false;  // the FLV header went out (with the first tags)

  ~Connection() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

struct _SuRtmpReader {
  GstPushSrc parent;
  // Settings: under the object lock.
  gchar* location;
  guint timeoutSeconds;
  // The connection: created and read in the streaming thread; unlock() shuts its socket down
  // and cancels a connect in progress, from another thread, under `lock`.
  std::mutex* lock;
  Connection* connection;
  GCancellable* connecting;
  bool flushing;
};

G_DEFINE_TYPE(SuRtmpReader, su_rtmp_reader, GST_TYPE_PUSH_SRC)

namespace {

// The session's socket: a blocking duplicate of GIO's, with its timeouts and no Nagle delay.
int blockingSocket(GSocket* socket, guint timeoutSeconds) {
  const int fd = dup(g_socket_get_fd(socket));
  if (fd < 0) return -1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // GIO made it non-blocking
  timeval timeout{};
  timeout.tv_sec = static_cast<time_t>(timeoutSeconds);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

GstFlowReturn flushingOr(SuRtmpReader* self, GstFlowReturn otherwise) {
  std::lock_guard guard(*self->lock);
  return self->flushing ? GST_FLOW_FLUSHING : otherwise;
}

// Connects and asks to play; GST_FLOW_OK with self->connection set, or why not (an error posted).
GstFlowReturn connect(SuRtmpReader* self) {
  GST_OBJECT_LOCK(self);
  const std::string location = self->location ? self->location : "";
  const guint timeoutSeconds = self->timeoutSeconds;
  GST_OBJECT_UNLOCK(self);
  if (location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("no RTMP location given"), (nullptr));
    return GST_FLOW_ERROR;
  }
  const auto target = su::media::rtmp::parsePlayUrl(location);
  if (!target) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("not a plain rtmp://host/app/stream URL"),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  auto connection = std::make_unique<Connection>();
  connection->peer = target->host + ":" + std::to_string(target->port);

  GRef<GCancellable> cancellable;
  {
    std::lock_guard guard(*self->lock);
    if (self->flushing) return GST_FLOW_FLUSHING;
    cancellable = GRef<GCancellable>::adopt(g_cancellable_new());
    self->connecting = cancellable.get();
  }
  auto client = GRef<GSocketClient>::adopt(g_socket_client_new());
  g_socket_client_set_timeout(client.get(), timeoutSeconds);
  auto address =
      GRef<GSocketConnectable>::adopt(g_network_address_new(target->host.c_str(), target->port));
  GUnique<GError> error;
  connection->socket = GRef<GSocketConnection>::adopt(
      g_socket_client_connect(client.get(), address.get(), cancellable.get(), error.outPtr()));
  {
    std::lock_guard guard(*self->lock);
    self->connecting = nullptr;
  }
  if (!connection->socket) {
    if (g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_CANCELLED)) return GST_FLOW_FLUSHING;
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                      ("cannot connect to the RTMP server %s: %s", connection->peer.c_str(),
                       error ? error->message : "unknown error"),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  connection->fd =
      blockingSocket(g_socket_connection_get_socket(connection->socket.get()), timeoutSeconds);
  connection->session.emplace(connection->fd);
  {
    // From here unlock() shuts the socket down: the handshake below is interruptible too.
    std::lock_guard guard(*self->lock);
    if (self->flushing) return GST_FLOW_FLUSHING;
    self->connection = connection.release();
  }
  auto started =
      self->connection->fd < 0
          ? su::Result<void>(su::makeError(su::media::rtmp::PlayError::Lost, "no socket"))
          : self->connection->session->start(*target);
  if (!started) {
    const GstFlowReturn flushing = flushingOr(self, GST_FLOW_ERROR);
    if (flushing == GST_FLOW_ERROR) {
      const bool handshake = started.error().is(su::media::rtmp::PlayError::Handshake);
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                        ("%s %s: %s", handshake ? "the RTMP handshake with" : "the RTMP server",
                         self->connection->peer.c_str(), started.error().message.c_str()),
                        (nullptr));
    }
    return flushing;
  }
  GST_INFO_OBJECT(self, "playing from %s", self->connection->peer.c_str());
  return GST_FLOW_OK;
}

GstFlowReturn create(GstPushSrc* src, GstBuffer** buffer) noexcept {
  using su::media::rtmp::PlaySession;
  auto* self = SU_RTMP_READER(src);
  if (!self->connection) {
    if (const GstFlowReturn connected = connect(self); connected != GST_FLOW_OK) return connected;
  }
  Connection& connection = *self->connection;
  // The first buffer is the FLV header with every tag of the stream's start (timestamp 0: the
  // metadata and the codecs' configurations) until a later tag or both media, so that its flags
  // tell which media follow; then a buffer per message.
  std::string flv;
  unsigned char media = 0;
  std::uint32_t timestamp = 0;
  const bool first = !connection.headerSent;
  su::Result<PlaySession::Read> read = PlaySession::Read::Media;
  do {
    read = connection.session->readMedia(flv, media, timestamp);
  } while (first && read && *read == PlaySession::Read::Media && timestamp == 0 &&
           media != (su::media::rtmp::kFlvAudio | su::media::rtmp::kFlvVideo));
  if (first && !flv.empty()) {
    flv.insert(0, su::media::rtmp::flvHeader(media));
    connection.headerSent = true;
  }
  if (!flv.empty()) {
    auto* held = new std::string(std::move(flv));
    *buffer = gst_buffer_new_wrapped_full(
        GST_MEMORY_FLAG_READONLY, held->data(), held->size(), 0, held->size(), held,
        [](gpointer data) { delete static_cast<std::string*>(data); });
    return GST_FLOW_OK;
  }
  const GstFlowReturn flushing = flushingOr(self, GST_FLOW_ERROR);
  if (flushing != GST_FLOW_ERROR) return flushing;
  if (read) {
    GST_INFO_OBJECT(self, "the server ended the stream");
    return GST_FLOW_EOS;
  }
  const char* peer = connection.peer.c_str();
  const std::string& why = read.error().message;
  if (read.error().is(su::media::rtmp::PlayError::Refused)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("the RTMP server %s: %s", peer, why.c_str()),
                      (nullptr));
  } else if (read.error().is(su::media::rtmp::PlayError::NotRtmp)) {
    GST_ELEMENT_ERROR(self, STREAM, DECODE,
                      ("the RTMP server %s sent what is not RTMP: %s", peer, why.c_str()),
                      (nullptr));
  } else if (connection.session->receivedAny()) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ,
                      ("lost the RTMP connection to %s: %s", peer, why.c_str()), (nullptr));
  } else {
    GST_ELEMENT_ERROR(self, RESOURCE, READ,
                      ("the RTMP server %s closed the connection before sending any media (%s)",
                       peer, why.c_str()),
                      (nullptr));
  }
  return GST_FLOW_ERROR;
}

gboolean unlock(GstBaseSrc* src) noexcept {
  auto* self = SU_RTMP_READER(src);
  std::lock_guard guard(*self->lock);
  self->flushing = true;
  if (self->connecting) g_cancellable_cancel(self->connecting);
  if (self->connection && self->connection->socket) {
    // Wakes a blocked receive: the session's duplicate shares the socket.
    GSocket* socket = g_socket_connection_get_socket(self->connection->socket.get());
    shutdown(g_socket_get_fd(socket), SHUT_RDWR);
  }
  return TRUE;
}

gboolean unlockStop(GstBaseSrc* src) noexcept {
  auto* self = SU_RTMP_READER(src);
  std::lock_guard guard(*self->lock);
  self->flushing = false;
  return TRUE;
}

gboolean stop(GstBaseSrc* src) noexcept {
  auto* self = SU_RTMP_READER(src);
  Connection* connection = nullptr;
  {
    std::lock_guard guard(*self->lock);
    connection = std::exchange(self->connection, nullptr);
  }
  delete connection;  // the streaming thread has stopped
  return TRUE;
}

gboolean query(GstBaseSrc* src, GstQuery* query) noexcept {
  if (GST_QUERY_TYPE(query) == GST_QUERY_SCHEDULING) {
    gst_query_set_scheduling(
        query,
        GstSchedulingFlags(GST_SCHEDULING_FLAG_SEQUENTIAL | GST_SCHEDULING_FLAG_BANDWIDTH_LIMITED),
        1, -1, 0);
    gst_query_add_scheduling_mode(query, GST_PAD_MODE_PUSH);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS(su_rtmp_reader_parent_class)->query(src, query);
}

void setProperty(GObject* object, guint id, const GValue* value, GParamSpec* spec) noexcept {
  auto* self = SU_RTMP_READER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_LOCATION:
      g_free(self->location);
      self->location = g_value_dup_string(value);
      break;
    case PROP_TIMEOUT:
      self->timeoutSeconds = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
  GST_OBJECT_UNLOCK(self);
}

void getProperty(GObject* object, guint id, GValue* value, GParamSpec* spec) noexcept {
  auto* self = SU_RTMP_READER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_LOCATION:
      g_value_set_string(value, self->location);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint(value, self->timeoutSeconds);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
  GST_OBJECT_UNLOCK(self);
}

void finalize(GObject* object) noexcept {
  auto* self = SU_RTMP_READER(object);
  delete self->connection;
  delete self->lock;
  g_free(self->location);
  G_OBJECT_CLASS(su_rtmp_reader_parent_class)->finalize(object);
}

}  // namespace

static void su_rtmp_reader_init(SuRtmpReader* self) {
  self->location = nullptr;
  self->timeoutSeconds = kDefaultTimeoutSeconds;
  self->lock = new std::mutex;
  self->connection = nullptr;
  self->connecting = nullptr;
  self->flushing = false;
}

static void su_rtmp_reader_class_init(SuRtmpReaderClass* klass) {
  auto* objectClass = G_OBJECT_CLASS(klass);
  auto* elementClass = GST_ELEMENT_CLASS(klass);
  auto* baseClass = GST_BASE_SRC_CLASS(klass);
  objectClass->set_property = setProperty;
  objectClass->get_property = getProperty;
  objectClass->finalize = finalize;
  baseClass->unlock = unlock;
  baseClass->unlock_stop = unlockStop;
  baseClass->stop = stop;
  baseClass->query = query;
  GST_PUSH_SRC_CLASS(klass)->create = create;

  const auto settable =
      GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      objectClass, PROP_LOCATION,
      g_param_spec_string("location", "Location", "The stream to play (rtmp://host/app/stream)",
                          nullptr, settable));
  g_object_class_install_property(
      objectClass, PROP_TIMEOUT,
      g_param_spec_uint("timeout", "Timeout",
                        "Seconds to connect, and to wait for data before the connection counts "
                        "as lost (0: no limit)",
                        0, G_MAXUINT, kDefaultTimeoutSeconds, settable));

  static GstStaticPadTemplate source =
      GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-flv"));
  gst_element_class_add_static_pad_template(elementClass, &source);
  gst_element_class_set_static_metadata(elementClass, "RTMP reader", "Source/Network",
                                        "Plays an RTMP stream as FLV, read in its streaming thread",
                                        "streaming-utils");
}
