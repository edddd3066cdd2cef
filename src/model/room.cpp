#include "model/room.hpp"

#include "json/writer.hpp"
#include "model/janus_mapping.hpp"
#include "model/mountpoint.hpp"
#include "model/rules.hpp"
#include "model/track.hpp"

namespace su::model {

namespace {

void checkCodecList(json::Diagnostics& diagnostics, const std::string& path,
                    const std::optional<std::string>& list, bool (*isKnown)(std::string_view),
                    const char* kind) {
  if (!list) return;
  std::string_view rest = *list;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view codec = rest.substr(0, comma);
    if (!isKnown(codec)) {
      diagnostics.error(path, quoted(codec) + " is not " + kind +
                                  " codec (give a comma-separated list without spaces)");
    }
    if (comma == std::string_view::npos) return;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace

RoomSpec RoomSpec::read(json::ObjectReader& reader) {
  RoomSpec spec;
  spec.room = reader.integer({"room", "room_id"});
  spec.description = reader.string("description");
  spec.secret = reader.string("secret");
  spec.pin = reader.string("pin");
  spec.adminKey = reader.string("admin_key");
  spec.isPrivate = reader.boolean("is_private");
  spec.permanent = reader.boolean("permanent");
  spec.allowed = reader.strings("allowed");
  spec.requirePvtid = reader.boolean("require_pvtid");
  spec.publishers = reader.integer("publishers");
  spec.bitrate = reader.integer("bitrate");
  spec.bitrateCap = reader.boolean("bitrate_cap");
  spec.firFreq = reader.integer("fir_freq");
  spec.audiocodec = reader.string("audiocodec");
  spec.videocodec = reader.string("videocodec");
  spec.h264Profile = reader.string("h264_profile");
  spec.vp9Profile = reader.string("vp9_profile");
  spec.opusFec = reader.boolean("opus_fec");
  spec.opusDtx = reader.boolean("opus_dtx");
  spec.videoSvc = reader.boolean("video_svc");
  spec.record = reader.boolean("record");
  spec.recDir = reader.string("rec_dir");
  spec.lockRecord = reader.boolean("lock_record");
  spec.notifyJoining = reader.boolean("notify_joining");
  spec.requireE2ee = reader.boolean("require_e2ee");
  if (reader.object("extra")) spec.extra = reader.any("extra");
  reader.rejectUnknownFields();
  return spec;
}

void RoomSpec::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  auto at = [&](std::string_view key) { return json::childPath(path, key); };
  checkId(diagnostics, at("room"), room);
  checkNotEmpty(diagnostics, at("secret"), secret);
  checkNotEmpty(diagnostics, at("pin"), pin);
  checkNotEmpty(diagnostics, at("admin_key"), adminKey);
  checkRange(diagnostics, at("publishers"), publishers, 1, 10000);
  checkRange(diagnostics, at("bitrate"), bitrate, 0, kMaxId);
  checkRange(diagnostics, at("fir_freq"), firFreq, 0, 3600);
  checkCodecList(diagnostics, at("audiocodec"), audiocodec, isAudioCodec, "an audio");
  checkCodecList(diagnostics, at("videocodec"), videocodec, isVideoCodec, "a video");
  checkNotEmpty(diagnostics, at("rec_dir"), recDir);
  checkExtraKeys(diagnostics, path, extra, videoRoomCreateKeys());
}

GRef<JsonNode> RoomSpec::toJson() const {
  json::ObjectWriter out;
  out.set("room", room)
      .set("description", description)
      .set("secret", secret)
      .set("pin", pin)
      .set("admin_key", adminKey)
      .set("is_private", isPrivate)
      .set("permanent", permanent)
      .set("allowed", allowed)
      .set("require_pvtid", requirePvtid)
      .set("publishers", publishers)
      .set("bitrate", bitrate)
      .set("bitrate_cap", bitrateCap)
      .set("fir_freq", firFreq)
      .set("audiocodec", audiocodec)
      .set("videocodec", videocodec)
      .set("h264_profile", h264Profile)
      .set("vp9_profile", vp9Profile)
      .set("opus_fec", opusFec)
      .set("opus_dtx", opusDtx)
      .set("video_svc", videoSvc)
      .set("record", record)
      .set("rec_dir", recDir)
      .set("lock_record", lockRecord)
      .set("notify_joining", notifyJoining)
      .set("require_e2ee", requireE2ee)
      .set("extra", extra);
  return out.node();
}

}  // namespace su::model
