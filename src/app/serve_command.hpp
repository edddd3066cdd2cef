// `streaming-utils serve`: the ingest-node service — the HTTP control API, any number of
// broadcasts, and a worker on the configured queue — until SIGTERM, then the drain.
#pragma once

namespace su::app {

int runServe(int argc, char** argv);

}  // namespace su::app
