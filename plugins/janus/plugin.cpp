// The `janus` GStreamer plugin.
#include <gst/gst.h>

#include "core/log.hpp"
#include "janus_sink.hpp"
#include "su_config.h"

namespace {

gboolean pluginInit(GstPlugin* plugin) noexcept {
  // The library code the elements run logs to the su-* categories.
  su::log::registerCategories();
  return GST_ELEMENT_REGISTER(janussink, plugin);
}

}  // namespace

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, janus,
                  "Janus WebRTC gateway: send media to Streaming mountpoints", pluginInit,
                  SU_VERSION, GST_LICENSE_UNKNOWN, "streaming-utils", "streaming-utils")
