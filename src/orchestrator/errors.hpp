// Why a broadcast did not start or stopped running (domain su-broadcast-error).
#pragma once

#include <glib.h>

namespace su::orchestrator {

enum class BroadcastError {
  Unsupported = 1,    // a source kind this build, or these backends, cannot run
  MediaTimeout,       // the relay did not run, or Janus saw no media, in time
  RelayFailed,        // the relay failed for good
  Stopped,            // stopped while starting
  NoRoom,             // the room does not exist and there is no room_spec to create it
  NoPublisher,        // the publisher did not appear in the room in time
  PublisherMismatch,  // the publisher has no stream for a mountpoint media
  OutputUnreachable,  // an output's Janus did not answer at the start
};
GQuark errorDomainOf(BroadcastError);

}  // namespace su::orchestrator
