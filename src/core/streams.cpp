#include "core/streams.hpp"

namespace su {

// The awaitables are named before they are awaited: g++ 12 destroys a lambda that owns what it
// captured twice when it is a temporary of a co_await expression (docs/architecture.md).

ReadBuffer makeReadBuffer(std::size_t size) {
  return std::make_shared<std::vector<char>>(size);
}

Task<gssize> readSome(GRef<GInputStream> input, ReadBuffer buffer) {
  auto reading = gio<gssize>(
      [input, buffer](GCancellable* cancellable, GAsyncReadyCallback ready, gpointer data) {
        g_input_stream_read_async(input.get(), buffer->data(), buffer->size(), G_PRIORITY_DEFAULT,
                                  cancellable, ready, data);
      },
      [input, buffer](GAsyncResult* result, GError** error) {
        return g_input_stream_read_finish(input.get(), result, error);
      });
  co_return co_await reading;
}

Task<void> writeAll(GRef<GOutputStream> output, std::shared_ptr<const std::string> bytes) {
  auto writing = gio<bool>(
      [output, bytes](GCancellable* cancellable, GAsyncReadyCallback ready, gpointer data) {
        g_output_stream_write_all_async(output.get(), bytes->data(), bytes->size(),
                                        G_PRIORITY_DEFAULT, cancellable, ready, data);
      },
      [output, bytes](GAsyncResult* result, GError** error) {
        return g_output_stream_write_all_finish(output.get(), result, nullptr, error) != 0;
      });
  auto written = co_await writing;
  if (!written) co_return written.error();
  co_return {};
}

Task<void> drain(GRef<GInputStream> input) {
  auto buffer = makeReadBuffer(4096);
  for (;;) {
    auto got = co_await readSome(input, buffer);
    if (!got || *got == 0) co_return {};
  }
}

}  // namespace su
