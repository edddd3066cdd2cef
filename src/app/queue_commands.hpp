// The queue commands: `enqueue` (a start or stop job onto a queue), `worker` (claims jobs and
// runs them until SIGTERM, then drains) and `queue stats` (lag, pending per consumer, dead
// letters).
#pragma once

namespace su::app {

int runEnqueue(int argc, char** argv);
int runWorker(int argc, char** argv);
int runQueue(int argc, char** argv);

}  // namespace su::app
