// The GStreamer debug categories of the library, one per area, so that
// `GST_DEBUG=su-janus:6,su-media:5` selects what to see. They exist once su::init() ran.
#pragma once

#include <gst/gst.h>

namespace su::log {

extern GstDebugCategory* core;          // "su"
extern GstDebugCategory* janus;         // "su-janus"
extern GstDebugCategory* obs;           // "su-obs"
extern GstDebugCategory* media;         // "su-media"
extern GstDebugCategory* supervisor;    // "su-supervisor"
extern GstDebugCategory* queue;         // "su-queue"
extern GstDebugCategory* orchestrator;  // "su-orchestrator"

// Registers the categories; called by su::init(). Safe to call more than once.
void registerCategories();

}  // namespace su::log
