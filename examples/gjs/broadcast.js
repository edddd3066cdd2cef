#!/usr/bin/env -S gjs -m
// Starts a broadcast into Janus through the StreamingUtils GObject API, prints what happens, and
// stops it on Ctrl-C (SIGINT) or SIGTERM, leaving Janus as it was. GJS, written top to bottom
// with async/await over the API's _async/_finish pairs.
//
//     gjs -m examples/gjs/broadcast.js [--janus-url ws://127.0.0.1:8188] [--request FILE.json]
//
// Installed, `gi://StreamingUtils` just works; from a build tree, point GI_TYPELIB_PATH and
// LD_LIBRARY_PATH at build/src/gobject (and build/src) first.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import StreamingUtils from 'gi://StreamingUtils?version=1.0';
import system from 'system';

for (const method of ['connect', 'start_request', 'stop'])
    Gio._promisify(StreamingUtils.Service.prototype, `${method}_async`, `${method}_finish`);

function option(name, fallback) {
    const at = ARGV.indexOf(name);
    return at >= 0 && at + 1 < ARGV.length ? ARGV[at + 1] : fallback;
}

// The request from a JSON file, or a test pattern built field by field.
function requestOf(path) {
    if (path) {
        const [, bytes] = GLib.file_get_contents(path);
        return StreamingUtils.BroadcastRequest.new_from_json(new TextDecoder().decode(bytes));
    }
    const request = new StreamingUtils.BroadcastRequest({
        source_kind: 'test_pattern',
        description: 'StreamingUtils from GJS',
    });
    request.add_media('audio', 'opus');
    request.add_media('video', 'h264');
    return request;
}

// Resolves on the first SIGINT or SIGTERM.
function interrupted() {
    return new Promise(resolve => {
        const ids = [2, 15].map(signum => GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, () => {
            ids.forEach(id => GLib.source_remove(id));
            resolve();
            return GLib.SOURCE_REMOVE;
        }));
    });
}

async function main() {
    const service = new StreamingUtils.Service({janus_url: option('--janus-url', 'ws://127.0.0.1:8188')});
    service.connect('broadcast-state-changed', (_s, broadcast, state) => print(`${broadcast.id}: ${state}`));
    service.connect('broadcast-event', (_s, broadcast, event) => print(`${broadcast.id}: event ${event}`));
    service.connect('broadcast-error', (_s, broadcast, phase, error) =>
        print(`${broadcast.id}: error in ${phase}: ${error.message}`));
    const stop = interrupted();
    try {
        const request = requestOf(option('--request', null));
        await service.connect_async(null);
        const broadcast = await service.start_request_async(request, null);
        const ports = broadcast.ports ? JSON.stringify(broadcast.ports.recursiveUnpack()) : '{}';
        print(`running: broadcast ${broadcast.id}, mountpoint ${broadcast.mountpoint_id}, ports ${ports}`);
        await stop;
        print('stopping');
        await service.stop_async(broadcast.id, null);
        print('stopped');
        return 0;
    } catch (error) {
        print(`failed: ${error.message}`);
        return 1;
    } finally {
        service.run_dispose();  // stops whatever is left, on this thread
    }
}

const loop = new GLib.MainLoop(null, false);
let status = 1;
main().then(result => {
    status = result;
    loop.quit();
});
loop.run();
system.exit(status);
