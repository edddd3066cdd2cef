// The public API of streaming-utils in one include: `#include <streaming-utils.hpp>` with
// `pkg-config --cflags --libs streaming-utils-1.0`. What each part is for: docs/api.md.
#pragma once

#include "core/callbacks.hpp"
#include "core/error.hpp"
#include "core/init.hpp"
#include "core/result.hpp"
#include "json/value.hpp"
#include "model/broadcast_request.hpp"
#include "model/broadcast_result.hpp"
#include "model/job_envelope.hpp"
#include "model/redaction.hpp"
#include "orchestrator/observer.hpp"
#include "service/service.hpp"
