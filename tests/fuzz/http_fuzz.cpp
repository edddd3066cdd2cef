// The service's HTTP API (service/http_api.hpp) as a client reaches it: raw bytes on a TCP
// connection to libsoup's server, which reads the request line and headers, then our handlers,
// which check the token, the body's length, the routes, the query and the bodies (broadcast
// requests, job envelopes). Behind it: a service connected to no Janus (a start fails at once, as
// when Janus is down) and a memory queue for POST /v1/jobs. Property: whatever came in, what
// goes out is an HTTP response (or nothing, for a request that never ended).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "fuzz.hpp"
#include "queue/memory_queue.hpp"
#include "service/broadcast_service.hpp"
#include "service/http_api.hpp"

namespace {

constexpr gint64 kAnswerWithinUs = 50'000;  // for a server that keeps busy

struct Api {
  GMainContext* context = g_main_context_default();
  su::service::BroadcastService service{context, {}};
  su::queue::MemoryQueue queue{{.consumer = "fuzz"}};
  su::service::HttpApi http{
      context, service, {.port = 0, .token = "fuzz-token", .maxBodyBytes = 4096}, &queue};
  Api() {
    if (!http.start()) std::abort();
  }
};

int connectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::abort();
  }
  return fd;
}

void dispatchAll(GMainContext* context) {
  while (g_main_context_iteration(context, FALSE)) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Api api;
  const int fd = connectTo(api.http.port());
  if (send(fd, data, size, MSG_NOSIGNAL) != static_cast<ssize_t>(size)) std::abort();
  shutdown(fd, SHUT_WR);
  std::string response;
  int idleRounds = 0;
  const gint64 deadline = g_get_monotonic_time() + kAnswerWithinUs;
  while (g_get_monotonic_time() < deadline) {
    dispatchAll(api.context);
    char buffer[4096];
    const ssize_t got = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got == 0) break;  // answered and closed
    if (got > 0) {
      response.append(buffer, static_cast<std::size_t>(got));
      continue;
    }
    // The server has nothing more to do (answered, or waiting for more of a request): libsoup
    // keeps the connection open after it read the end of the input, so there is no close to
    // wait for.
    if (!g_main_context_pending(api.context) && (!response.empty() || ++idleRounds > 3)) break;
    pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
    poll(&readable, 1, 1);
  }
  close(fd);
  dispatchAll(api.context);
  SU_FUZZ_CHECK(response.empty() || response.starts_with("HTTP/1."), "%.200s", response.c_str());
  return 0;
}
