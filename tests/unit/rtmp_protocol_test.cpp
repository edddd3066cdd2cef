// RTMP as the reader speaks it (media/rtmp_protocol.hpp, media/rtmp_play.hpp): the chunk stream
// parsed from any cut of its bytes, what librtmp got wrong refused, AMF0 both ways, FLV tags, and
// play URLs.
#include "media/rtmp_protocol.hpp"

#include <gtest/gtest.h>

#include "media/rtmp_play.hpp"

namespace su::media::rtmp {
namespace {

std::string header0(std::uint32_t chunkStream, std::uint32_t timestamp, std::uint32_t length,
                    std::uint8_t type, std::uint32_t streamId = 1) {
  return encodeChunks(Message{.chunkStream = chunkStream,
                              .type = type,
                              .timestamp = timestamp,
                              .streamId = streamId,
                              .payload = std::string(length, 'x')},
                      1u << 30)
      .substr(0, chunkStream < 64 ? 12 : 13);
}

std::string setChunkSize(std::uint32_t size) {
  return encodeChunks(
      Message{.chunkStream = 2,
              .type = 1,
              .payload = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                          static_cast<char>(size >> 8), static_cast<char>(size)}},
      128);
}

TEST(RtmpChunks, MessagesComeWholeHoweverTheBytesAreCut) {
  // Two messages on two chunk streams, chunked at 128 and interleaved, with a Set Chunk Size
  // first that applies to what follows in the same read.
  Message audio{.chunkStream = 4,
                .type = 8,
                .timestamp = 20,
                .streamId = 1,
                .payload = std::string(300, 'a')};
  Message video{.chunkStream = 6,
                .type = 9,
                .timestamp = 0xfffffff0u,
                .streamId = 1,
                .payload = std::string(5000, 'v')};
  const std::string stream = setChunkSize(1000) + encodeChunks(audio, 1000) +
                             encodeChunks(video, 1000) + encodeChunks(audio, 1000);
  for (std::size_t cut : {std::size_t{1}, std::size_t{7}, std::size_t{128}, stream.size()}) {
    ChunkReader reader;
    std::vector<Message> whole;
    for (std::size_t at = 0; at < stream.size(); at += cut) {
      auto got = reader.feed(std::string_view(stream).substr(at, cut));
      ASSERT_TRUE(got) << got.error().message << " (cut every " << cut << ")";
      whole.insert(whole.end(), got->begin(), got->end());
    }
    ASSERT_EQ(whole.size(), 3u) << "cut every " << cut;
    EXPECT_EQ(whole[0].payload, audio.payload);
    EXPECT_EQ(whole[0].timestamp, 20u);
    EXPECT_EQ(whole[1].payload, video.payload);
    EXPECT_EQ(whole[1].timestamp, 0xfffffff0u) << "an extended timestamp, on every chunk";
    EXPECT_EQ(whole[1].type, 9);
    EXPECT_EQ(whole[2].streamId, 1u);
  }
}

TEST(RtmpChunks, HeadersThatReuseTheLastOnesAddTheirDeltas) {
  ChunkReader reader;
  std::string stream = header0(5, 1000, 2, 8) + "ab";
  stream += std::string{0x45} + std::string{0, 0, 40} + std::string{0, 0, 3} + std::string{8} +
            "cde";                                                   // type 1: delta 40, length 3
  stream += std::string{static_cast<char>(0x85), 0, 0, 20} + "fgh";  // type 2: delta 20
  stream += std::string{static_cast<char>(0xc5)} + "ijk";            // type 3: the same delta
  auto whole = reader.feed(stream);
  ASSERT_TRUE(whole) << whole.error().message;
  ASSERT_EQ(whole->size(), 4u);
  EXPECT_EQ((*whole)[1].timestamp, 1040u);
  EXPECT_EQ((*whole)[2].timestamp, 1060u);
  EXPECT_EQ((*whole)[3].timestamp, 1080u);
  EXPECT_EQ((*whole)[3].payload, "ijk");
}

// What made librtmp write past a buffer: a message in progress on a chunk stream, the chunk size
// grown, then a larger message started on the same stream.
TEST(RtmpChunks, ANewMessageOnAStreamWithOneInProgressIsRefused) {
  ChunkReader reader;
  std::string stream = header0(4, 0, 300, 9) + std::string(128, 'x') + setChunkSize(65536);
  stream += std::string{0x44} + std::string{0, 0, 0} +
            std::string{0, static_cast<char>(0xea), 0x60} + std::string{9} +
            std::string(60000, 'y');
  auto whole = reader.feed(stream);
  ASSERT_FALSE(whole);
  EXPECT_NE(whole.error().message.find("before the last one ended"), std::string::npos);
}

TEST(RtmpChunks, WhatIsNotAChunkStreamIsRefused) {
  EXPECT_FALSE(ChunkReader().feed(std::string{static_cast<char>(0xc7)} + "x"))
      << "a chunk stream that continues before it began";
  EXPECT_FALSE(ChunkReader().feed(setChunkSize(0))) << "a chunk size of 0";
  std::string many;
  for (std::uint32_t id = 3; id < 3 + ChunkReader::kMaxChunkStreams + 1; ++id)
    many += header0(id, 0, 200, 9) + std::string(128, 'x');
  EXPECT_FALSE(ChunkReader().feed(many)) << "more chunk streams than kept";
  // Messages in progress are bounded in sum: 16 MiB messages begun on five streams, 8 MiB each.
  ChunkReader big;
  ASSERT_TRUE(big.feed(setChunkSize(8u << 20)));
  std::string huge;
  for (std::uint32_t id = 4; id < 9; ++id)
    huge += header0(id, 0, (1u << 24) - 1, 9) + std::string(8u << 20, 'x');
  auto refused = big.feed(huge);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("in progress hold more than 32 MiB"), std::string::npos);
}

TEST(RtmpAmf0, CommandsRoundTripAndLengthsAreChecked) {
  Amf0Writer writer;
  writer.string("_result").number(1).beginObject().key("fmsVer").string("FMS/3,0,1,123");
  writer.endObject().beginObject().key("code").string("NetConnection.Connect.Success");
  writer.key("level").string("status").key("objectEncoding").number(0).endObject().null();
  auto values = decodeValues(writer.bytes());
  ASSERT_TRUE(values) << values.error().message;
  ASSERT_EQ(values->size(), 5u);
  EXPECT_EQ((*values)[0].string, "_result");
  EXPECT_EQ((*values)[1].number, 1);
  ASSERT_NE((*values)[3].member("code"), nullptr);
  EXPECT_EQ((*values)[3].member("code")->string, "NetConnection.Connect.Success");
  EXPECT_EQ((*values)[4].kind, Value::Kind::Null);

  const std::string_view bytes = writer.bytes();
  for (std::size_t size = 1; size < 10; ++size)
    EXPECT_FALSE(decodeValues(bytes.substr(0, size))) << "the first value cut at " << size;
  EXPECT_FALSE(decodeValues(std::string{2, 0x7f, 0x7f, 'a'})) << "a string past its end";
  EXPECT_FALSE(decodeValues(std::string{10, 0x7f, 0, 0, 0})) << "an array that promises much";
  std::string nested;
  for (int depth = 0; depth < 40; ++depth)
    nested += std::string{3, 0, 1, 'a'};  // an object whose member "a" is an object...
  auto deep = decodeValues(nested);
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("deeper than 16"), std::string::npos);
  EXPECT_FALSE(decodeValues(std::string{0x11})) << "AMF3";
}

TEST(RtmpFlv, TagsAndAggregates) {
  std::string flv;
  appendTag(flv, 9, 0x01020304, "body");
  ASSERT_EQ(flv.size(), 11u + 4 + 4);
  EXPECT_EQ(flv[0], 9);
  EXPECT_EQ(flv.substr(1, 3), std::string({0, 0, 4}));
  EXPECT_EQ(flv.substr(4, 4), std::string({2, 3, 4, 1})) << "24 bits, then the high byte";
  EXPECT_EQ(flv.substr(15, 4), std::string({0, 0, 0, 15}));

  // An aggregate's tags keep their spacing, moved to the message's time; a cut one is dropped.
  std::string aggregate;
  appendTag(aggregate, 8, 100, "a1");
  appendTag(aggregate, 9, 133, "v1");
  aggregate += std::string(8, 'x');
  std::string moved;
  appendAggregate(moved, 5000, aggregate);
  std::string expected;
  appendTag(expected, 8, 5000, "a1");
  appendTag(expected, 9, 5033, "v1");
  EXPECT_EQ(moved, expected);
  EXPECT_EQ(flvHeader(kFlvAudio | kFlvVideo).size(), 13u);
}

TEST(RtmpPlayUrl, AppAndStreamAsServersExpectThem) {
  auto plain = parsePlayUrl("rtmp://127.0.0.1:1936/live/key");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 1936);
  EXPECT_EQ(plain->app, "live");
  EXPECT_EQ(plain->stream, "key");
  EXPECT_EQ(plain->tcUrl, "rtmp://127.0.0.1:1936/live");
  auto nested = parsePlayUrl("rtmp://ingest.example/app/instance/stream?token=t");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->port, 1935);
  EXPECT_EQ(nested->app, "app/instance");
  EXPECT_EQ(nested->stream, "stream?token=t");
  EXPECT_FALSE(parsePlayUrl("rtmp://host/only"));
  EXPECT_FALSE(parsePlayUrl("rtmps://host/live/key"));
  EXPECT_FALSE(parsePlayUrl("rtmp://host/live/"));
}

}  // namespace
}  // namespace su::media::rtmp
