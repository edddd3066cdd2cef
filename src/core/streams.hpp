// Reading and writing GIO streams from tasks (a socket, a TLS connection): each call is one
// asynchronous GIO operation, cancelled when the awaiting task goes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/gref.hpp"
#include "core/task.hpp"

namespace su {

// Where a read puts what it got: shared with GIO until GIO is done with it (a cancelled read
// still completes later).
using ReadBuffer = std::shared_ptr<std::vector<char>>;
ReadBuffer makeReadBuffer(std::size_t size);

// What `input` has now (at most the buffer's size), waiting until it has something: the byte
// count, 0 at its end.
Task<gssize> readSome(GRef<GInputStream> input, ReadBuffer buffer);
// All of `bytes`.
Task<void> writeAll(GRef<GOutputStream> output, std::shared_ptr<const std::string> bytes);
// Reads and drops what comes until the end of the stream (or an error).
Task<void> drain(GRef<GInputStream> input);

}  // namespace su
