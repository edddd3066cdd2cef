// An RTMP play client that reads in its own streaming thread: one RTMP message per buffer, as
// FLV (for flvdemux). Its RTMP is the library's own (media/rtmp_play.hpp, rtmp_protocol.hpp):
// librtmp, which did it before, let a server write past a buffer and leaked a cut message's body.
//
// Why not rtmp2src: it reads on an I/O thread of its own and hands every message to the streaming
// thread, two wake-ups per message; with dozens of relays on a node those hand-overs are what an
// in-process relay paid over an ffmpeg process (bench/README.md, "CPU at scale"). Why not
// librtmp's rtmpsrc: it connects inside the state change (on whoever sets the state), its
// unlock() frees the connection the streaming thread may be reading, and it fills 4 KB per
// buffer (half a second of a 64 kbit/s audio-only stream).
//
// Here the TCP connection is GIO's (the name resolved by GLib, IPv6 included, bounded by
// `timeout`, cancelled by unlock()), made in the first create(), in the streaming thread: a state
// change never waits on the network. The play session then talks on a blocking duplicate of that
// socket; unlock() shuts the socket down, which wakes a blocked read without freeing anything;
// stop() frees the connection once the streaming thread has left.
//
// Plain rtmp:// only; rtmps:// (TLS) stays with rtmp2src.
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define SU_TYPE_RTMP_READER (su_rtmp_reader_get_type())
G_DECLARE_FINAL_TYPE(SuRtmpReader, su_rtmp_reader, SU, RTMP_READER, GstPushSrc)

G_END_DECLS
