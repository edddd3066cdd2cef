// `streaming-utils validate FILE|-`: checks a broadcast request, job envelope or broadcast
// result and prints it normalized and redacted, or prints every problem and exits 2.
#pragma once

namespace su::app {

int runValidate(int argc, char** argv);

}  // namespace su::app
