// A fixture with a private GMainContext pushed as the thread default for each test, and
// runUntil() to drive it: tests never sleep and never touch the global default context.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>

#include "core/gref.hpp"
#include "core/task.hpp"

namespace su::test {

// How much longer the tests wait where everything is slower (SU_TEST_TIME_SCALE: 2 under the
// sanitizers, 10 under valgrind).
inline long timeScale() {
  const char* scale = g_getenv("SU_TEST_TIME_SCALE");
  const long value = scale ? std::strtol(scale, nullptr, 10) : 1;
  return value > 0 ? value : 1;
}

class MainContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    context_ = GRef<GMainContext>::adopt(g_main_context_new());
    g_main_context_push_thread_default(context_.get());
  }

  void TearDown() override {
    // Let sources destroyed during the test release what they hold before the context goes.
    while (g_main_context_iteration(context_.get(), FALSE)) {
    }
    g_main_context_pop_thread_default(context_.get());
    context_.reset();
  }

  GMainContext* context() const { return context_.get(); }

  static long timeScale() { return test::timeScale(); }

  // Iterates the context until `predicate` holds (true) or `timeout` passes (false). The
  // predicate is checked at least every 10 ms too, for what other threads change (a viewer's
  // frame count) without waking this context.
  // SU_TEST_TIME_SCALE stretches every wait (the valgrind setup sets it: memcheck is slow).
  bool runUntil(const std::function<bool()>& predicate,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    GSource* poll = g_timeout_source_new(10);
    g_source_set_callback(
        poll, [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr, nullptr);
    g_source_attach(poll, context_.get());
    bool timedOut = false;
    GSource* timer = g_timeout_source_new(static_cast<guint>(timeout.count() * timeScale()));
    g_source_set_callback(
        timer,
        [](gpointer flag) -> gboolean {
          *static_cast<bool*>(flag) = true;
          return G_SOURCE_REMOVE;
        },
        &timedOut, nullptr);
    g_source_attach(timer, context_.get());
    // Asked once per turn (a predicate may make a request), and once more after the timeout.
    bool held = false;
    while (!(held = predicate()) && !timedOut)
      g_main_context_iteration(context_.get(), TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    g_source_destroy(poll);
    g_source_unref(poll);
    return held;
  }

  // Runs `task` on the context until it finishes: its result, or a timeout error.
  template <typename T>
  Result<T> finish(Task<T> task, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::optional<Result<T>> result;
    task.start(context_.get(), [&](Result<T> done) { result.emplace(std::move(done)); });
    if (!runUntil([&] { return result.has_value(); }, timeout)) {
      return Error{G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the task did not finish in time", {}};
    }
    return std::move(*result);
  }

  // Iterates the context for `duration`: for asserting that something does not happen.
  void runFor(std::chrono::milliseconds duration) {
    runUntil([] { return false; }, duration);
  }

 private:
  GRef<GMainContext> context_;
};

}  // namespace su::test
