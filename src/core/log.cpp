#include "core/log.hpp"

#include <mutex>

namespace su::log {

GstDebugCategory* core = nullptr;
GstDebugCategory* janus = nullptr;
GstDebugCategory* obs = nullptr;
GstDebugCategory* media = nullptr;
GstDebugCategory* supervisor = nullptr;
GstDebugCategory* queue = nullptr;
GstDebugCategory* orchestrator = nullptr;

void registerCategories() {
  static std::once_flag once;
  std::call_once(once, [] {
    GST_DEBUG_CATEGORY_INIT(core, "su", 0, "streaming-utils");
    GST_DEBUG_CATEGORY_INIT(janus, "su-janus", 0, "streaming-utils Janus client");
    GST_DEBUG_CATEGORY_INIT(obs, "su-obs", 0, "streaming-utils OBS control");
    GST_DEBUG_CATEGORY_INIT(media, "su-media", 0, "streaming-utils relay pipelines");
    GST_DEBUG_CATEGORY_INIT(supervisor, "su-supervisor", 0, "streaming-utils relay supervisor");
    GST_DEBUG_CATEGORY_INIT(queue, "su-queue", 0, "streaming-utils job queues");
    GST_DEBUG_CATEGORY_INIT(orchestrator, "su-orchestrator", 0,
                            "streaming-utils broadcast orchestrator");
  });
}

}  // namespace su::log
