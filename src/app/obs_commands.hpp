// `streaming-utils obs ...`: OBS Studio over obs-websocket 5, for operators and scripts.
#pragma once

namespace su::app {

int runObs(int argc, char** argv);

}  // namespace su::app
