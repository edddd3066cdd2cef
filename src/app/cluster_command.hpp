// `streaming-utils cluster`: a cluster of serve nodes as operators see it (status), and its key
// (keygen).
#pragma once

namespace su::app {

int runCluster(int argc, char** argv);

}  // namespace su::app
