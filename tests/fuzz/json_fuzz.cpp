// The strict JSON reader (json/parse.hpp) that everything from outside goes through, and the
// redaction every logged message goes through. Property: what it accepts, written out and read
// again, reads back the same.
#include "fuzz.hpp"
#include "json/parse.hpp"
#include "model/redaction.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto node = su::json::parse(su::fuzz::textOf(data, size), {.maxBytes = 1 << 16, .maxDepth = 64});
  if (!node) return 0;
  const std::string written = su::json::toString(node->get());
  auto again = su::json::parse(written);
  SU_FUZZ_CHECK(again.ok(), "%s", again.ok() ? "" : again.error().message.c_str());
  SU_FUZZ_CHECK(su::json::toString(again->get()) == written, "%s", written.c_str());
  (void)su::json::toString(su::model::redacted(node->get()).get(), su::json::Style::Pretty);
  return 0;
}
