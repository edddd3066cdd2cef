// What a Redis server (or anything posing as one) sends the queue: raw RESP bytes read by
// hiredis's own reader (guarded as RedisConnection guards it), copied into our replies, and read
// as XREADGROUP / XAUTOCLAIM entries, dead letters and XINFO fields.
#include <hiredis/hiredis.h>

#include "fuzz.hpp"
#include "queue/redis_queue.hpp"

namespace {

void readEntries(const su::queue::RedisReply& reply) {
  (void)su::queue::firstEntry(reply);
  (void)su::queue::readDeadLetters(reply);
  for (const su::queue::RedisReply& element : reply.elements) {
    (void)su::queue::deliveryOf(element);
    if (const auto* lag = element.field("lag")) (void)lag->asInteger();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  redisReader* reader = redisReaderCreate();
  su::queue::RedisReplyLimit limit;
  limit.guard(reader);
  redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
  void* reply = nullptr;
  while (redisReaderGetReply(reader, &reply) == REDIS_OK && reply) {
    readEntries(su::queue::copyReply(*static_cast<redisReply*>(reply)));
    freeReplyObject(reply);
    reply = nullptr;
  }
  redisReaderFree(reader);
  return 0;
}
