#include "support/rtsp_server.hpp"

#include <gst/rtsp-server/rtsp-server.h>
#include <gtest/gtest.h>

namespace su::test {

std::unique_ptr<RtspTestServer> RtspTestServer::start(GMainContext* context, Options options) {
  auto server = std::make_unique<RtspTestServer>();
  GstRTSPServer* rtsp = gst_rtsp_server_new();
  server->server_ = GRef<GObject>::adopt(G_OBJECT(rtsp));
  server->host_ = options.host;
  gst_rtsp_server_set_address(rtsp, options.host.c_str());
  gst_rtsp_server_set_service(rtsp, "0");

  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(
      factory,
      "( videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! "
      "video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 "
      "audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc ! "
      "rtpopuspay name=pay1 pt=97 )");
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  if (options.udpOnly) gst_rtsp_media_factory_set_protocols(factory, GST_RTSP_LOWER_TRANS_UDP);
  if (options.user) {
    GstRTSPAuth* auth = gst_rtsp_auth_new();
    GstRTSPToken* token =
        gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "viewer", nullptr);
    gchar* basic =
        gst_rtsp_auth_make_basic(options.user->c_str(), options.password.value_or("").c_str());
    gst_rtsp_auth_add_basic(auth, basic, token);
    g_free(basic);
    gst_rtsp_token_unref(token);
    gst_rtsp_server_set_auth(rtsp, auth);
    g_object_unref(auth);
    gst_rtsp_media_factory_add_role(factory, "viewer", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                    G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                    G_TYPE_BOOLEAN, TRUE, nullptr);
  }
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(rtsp);
  gst_rtsp_mount_points_add_factory(mounts, "/camera", factory);  // takes the factory
  g_object_unref(mounts);

  GUnique<GError> error;
  auto source = GRef<GSource>::adopt(gst_rtsp_server_create_source(rtsp, nullptr, error.outPtr()));
  EXPECT_TRUE(source) << (error ? error->message : "");
  if (!source) return nullptr;
  server->source_ = Source::attach(std::move(source), context);
  server->port_ = gst_rtsp_server_get_bound_port(rtsp);
  return server;
}

std::string RtspTestServer::url() const {
  return "rtsp://" + host_ + ":" + std::to_string(port_) + "/camera";
}

}  // namespace su::test
