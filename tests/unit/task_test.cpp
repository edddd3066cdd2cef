// su::Task and its awaitables: where continuations run, what destroying a task cancels, and that
// no exception escapes a coroutine.
#include "core/task.hpp"

#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/main_context_test.hpp"

namespace su {
namespace {

using namespace std::chrono_literals;
using test::MainContextTest;

using TaskTest = MainContextTest;

Error testError(const std::string& message) {
  return Error{G_IO_ERROR, G_IO_ERROR_FAILED, message, {}};
}

Task<int> answerAfter(Milliseconds delay, int value) {
  co_await sleep(delay);
  co_return value;
}

TEST_F(TaskTest, RunsOnItsContextNeverInsideStart) {
  std::vector<std::string> steps;
  auto body = [&]() -> Task<int> {
    steps.push_back("body");
    co_return 42;
  };
  std::optional<Result<int>> result;
  Task<int> task = body();
  task.start(context(), [&](Result<int> value) { result.emplace(std::move(value)); });
  steps.push_back("after start");
  EXPECT_FALSE(result);
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  ASSERT_TRUE(*result);
  EXPECT_EQ(result->value(), 42);
  EXPECT_EQ(steps, (std::vector<std::string>{"after start", "body"}));
  EXPECT_TRUE(task.finished());
}

TEST_F(TaskTest, AwaitedTasksRunInOrderAndGiveTheirResults) {
  std::vector<int> order;
  auto body = [&]() -> Task<int> {
    auto first = co_await answerAfter(10ms, 1);
    order.push_back(first.value());
    auto second = co_await answerAfter(1ms, 2);
    order.push_back(second.value());
    co_return first.value() + second.value();
  };
  std::optional<Result<int>> result;
  Task<int> task = body();
  task.start(context(), [&](Result<int> value) { result.emplace(std::move(value)); });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  EXPECT_EQ(result->value(), 3);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST_F(TaskTest, ErrorsAreResultsAndExceptionsBecomeErrors) {
  auto failing = []() -> Task<int> {
    co_await sleep(1ms);
    co_return testError("refused");
  };
  auto throwing = []() -> Task<void> {
    co_await sleep(1ms);
    throw std::runtime_error("boom");
  };
  auto body = [&]() -> Task<std::string> {
    auto failed = co_await failing();
    auto thrown = co_await throwing();
    if (failed || thrown) co_return std::string("should have failed");
    co_return failed.error().message + " / " + thrown.error().message;
  };
  std::optional<Result<std::string>> result;
  Task<std::string> task = body();
  task.start(context(), [&](Result<std::string> value) { result.emplace(std::move(value)); });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  ASSERT_TRUE(*result);
  EXPECT_EQ(result->value(), "refused / internal error: boom");
}

TEST_F(TaskTest, ContinuationsFromAnotherThreadResumeOnTheContext) {
  const std::thread::id mainThread = std::this_thread::get_id();
  std::thread worker;
  std::thread::id resumedOn;
  auto body = [&]() -> Task<int> {
    auto value = co_await call<int>([&](Callback<int> done) {
      worker = std::thread([done] {
        g_usleep(5000);
        done(7);
      });
    });
    resumedOn = std::this_thread::get_id();
    co_return value;
  };
  std::optional<Result<int>> result;
  Task<int> task = body();
  task.start(context(), [&](Result<int> value) { result.emplace(std::move(value)); });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  worker.join();
  EXPECT_EQ(result->value(), 7);
  EXPECT_EQ(resumedOn, mainThread);
}

TEST_F(TaskTest, ACallbackCalledAtOnceStillResumesFromTheContext) {
  int depth = 0;
  int depthAtResume = -1;
  auto body = [&]() -> Task<int> {
    ++depth;  // "inside the caller": the call below answers before it returns
    auto value = co_await call<int>([](Callback<int> done) { done(5); });
    depthAtResume = depth;
    co_return value;
  };
  Task<int> task = body();
  std::optional<Result<int>> result;
  task.start(context(), [&](Result<int> value) {
    --depth;
    result.emplace(std::move(value));
  });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  EXPECT_EQ(depthAtResume, 1);
}

TEST_F(TaskTest, DestroyingASuspendedTaskCancelsWhatItAwaitsAndNeverResumes) {
  auto held = std::make_shared<int>(0);  // a local of the coroutine: freed with its frame
  bool resumed = false;
  bool cancelCalled = false;
  Callback<int> lateAnswer;
  bool doneCalled = false;
  {
    auto body = [&](std::shared_ptr<int> local) -> Task<int> {
      co_await sleep(1ms);
      auto value = co_await call<int>([&](Callback<int> done) { lateAnswer = std::move(done); },
                                      [&] { cancelCalled = true; });
      resumed = true;
      co_return *local + value.value();
    };
    Task<int> task = body(held);
    task.start(context(), [&](Result<int>) { doneCalled = true; });
    ASSERT_TRUE(runUntil([&] { return static_cast<bool>(lateAnswer); }));
    EXPECT_EQ(held.use_count(), 2);
  }
  EXPECT_TRUE(cancelCalled) << "the pending call is told nobody waits";
  EXPECT_EQ(held.use_count(), 1) << "the frame and its locals are gone";
  lateAnswer(3);  // an answer after the task: dropped
  runFor(30ms);
  EXPECT_FALSE(resumed);
  EXPECT_FALSE(doneCalled);
}

TEST_F(TaskTest, DestroyingATaskBeforeItStartsRunsNothing) {
  bool ran = false;
  auto body = [&]() -> Task<void> {
    ran = true;
    co_return {};
  };
  {
    Task<void> task = body();
    task.start(context());
  }
  runFor(20ms);
  EXPECT_FALSE(ran);
}

TEST_F(TaskTest, DestroyedSleepingTaskLeavesNoTimerBehind) {
  bool woke = false;
  auto body = [&]() -> Task<void> {
    co_await sleep(Milliseconds(200 * timeScale()));
    woke = true;
    co_return {};
  };
  {
    Task<void> task = body();
    task.start(context());
    runFor(10ms);  // started, sleeping (runFor scales with valgrind, the sleep too)
  }
  runFor(400ms);
  EXPECT_FALSE(woke);
}

// The owner lets go of the task from inside the task's own code (a stop that releases the
// broadcast running it): the step finishes, the frame goes when it suspends, nothing runs after.
TEST_F(TaskTest, DestroyedFromInsideItsOwnContinuation) {
  auto held = std::make_shared<int>(0);
  std::unique_ptr<Task<void>> owner;
  bool afterRelease = false;
  bool afterSuspend = false;
  auto body = [&](std::shared_ptr<int>) -> Task<void> {
    co_await sleep(1ms);
    owner.reset();  // destroys the Task that owns this very frame
    afterRelease = true;
    co_await sleep(1ms);
    afterSuspend = true;
    co_return {};
  };
  owner = std::make_unique<Task<void>>(body(held));
  owner->start(context());
  ASSERT_TRUE(runUntil([&] { return afterRelease; }));
  EXPECT_EQ(held.use_count(), 1) << "the frame went once the step suspended";
  runFor(20ms);
  EXPECT_FALSE(afterSuspend);
}

TEST_F(TaskTest, DoneMayDestroyTheTask) {
  auto held = std::make_shared<int>(0);
  std::unique_ptr<Task<int>> owner;
  std::optional<int> got;
  auto body = [](std::shared_ptr<int> local) -> Task<int> {
    co_await sleep(1ms);
    co_return *local + 9;
  };
  owner = std::make_unique<Task<int>>(body(held));
  owner->start(context(), [&](Result<int> value) {
    got = value.value();
    owner.reset();
  });
  ASSERT_TRUE(runUntil([&] { return got.has_value(); }));
  EXPECT_EQ(*got, 9);
  EXPECT_EQ(held.use_count(), 1);
}

TEST_F(TaskTest, AnyOfTakesTheFirstAndCancelsTheRest) {
  auto loserHeld = std::make_shared<int>(0);
  bool loserFinished = false;
  auto slow = [&](std::shared_ptr<int>) -> Task<int> {
    co_await sleep(200ms);
    loserFinished = true;
    co_return 1;
  };
  std::optional<Result<int>> result;
  auto body = [&]() -> Task<int> {
    co_return co_await anyOf(slow(loserHeld), answerAfter(5ms, 2));
  };
  Task<int> task = body();
  task.start(context(), [&](Result<int> value) { result.emplace(std::move(value)); });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  EXPECT_EQ(result->value(), 2);
  EXPECT_EQ(loserHeld.use_count(), 1) << "the loser's frame is gone";
  runFor(250ms);
  EXPECT_FALSE(loserFinished);
}

TEST_F(TaskTest, AnyOfWithATimeout) {
  std::optional<Result<int>> result;
  auto body = [&]() -> Task<int> {
    co_return co_await anyOf(answerAfter(500ms, 1), failAfter<int>(10ms, testError("timed out")));
  };
  Task<int> task = body();
  task.start(context(), [&](Result<int> value) { result.emplace(std::move(value)); });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().message, "timed out");
}

TEST_F(TaskTest, AnyOfWhoseFirstFinishesAtOnceNeverStartsTheRest) {
  bool secondStarted = false;
  auto immediate = []() -> Task<int> { co_return 1; };
  auto second = [&]() -> Task<int> {
    secondStarted = true;
    co_return 2;
  };
  std::optional<Result<int>> result;
  auto body = [&]() -> Task<int> { co_return co_await anyOf(immediate(), second()); };
  Task<int> task = body();
  task.start(context(), [&](Result<int> value) { result.emplace(std::move(value)); });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  EXPECT_EQ(result->value(), 1);
  EXPECT_FALSE(secondStarted);
}

TEST_F(TaskTest, ConditionWakesWaitersThatCheckAgain) {
  Condition changed;
  int value = 0;
  std::optional<Result<int>> result;
  auto body = [&]() -> Task<int> {
    while (value < 3)
      co_await changed.next();
    co_return value;
  };
  Task<int> task = body();
  task.start(context(), [&](Result<int> got) { result.emplace(std::move(got)); });
  Source ticks = Source::timeout(context(), 2ms, [&] {
    ++value;
    changed.notify();
    return value < 5;
  });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  EXPECT_EQ(result->value(), 3);
}

TEST_F(TaskTest, TriggerStopsAWaitThroughFailWhen) {
  Trigger stop;
  std::optional<Result<int>> result;
  auto body = [&]() -> Task<int> {
    co_return co_await anyOf(answerAfter(5s, 1), failWhen<int>(stop, cancelledError()));
  };
  Task<int> task = body();
  task.start(context(), [&](Result<int> got) { result.emplace(std::move(got)); });
  runFor(10ms);
  EXPECT_FALSE(result);
  stop.fire();
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }, 1s));
  ASSERT_FALSE(*result);
  EXPECT_TRUE(result->error().isCancelled());

  // A trigger that already fired does not wait.
  std::optional<Result<void>> again;
  auto second = [&]() -> Task<void> { co_return co_await stop.wait(); };
  Task<void> task2 = second();
  task2.start(context(), [&](Result<void> got) { again.emplace(std::move(got)); });
  EXPECT_TRUE(runUntil([&] { return again.has_value(); }, 1s));
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    GError* error = nullptr;
    gchar* name = nullptr;
    const int fd = g_file_open_tmp("su-task-test-XXXXXX", &name, &error);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
    g_free(name);
    EXPECT_TRUE(g_file_set_contents(path_.c_str(), contents.c_str(), -1, nullptr));
  }
  ~TempFile() { g_unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Task<std::string> loadContents(GFile* file) {
  auto contents = co_await gio<std::string>(
      [file](GCancellable* cancellable, GAsyncReadyCallback ready, gpointer data) {
        g_file_load_contents_async(file, cancellable, ready, data);
      },
      [file](GAsyncResult* async, GError** error) {
        gchar* bytes = nullptr;
        gsize length = 0;
        if (!g_file_load_contents_finish(file, async, &bytes, &length, nullptr, error)) {
          return std::string();
        }
        std::string text(bytes, length);
        g_free(bytes);
        return text;
      });
  co_return contents;
}

TEST_F(TaskTest, GioCallsCompleteAndFail) {
  TempFile temp("hello from GIO");
  auto file = GRef<GFile>::adopt(g_file_new_for_path(temp.path().c_str()));
  auto missing = GRef<GFile>::adopt(g_file_new_for_path("/nonexistent/su-task-test"));
  std::optional<Result<std::string>> found;
  std::optional<Result<std::string>> notFound;
  Task<std::string> one = loadContents(file.get());
  one.start(context(), [&](Result<std::string> got) { found.emplace(std::move(got)); });
  Task<std::string> two = loadContents(missing.get());
  two.start(context(), [&](Result<std::string> got) { notFound.emplace(std::move(got)); });
  ASSERT_TRUE(runUntil([&] { return found.has_value() && notFound.has_value(); }));
  ASSERT_TRUE(*found);
  EXPECT_EQ(found->value(), "hello from GIO");
  ASSERT_FALSE(*notFound);
  EXPECT_TRUE(notFound->error().is(G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
}

// A read from a peer that never sends: pending until cancelled. Destroying the task cancels
// the call's GCancellable; GIO then answers (cancelled), and nothing resumes.
TEST_F(TaskTest, DestroyingATaskCancelsItsGioCall) {
  GSocketListener* listener = g_socket_listener_new();
  const guint16 port = g_socket_listener_add_any_inet_port(listener, nullptr, nullptr);
  ASSERT_NE(port, 0);
  GSocketClient* client = g_socket_client_new();
  GSocketConnection* connection =
      g_socket_client_connect_to_host(client, "127.0.0.1", port, nullptr, nullptr);
  ASSERT_NE(connection, nullptr);
  GInputStream* input = g_io_stream_get_input_stream(G_IO_STREAM(connection));
  char buffer[16];
  std::optional<bool> finishedCancelled;
  bool resumed = false;
  auto body = [&]() -> Task<gssize> {
    auto read = co_await gio<gssize>(
        [&](GCancellable* cancellable, GAsyncReadyCallback ready, gpointer data) {
          g_input_stream_read_async(input, buffer, sizeof buffer, G_PRIORITY_DEFAULT, cancellable,
                                    ready, data);
        },
        [&](GAsyncResult* async, GError** error) {
          const gssize got = g_input_stream_read_finish(input, async, error);
          finishedCancelled = *error && g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          return got;
        });
    resumed = true;
    co_return read;
  };
  {
    Task<gssize> task = body();
    task.start(context());
    runFor(50ms);  // the read is pending: the peer sends nothing
    EXPECT_FALSE(finishedCancelled.has_value());
  }
  ASSERT_TRUE(runUntil([&] { return finishedCancelled.has_value(); }));
  EXPECT_TRUE(*finishedCancelled);
  runFor(20ms);
  EXPECT_FALSE(resumed);
  g_object_unref(connection);
  g_object_unref(client);
  g_socket_listener_close(listener);
  g_object_unref(listener);
}

}  // namespace
}  // namespace su
