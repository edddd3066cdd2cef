// HTTP requests from the tests to the services' APIs (serve's), with libsoup's synchronous
// client: the status and the body, or status 0 and the transport's error as the body.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

typedef struct _SoupSession SoupSession;

namespace su::test {

struct HttpReply {
  int status = 0;
  std::string body;
  std::string peerCertificate;  // over https: the fingerprint of the certificate the server sent
};

SoupSession* newSession();
// A session that trusts only the CA in `caFile` for https.
SoupSession* newSessionTrusting(const std::string& caFile);
void freeSession(SoupSession* session);

// `session` is used by one thread at a time. `token` goes in `Authorization: Bearer`.
HttpReply httpRequest(SoupSession* session, const std::string& method, const std::string& url,
                      const std::optional<std::string>& body = {},
                      const std::optional<std::string>& token = {});

// The same on a thread of its own (with a session of its own, trusting `caFile` for https if
// given), while `runUntil` runs the caller's context until the answer is in: for servers that
// live on that context (a TCP proxy, an RTSP camera) and that the request waits on.
template <typename RunUntil>
HttpReply httpRequestAside(RunUntil runUntil, const std::string& method, const std::string& url,
                           const std::optional<std::string>& body = {},
                           const std::optional<std::string>& token = {},
                           const std::optional<std::string>& caFile = {}) {
  HttpReply reply;
  std::atomic<bool> answered = false;
  std::thread caller([&] {
    SoupSession* session = caFile ? newSessionTrusting(*caFile) : newSession();
    reply = httpRequest(session, method, url, body, token);
    freeSession(session);
    answered = true;
  });
  runUntil([&] { return answered.load(); }, std::chrono::seconds(60));
  caller.join();
  return reply;
}

}  // namespace su::test
