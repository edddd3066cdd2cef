// janussink: encoded audio and video on request pads, sent as RTP to a Janus Streaming
// mountpoint through the same output branches as the relays (src/media/output).
//
//   gst-launch-1.0 videotestsrc is-live=true ! x264enc ! janussink
//       janus-url=ws://127.0.0.1:8188 mountpoint-id=9001 create-mountpoint=true
//
// On NULL -> READY the element learns the mountpoint: it creates it (create-mountpoint=true,
// from mountpoint-spec or, without one, one media per requested pad) or asks Janus for an
// existing one (its ports need its secret). Pad video_N feeds the mountpoint's video media
// taking video stream N (its `mindex`, else the N-th video media); audio_N likewise. Each pad's
// branch is built when its caps arrive: what the media accepts passes through, the rest is
// transcoded. On READY -> NULL it destroys the mountpoint if it created it and destroy-on-stop
// is set; it never destroys one it did not create.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SU_TYPE_JANUS_SINK (su_janus_sink_get_type())
G_DECLARE_FINAL_TYPE(SuJanusSink, su_janus_sink, SU, JANUS_SINK, GstBin)

GST_ELEMENT_REGISTER_DECLARE(janussink);

G_END_DECLS
