// How the Janus client fails. Three domains:
// - su-janus-error: the client's own (timeout, lost connection, malformed reply...);
// - su-janus-core-error: Janus's core errors, code = Janus's code (458 no such session...);
// - su-janus-plugin-error: a plugin's error inside a "success" reply, code = its error_code
//   (Streaming 455 no such mountpoint, VideoRoom 426 no such room, 427 exists, 428 no such
//   feed, 429 missing element...).
#pragma once

#include "core/result.hpp"

namespace su::janus {

enum class JanusError {
  NotConnected = 1,   // no session yet, or it was lost and not restored
  Timeout,            // no reply within the request's timeout
  ConnectionLost,     // the WebSocket ended while the request was pending
  SessionLost,        // Janus destroyed the session (timeout, restart) while it was pending
  Protocol,           // a reply Janus should never send (missing fields, wrong types)
  ForwardIncomplete,  // rtp_forward covered fewer streams than requested
  Negotiation,        // our side of a WebRTC negotiation failed (no webrtcbin, a bad offer)
};
GQuark errorDomainOf(JanusError);

GQuark janusCoreErrorDomain();
GQuark janusPluginErrorDomain();

// Codes Janus uses that callers act on.
inline constexpr int kCoreSessionNotFound = 458;
inline constexpr int kCoreHandleNotFound = 459;
inline constexpr int kStreamingNoSuchMountpoint = 455;
inline constexpr int kStreamingCannotCreate = 456;  // among others: the id exists already
inline constexpr int kStreamingUnauthorized = 457;
inline constexpr int kVideoRoomNoSuchRoom = 426;
inline constexpr int kVideoRoomRoomExists = 427;
inline constexpr int kVideoRoomNoSuchFeed = 428;
inline constexpr int kVideoRoomMissingElement = 429;
inline constexpr int kVideoRoomUnauthorized = 433;

inline bool isPluginError(const Error& error, int code) {
  return error.is(janusPluginErrorDomain(), code);
}

// Janus could not be asked (no session, the connection or session went, no answer): whatever
// the request was about is as it was, or may be — asking again later is the way to know.
inline bool isUnreachable(const Error& error) {
  const GQuark domain = errorDomainOf(JanusError{});
  return error.is(domain, static_cast<int>(JanusError::NotConnected)) ||
         error.is(domain, static_cast<int>(JanusError::Timeout)) ||
         error.is(domain, static_cast<int>(JanusError::ConnectionLost)) ||
         error.is(domain, static_cast<int>(JanusError::SessionLost));
}

}  // namespace su::janus
