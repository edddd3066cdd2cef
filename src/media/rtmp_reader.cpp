#include "media/rtmp_reader.hpp"

#include <fcntl.h>
#include <gio/gio.h>
#include <librtmp/log.h>
#include <librtmp/rtmp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "core/gref.hpp"
#include "core/log.hpp"
#include "model/redaction.hpp"

#define GST_CAT_DEFAULT su::log::media

namespace {

using su::GRef;
using su::GUnique;

constexpr guint kDefaultTimeoutSeconds = 10;
// Larger than any RTMP message a live source sends: one read is one whole message.
constexpr std::size_t kReadSize = 1 << 20;

enum { PROP_0, PROP_LOCATION, PROP_TIMEOUT };

// librtmp's messages go to this library's media category; a URL in them is masked.
void logFromLibrtmp(int level, const char* format, va_list args) {
  if (level > RTMP_LOGDEBUG) return;
  GUnique<char> text = GUnique<char>::adopt(g_strdup_vprintf(format, args));
  // Its errors are expected on teardown (a shut-down socket reads as a closed one): not warnings.
  const GstDebugLevel gstLevel = level <= RTMP_LOGWARNING ? GST_LEVEL_INFO : GST_LEVEL_DEBUG;
  GST_CAT_LEVEL_LOG(su::log::media, gstLevel, nullptr, "librtmp: %s",
                    su::model::redactText(text.get()).c_str());
}

// What a connection is, everything librtmp needs kept alive with it.
struct Connection {
  GUnique<char> url;  // librtmp keeps pointers into the URL it parsed
  RTMP* rtmp = nullptr;
  GRef<GSocketConnection> socket;  // owns the socket librtmp reads a duplicate of
  std::string peer;                // "host:port", for errors
  bool delivered = false;          // read anything yet

  ~Connection() {
    if (!rtmp) return;
    RTMP_Close(rtmp);
    RTMP_Free(rtmp);
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
  char* scratch;  // kReadSize bytes, never zeroed: only the pages messages fill become resident
};

G_DEFINE_TYPE(SuRtmpReader, su_rtmp_reader, GST_TYPE_PUSH_SRC)

namespace {

// Where `url` points, as "host:port", or nothing when librtmp cannot parse it as plain RTMP.
bool parse(RTMP* rtmp, char* url, std::string& host, guint16& port) {
  if (!RTMP_SetupURL(rtmp, url) || rtmp->Link.protocol != RTMP_PROTOCOL_RTMP) return false;
  if (rtmp->Link.hostname.av_len <= 0) return false;
  host.assign(rtmp->Link.hostname.av_val, static_cast<std::size_t>(rtmp->Link.hostname.av_len));
  port = rtmp->Link.port;
  return true;
}

// librtmp's socket: a blocking duplicate of GIO's, with its receive timeout and no Nagle delay.
int librtmpSocket(GSocket* socket, guint timeoutSeconds) {
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
  auto connection = std::make_unique<Connection>();
  GST_OBJECT_LOCK(self);
  connection->url = GUnique<char>::adopt(g_strdup(self->location));
  const guint timeoutSeconds = self->timeoutSeconds;
  GST_OBJECT_UNLOCK(self);
  if (!connection->url) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("no RTMP location given"), (nullptr));
    return GST_FLOW_ERROR;
  }
  connection->rtmp = RTMP_Alloc();
  RTMP_Init(connection->rtmp);
  std::string host;
  guint16 port = 0;
  if (!parse(connection->rtmp, connection->url.get(), host, port)) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("not a plain rtmp:// URL librtmp can play"),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  connection->peer = host + ":" + std::to_string(port);
  connection->rtmp->Link.lFlags |= RTMP_LF_LIVE;
  connection->rtmp->Link.timeout = static_cast<int>(timeoutSeconds);

  GRef<GCancellable> cancellable;
  {
    std::lock_guard guard(*self->lock);
    if (self->flushing) return GST_FLOW_FLUSHING;
    cancellable = GRef<GCancellable>::adopt(g_cancellable_new());
    self->connecting = cancellable.get();
  }
  auto client = GRef<GSocketClient>::adopt(g_socket_client_new());
  g_socket_client_set_timeout(client.get(), timeoutSeconds);
  auto address = GRef<GSocketConnectable>::adopt(g_network_address_new(host.c_str(), port));
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
  GSocket* socket = g_socket_connection_get_socket(connection->socket.get());
  connection->rtmp->m_sb.sb_socket = librtmpSocket(socket, timeoutSeconds);
  connection->rtmp->m_bSendCounter = TRUE;
  {
    // From here unlock() shuts the socket down: the handshake below is interruptible too.
    std::lock_guard guard(*self->lock);
    if (self->flushing) return GST_FLOW_FLUSHING;
    self->connection = connection.release();
  }
  if (self->connection->rtmp->m_sb.sb_socket < 0 ||
      !RTMP_Connect1(self->connection->rtmp, nullptr)) {
    const GstFlowReturn flushing = flushingOr(self, GST_FLOW_ERROR);
    if (flushing == GST_FLOW_ERROR) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                        ("the RTMP handshake with %s failed", self->connection->peer.c_str()),
                        (nullptr));
    }
    return flushing;
  }
  GST_INFO_OBJECT(self, "connected to %s", self->connection->peer.c_str());
  return GST_FLOW_OK;
}

GstFlowReturn create(GstPushSrc* src, GstBuffer** buffer) noexcept {
  auto* self = SU_RTMP_READER(src);
  if (!self->connection) {
    if (const GstFlowReturn connected = connect(self); connected != GST_FLOW_OK) return connected;
  }
  RTMP* rtmp = self->connection->rtmp;
  if (!RTMP_IsConnected(rtmp)) {
    // Shut down by unlock() (flushing, or paused and resumed): no resuming a live stream here.
    const GstFlowReturn flushing = flushingOr(self, GST_FLOW_ERROR);
    if (flushing == GST_FLOW_ERROR) {
      GST_ELEMENT_ERROR(self, RESOURCE, READ,
                        ("the RTMP connection to %s was closed", self->connection->peer.c_str()),
                        (nullptr));
    }
    return flushing;
  }
  const int read = RTMP_Read(rtmp, self->scratch, static_cast<int>(kReadSize));
  if (read > 0) {
    *buffer = gst_buffer_new_memdup(self->scratch, static_cast<gsize>(read));
    self->connection->delivered = true;
    return GST_FLOW_OK;
  }
  // librtmp reads a lost connection as the end of the stream; only Play.Complete, Play.Stop or
  // an unpublished stream end it.
  const GstFlowReturn flushing = flushingOr(self, GST_FLOW_ERROR);
  if (flushing != GST_FLOW_ERROR) return flushing;
  if (rtmp->m_read.status == RTMP_READ_COMPLETE) {
    GST_INFO_OBJECT(self, "the server ended the stream");
    return GST_FLOW_EOS;
  }
  if (self->connection->delivered) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ,
                      ("lost the RTMP connection to %s", self->connection->peer.c_str()),
                      (nullptr));
  } else {
    GST_ELEMENT_ERROR(self, RESOURCE, READ,
                      ("the RTMP server %s closed the connection before sending any media",
                       self->connection->peer.c_str()),
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
    // Wakes a blocked receive; librtmp's duplicate shares the socket.
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
  g_free(self->scratch);
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
  self->scratch = static_cast<char*>(g_malloc(kReadSize));
}

static void su_rtmp_reader_class_init(SuRtmpReaderClass* klass) {
  // librtmp's globals: its log, and its TLS context made by the first RTMP_Init (not thread-safe).
  RTMP_LogSetLevel(RTMP_LOGWARNING);
  RTMP_LogSetCallback(logFromLibrtmp);
  RTMP* first = RTMP_Alloc();
  RTMP_Init(first);
  RTMP_Free(first);

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
