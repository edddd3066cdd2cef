// Operator commands on a live Janus: `streaming-utils mountpoint ...` and `room ...`, for
// finding and cleaning up what a broadcast left behind. They print JSON with secrets masked.
#pragma once

namespace su::app {

int runMountpoint(int argc, char** argv);
int runRoom(int argc, char** argv);

}  // namespace su::app
