// Which publisher stream goes to which mountpoint port, and the publishers Janus announces.
#include "orchestrator/room_forward.hpp"

#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "orchestrator/errors.hpp"

namespace su::orchestrator {
namespace {

using model::MediaType;

model::BroadcastRequest roomRequest() {
  auto request = model::BroadcastRequest::fromPayload(R"({"source_kind":"videoroom",
      "room_id":7,"publisher_id":42,"host":"10.0.0.5",
      "room_spec":{"secret":"room-s","admin_key":"key-a"},
      "mountpoint_spec":{"media":[{"type":"video","mid":"v","codec":"h264","pt":100},
                                  {"type":"audio","mid":"a","codec":"opus"}]}})");
  EXPECT_TRUE(request.ok()) << request.error().describe();
  return *request;
}

const std::vector<model::MountPointPort> kPorts{
    {.mid = "v", .type = MediaType::Video, .port = 5002, .rtcpPort = 5003},
    {.mid = "a", .type = MediaType::Audio, .port = 5000}};

TEST(PlanForward, TakesTheNthEnabledStreamOfEachTypeWithTheMountpointsPayloadTypeAndRtcpPort) {
  const janus::RoomPublisher publisher{
      .id = 42,
      .streams = {{.mid = "0", .type = MediaType::Audio},
                  {.mid = "1", .type = MediaType::Video, .disabled = true},
                  {.mid = "2", .type = MediaType::Video}}};
  auto plan = planForward(roomRequest(), 7, kPorts, publisher);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->room, 7);
  EXPECT_EQ(plan->publisherId, 42);
  EXPECT_EQ(plan->host, "10.0.0.5");
  EXPECT_EQ(plan->secret, "room-s");
  EXPECT_EQ(plan->adminKey, "key-a");
  ASSERT_EQ(plan->streams.size(), 2u);
  EXPECT_EQ(plan->streams[0].mid, "2") << "the disabled video stream is skipped";
  EXPECT_EQ(plan->streams[0].port, 5002);
  EXPECT_EQ(plan->streams[0].pt, 100);
  EXPECT_EQ(plan->streams[0].rtcpPort, 5003);
  EXPECT_EQ(plan->streams[1].mid, "0");
  EXPECT_EQ(plan->streams[1].port, 5000);
  EXPECT_EQ(plan->streams[1].pt, 111) << "opus's default payload type";
  EXPECT_FALSE(plan->streams[1].rtcpPort);
}

TEST(PlanForward, NamesEveryMountpointMediaThePublisherHasNoStreamFor) {
  const janus::RoomPublisher audioOnly{.id = 42,
                                       .streams = {{.mid = "0", .type = MediaType::Audio}}};
  auto plan = planForward(roomRequest(), 7, kPorts, audioOnly);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.error().is(errorDomainOf(BroadcastError::PublisherMismatch),
                              static_cast<int>(BroadcastError::PublisherMismatch)));
  EXPECT_EQ(plan.error().message, "publisher 42 publishes no stream for video media v (port 5002)");
}

TEST(ParsePublishers, ReadsIdsDisplaysAndStreams) {
  auto data = json::parse(R"({"videoroom":"event","room":7,"publishers":[
      {"id":42,"display":"alice","streams":[{"type":"audio","mindex":0,"mid":"0","codec":"opus"},
      {"type":"video","mindex":1,"mid":"1","codec":"h264","disabled":true}]},{"id":43}]})");
  ASSERT_TRUE(data.ok());
  auto publishers = janus::parsePublishers(json::Value::of(*data));
  ASSERT_TRUE(publishers.ok()) << publishers.error().message;
  ASSERT_EQ(publishers->size(), 2u);
  EXPECT_EQ((*publishers)[0].id, 42);
  EXPECT_EQ((*publishers)[0].display, "alice");
  ASSERT_EQ((*publishers)[0].streams.size(), 2u);
  EXPECT_EQ((*publishers)[0].streams[1].type, MediaType::Video);
  EXPECT_TRUE((*publishers)[0].streams[1].disabled);
  EXPECT_EQ((*publishers)[0].streams[1].codec, "h264");
  EXPECT_FALSE((*publishers)[1].display);
  EXPECT_TRUE((*publishers)[1].streams.empty());

  auto noId = json::parse(R"({"publishers":[{"display":"x"}]})");
  EXPECT_FALSE(janus::parsePublishers(json::Value::of(*noId)).ok());
}

}  // namespace
}  // namespace su::orchestrator
