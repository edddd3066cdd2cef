// What producers send: broadcast requests (the API's POST /v1/broadcasts, `run`), job envelopes
// (queue payloads: Redis fields, Kafka values, memory) and results (GET and event streams
// that clients read back). The first byte picks the model, so that one corpus covers all three.
// Property: a document accepted once is accepted again as written out, and writes out the same
// (normalisation is idempotent and the writer and reader agree).
#include "fuzz.hpp"
#include "json/node.hpp"
#include "model/broadcast_request.hpp"
#include "model/broadcast_result.hpp"
#include "model/job_envelope.hpp"
#include "queue/queue.hpp"

namespace {

template <typename Model>
void roundTrip(std::string_view text) {
  auto model = Model::fromPayload(text);
  if (!model) return;
  const std::string written = su::json::toString(model->toPayload().get());
  auto again = Model::fromPayload(written);
  SU_FUZZ_CHECK(again.ok(), "%s\n%s", written.c_str(), again ? "" : again.error().message.c_str());
  SU_FUZZ_CHECK(su::json::toString(again->toPayload().get()) == written, "%s", written.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text = su::fuzz::textOf(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      roundTrip<su::model::BroadcastRequest>(text);
      break;
    case 1:
      roundTrip<su::model::JobEnvelope>(text);
      break;
    case 2:
      roundTrip<su::model::BroadcastResult>(text);
      break;
    case 3: {
      // A queue payload as a worker takes it, and a Kafka dead letter's value.
      const su::queue::Delivery delivery = su::queue::decodeDelivery("1-0", std::string(text));
      SU_FUZZ_CHECK(delivery.job.has_value() != delivery.decodeError.has_value(), "%s",
                    "a delivery is a job or an error, never both or neither");
      (void)su::queue::DeadLetter::fromValue("0/1", text).toJson();
      break;
    }
  }
  return 0;
}
