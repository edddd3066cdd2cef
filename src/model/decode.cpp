#include "model/decode.hpp"

#include "core/log.hpp"

namespace su::model {

Error invalidDocument(std::string_view what, std::vector<FieldError> errors) {
  const std::size_t count = errors.size();
  return makeError(ModelError::Invalid,
                   "invalid " + std::string(what) + ": " + std::to_string(count) +
                       (count == 1 ? " problem" : " problems"),
                   std::move(errors));
}

void logWarnings(std::string_view what, const std::vector<FieldError>& warnings) {
  if (!log::core) return;  // su::init() not called: nothing to log to
  for (const FieldError& warning : warnings) {
    GST_CAT_WARNING(log::core, "%.*s: %s", static_cast<int>(what.size()), what.data(),
                    warning.toString().c_str());
  }
}

}  // namespace su::model
