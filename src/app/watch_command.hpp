// `streaming-utils watch ID`: watches a Janus Streaming mountpoint over WebRTC as a browser
// would, and reports what it decodes (or shows it, with --display).
#pragma once

namespace su::app {

int runWatch(int argc, char** argv);

}  // namespace su::app
