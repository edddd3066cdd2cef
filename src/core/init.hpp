// Library initialisation: every program and test calls su::init() once before anything else.
#pragma once

#include "core/result.hpp"

namespace su {

enum class InitError { GStreamer = 1 };
GQuark errorDomainOf(InitError);

// Initialises GStreamer (without touching argv) and registers the debug categories.
// Idempotent and thread-safe.
Result<void> init();

}  // namespace su
