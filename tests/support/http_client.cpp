#include "support/http_client.hpp"

#include <libsoup/soup.h>

#include "core/tls.hpp"

namespace su::test {

SoupSession* newSession() {
  return soup_session_new();
}

SoupSession* newSessionTrusting(const std::string& caFile) {
  SoupSession* session = soup_session_new();
  auto authorities = tls::loadAuthorities(caFile);
  if (authorities) soup_session_set_tls_database(session, authorities->get());
  return session;
}

void freeSession(SoupSession* session) {
  g_object_unref(session);
}

HttpReply httpRequest(SoupSession* session, const std::string& method, const std::string& url,
                      const std::optional<std::string>& body,
                      const std::optional<std::string>& token) {
  SoupMessage* message = soup_message_new(method.c_str(), url.c_str());
  if (token) {
    soup_message_headers_append(soup_message_get_request_headers(message), "Authorization",
                                ("Bearer " + *token).c_str());
  }
  if (body) {
    GBytes* bytes = g_bytes_new(body->data(), body->size());
    soup_message_set_request_body_from_bytes(message, "application/json", bytes);
    g_bytes_unref(bytes);
  }
  GError* error = nullptr;
  GBytes* reply = soup_session_send_and_read(session, message, nullptr, &error);
  HttpReply result;
  if (reply) {
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(reply, &size));
    result.body.assign(data ? data : "", size);
    g_bytes_unref(reply);
    result.status = static_cast<int>(soup_message_get_status(message));
    if (GTlsCertificate* peer = soup_message_get_tls_peer_certificate(message))
      result.peerCertificate = tls::fingerprint(peer);
  } else {
    result.body = error ? error->message : "no reply";
    g_clear_error(&error);
  }
  g_object_unref(message);
  return result;
}

}  // namespace su::test
