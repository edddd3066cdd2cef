// Turning a JSON document into a model in two phases: first its structure (types, unknown
// fields and values, required fields), then, only if that is sound, normalization and the
// model's rules. Splitting them keeps one mistake from cascading into misleading rule errors.
#pragma once

#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "json/parse.hpp"
#include "json/reader.hpp"
#include "model/kinds.hpp"

namespace su::model {

// `invalid <what>: N problems`, with every problem in the error's fields.
Error invalidDocument(std::string_view what, std::vector<FieldError> errors);
// Logs each warning on the `su` category.
void logWarnings(std::string_view what, const std::vector<FieldError>& warnings);

template <typename T>
Result<T> decode(JsonNode* node, std::string_view what,
                 std::vector<FieldError>* warnings = nullptr) {
  json::Diagnostics diagnostics;
  std::optional<T> value;
  if (auto reader = json::ObjectReader::fromNode(node, "", diagnostics)) value = T::read(*reader);
  if (diagnostics.ok()) {
    if constexpr (requires(T & model) { model.normalize(); }) value->normalize();
    value->validate("", diagnostics);
  }
  logWarnings(what, diagnostics.warnings());
  if (warnings) {
    warnings->insert(warnings->end(), diagnostics.warnings().begin(), diagnostics.warnings().end());
  }
  if (!diagnostics.ok()) return invalidDocument(what, diagnostics.errors());
  return std::move(*value);
}

template <typename T>
Result<T> decodeText(std::string_view text, std::string_view what,
                     std::vector<FieldError>* warnings = nullptr) {
  auto node = json::parse(text);
  if (!node) return node.error();
  return decode<T>(node->get(), what, warnings);
}

}  // namespace su::model
