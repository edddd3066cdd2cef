// Messages from OBS (obs-websocket 5), read as the client reads them (obs/client.hpp
// readIncoming): the envelope, Hello, events and the bridge's stream state, request and batch
// responses, and GetStreamStatus's data.
#include "fuzz.hpp"
#include "obs/bridge.hpp"
#include "obs/client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace su::obs;
  auto incoming = readIncoming(su::fuzz::textOf(data, size), 1 << 16);
  if (!incoming) return 0;
  JsonNode* d = incoming->d.get();
  switch (incoming->op) {
    case 0:
      if (auto hello = readHello(d); hello && hello->wantsPassword()) {
        (void)authenticationString("password", *hello->salt, *hello->challenge);
      }
      break;
    case 5:
      if (auto event = readEvent(d)) (void)streamStateOf(*event);
      break;
    case 7:
      if (auto outcome = requestOutcome(d, "GetStreamStatus")) (void)parseStreamStatus(*outcome);
      break;
    case 9:
      (void)batchOutcomes(d, {"SetStreamServiceSettings", "StartStream"}, "a batch");
      break;
  }
  return 0;
}
