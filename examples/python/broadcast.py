#!/usr/bin/env python3
"""Starts a broadcast into Janus through the StreamingUtils GObject API, prints what happens,
and stops it on Ctrl-C (SIGINT) or SIGTERM, leaving Janus as it was.

    examples/python/broadcast.py [--janus-url ws://127.0.0.1:8188] [--request data/examples/test_pattern.json]

Installed, `from gi.repository import StreamingUtils` just works; from a build tree, point
GI_TYPELIB_PATH and LD_LIBRARY_PATH at build/src/gobject (and build/src) first.
"""
import argparse
import json
import signal
import sys

import gi

gi.require_version("StreamingUtils", "1.0")
from gi.repository import GLib, StreamingUtils  # noqa: E402

TEST_PATTERN = {
    "source_kind": "test_pattern",
    "mountpoint_spec": {
        "description": "StreamingUtils from Python",
        "media": [{"type": "audio", "codec": "opus"}, {"type": "video", "codec": "h264"}],
    },
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--janus-url", default="ws://127.0.0.1:8188")
    parser.add_argument("--request", help="a broadcast request (JSON file); default: a test pattern")
    args = parser.parse_args()
    request = open(args.request).read() if args.request else json.dumps(TEST_PATTERN)

    loop = GLib.MainLoop()
    service = StreamingUtils.Service(janus_url=args.janus_url)
    outcome = {"status": 1, "broadcast": None}

    def say(text):
        print(text, flush=True)

    service.connect("broadcast-state-changed",
                    lambda _s, broadcast, state: say(f"{broadcast.props.id}: {state}"))
    service.connect("broadcast-event",
                    lambda _s, broadcast, event, _details: say(f"{broadcast.props.id}: event {event}"))
    service.connect("broadcast-error",
                    lambda _s, broadcast, phase, error: say(f"{broadcast.props.id}: error in {phase}: {error.message}"))

    def stopped(service, result):
        try:
            service.stop_finish(result)
            say("stopped")
            outcome["status"] = 0
        except GLib.Error as error:
            say(f"stop failed: {error.message}")
        loop.quit()

    def stop():
        broadcast = outcome["broadcast"]
        if broadcast is None:
            loop.quit()
        else:
            say("stopping")
            service.stop_async(broadcast.props.id, None, stopped)
        return GLib.SOURCE_REMOVE

    def started(service, result):
        try:
            broadcast = service.start_finish(result)
        except GLib.Error as error:
            say(f"start failed: {error.message}")
            loop.quit()
            return
        outcome["broadcast"] = broadcast
        ports = broadcast.props.ports.unpack() if broadcast.props.ports else {}
        say(f"running: broadcast {broadcast.props.id}, mountpoint {broadcast.props.mountpoint_id}, ports {ports}")

    def connected(service, result):
        try:
            service.connect_finish(result)
        except GLib.Error as error:
            say(f"connect failed: {error.message}")
            loop.quit()
            return
        service.start_async(request, None, started)

    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, stop)
    service.connect_async(None, connected)
    loop.run()
    del service  # stops whatever is left, on this thread
    return outcome["status"]


if __name__ == "__main__":
    sys.exit(main())
