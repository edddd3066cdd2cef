// Collects every problem found while reading and validating a document, each with its field
// path, so that a user sees all of them at once instead of fixing one per run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace su::json {

// "media" + 1 -> "media[1]"; "" + "port" -> "port"; "spec" + "port" -> "spec.port".
std::string childPath(std::string_view parent, std::string_view key);
std::string indexPath(std::string_view parent, std::size_t index);

class Diagnostics {
 public:
  void error(std::string path, std::string rule) {
    errors_.push_back({std::move(path), std::move(rule)});
  }
  void warning(std::string path, std::string note) {
    warnings_.push_back({std::move(path), std::move(note)});
  }

  bool ok() const noexcept { return errors_.empty(); }
  const std::vector<FieldError>& errors() const noexcept { return errors_; }
  const std::vector<FieldError>& warnings() const noexcept { return warnings_; }

 private:
  std::vector<FieldError> errors_;
  std::vector<FieldError> warnings_;
};

}  // namespace su::json
