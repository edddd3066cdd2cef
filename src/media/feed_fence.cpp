#include "media/feed_fence.hpp"

#include <glib.h>

#include <atomic>

namespace su::media {

namespace {

std::atomic<std::int64_t> deadlineUs{0};
std::atomic<std::uint64_t> heldBack{0};

}  // namespace

void setFeedDeadline(std::int64_t monotonicUs) noexcept {
  deadlineUs.store(monotonicUs, std::memory_order_relaxed);
}

bool feedAllowed() noexcept {
  const std::int64_t deadline = deadlineUs.load(std::memory_order_relaxed);
  if (deadline == 0 || g_get_monotonic_time() < deadline) return true;
  heldBack.fetch_add(1, std::memory_order_relaxed);
  return false;
}

std::uint64_t packetsHeldBack() noexcept {
  return heldBack.load(std::memory_order_relaxed);
}

}  // namespace su::media
