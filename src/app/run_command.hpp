// `streaming-utils run [REQUEST.json]`: the main job. Starts one broadcast, shows its status
// and events until Ctrl-C or SIGTERM, then stops it and leaves Janus as it found it. Without a
// request: the demo (a test pattern into a new mountpoint, on a Janus it starts if none answers).
#pragma once

namespace su::app {

int runRun(int argc, char** argv);

}  // namespace su::app
