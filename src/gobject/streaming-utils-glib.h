/* The StreamingUtils GObject API: #include <streaming-utils-glib.h> */
#pragma once

#include "su-broadcast-request.h"
#include "su-broadcast.h"
#include "su-error.h"
#include "su-queue.h"
#include "su-service.h"
#include "su-version.h"
