// `streaming-utils`: one program, one subcommand per job.
#include <cstdio>
#include <cstring>

#include "app/cluster_command.hpp"
#include "app/exit_codes.hpp"
#include "app/janus_commands.hpp"
#include "app/obs_commands.hpp"
#include "app/queue_commands.hpp"
#include "app/run_command.hpp"
#include "app/serve_command.hpp"
#include "app/validate_command.hpp"
#include "app/watch_command.hpp"
#include "su_config.h"

namespace {

constexpr const char* kUsage =
    "usage: streaming-utils COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  run [REQUEST.json] run one broadcast until Ctrl-C, showing its status; without a request,\n"
    "                    a demo (a test pattern into a new mountpoint, on a Janus of its own if\n"
    "                    none answers)\n"
    "  validate FILE|-   check a broadcast request, job envelope or result and print it\n"
    "                    normalized with secrets masked (exit 2 and every problem if invalid)\n"
    "  mountpoint ...    list, info, create, destroy Janus Streaming mountpoints\n"
    "  room ...          exists, create, destroy a VideoRoom room; list its forwarders\n"
    "  obs ...           OBS Studio: stream status, configure custom RTMP, start, stop\n"
    "  watch ID          watch a mountpoint over WebRTC and report (or show) what is decoded\n"
    "  serve             the ingest-node service: HTTP API, broadcasts, a queue worker\n"
    "  enqueue ...       put a start (REQUEST.json) or stop (--stop ID) job on a queue\n"
    "  worker            claim jobs from a queue and run them until SIGTERM, then drain\n"
    "  queue stats       a queue's lag, pending jobs per consumer and dead letters\n"
    "  cluster ...       status: a cluster's nodes, owners and orphans; keygen: its key\n"
    "\n"
    "Options:\n"
    "  -h, --help        this help (COMMAND --help for a command's own)\n"
    "  --version         the version\n"
    "\n"
    "Every command also takes GStreamer's options, as gst-launch-1.0 does: --gst-debug=su*:5,\n"
    "--gst-debug-level=N, --gst-debug-no-color, --gst-plugin-path=DIR... (COMMAND --help-gst\n"
    "lists them).\n"
    "\n"
    "Logging: --gst-debug=su*:5 or GST_DEBUG=su*:5 (categories su, su-janus, su-obs, su-media,\n"
    "su-supervisor, su-queue, su-orchestrator).\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return su::app::kExitUsage;
  }
  const char* command = argv[1];
  if (std::strcmp(command, "-h") == 0 || std::strcmp(command, "--help") == 0) {
    std::fputs(kUsage, stdout);
    return su::app::kExitOk;
  }
  if (std::strcmp(command, "--version") == 0) {
    std::printf("streaming-utils %s\n", SU_VERSION);
    return su::app::kExitOk;
  }
  // Each command parses its options first (GStreamer's among them), then initialises.
  if (std::strcmp(command, "run") == 0) return su::app::runRun(argc - 2, argv + 2);
  if (std::strcmp(command, "validate") == 0) return su::app::runValidate(argc - 2, argv + 2);
  if (std::strcmp(command, "mountpoint") == 0) return su::app::runMountpoint(argc - 2, argv + 2);
  if (std::strcmp(command, "room") == 0) return su::app::runRoom(argc - 2, argv + 2);
  if (std::strcmp(command, "obs") == 0) return su::app::runObs(argc - 2, argv + 2);
  if (std::strcmp(command, "watch") == 0) return su::app::runWatch(argc - 2, argv + 2);
  if (std::strcmp(command, "serve") == 0) return su::app::runServe(argc - 2, argv + 2);
  if (std::strcmp(command, "enqueue") == 0) return su::app::runEnqueue(argc - 2, argv + 2);
  if (std::strcmp(command, "worker") == 0) return su::app::runWorker(argc - 2, argv + 2);
  if (std::strcmp(command, "queue") == 0) return su::app::runQueue(argc - 2, argv + 2);
  if (std::strcmp(command, "cluster") == 0) return su::app::runCluster(argc - 2, argv + 2);
  std::fprintf(stderr, "error: unknown command '%s'\n\n%s", command, kUsage);
  return su::app::kExitUsage;
}
