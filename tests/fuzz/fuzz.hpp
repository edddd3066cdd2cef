// What every fuzz target shares: the library initialised once (GStreamer, debug categories), the
// input as text, and properties checked with a report that libFuzzer keeps (it saves the input
// that aborted as crash-*). Targets run under AddressSanitizer and UndefinedBehaviorSanitizer;
// GLib criticals are fatal (G_DEBUG=fatal-criticals, as in the tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/init.hpp"

#define SU_FUZZ_CHECK(condition, ...)                            \
  do {                                                           \
    if (!(condition)) {                                          \
      std::fprintf(stderr, "property failed: %s: ", #condition); \
      std::fprintf(stderr, __VA_ARGS__);                         \
      std::fprintf(stderr, "\n");                                \
      std::abort();                                              \
    }                                                            \
  } while (0)

namespace su::fuzz {

inline std::string_view textOf(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace su::fuzz
