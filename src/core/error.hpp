// su::Error: what went wrong, as a value (domain, code, message), convertible from and to GError.
#pragma once

#include <glib.h>

#include <string>
#include <type_traits>
#include <vector>

namespace su {

// One problem with one field of an input document: `mountpoint_spec.media[1].port` and the
// rule it broke (`must be 1..65535`).
struct FieldError {
  std::string path;
  std::string rule;

  std::string toString() const { return path.empty() ? rule : path + ": " + rule; }
  friend bool operator==(const FieldError&, const FieldError&) = default;
};

struct Error {
  GQuark domain = 0;
  int code = 0;
  std::string message;
  // Validation failures list every problem found, not only the first one.
  std::vector<FieldError> fields;

  static Error fromGError(const GError* error);

  bool is(GQuark otherDomain, int otherCode) const {
    return domain == otherDomain && code == otherCode;
  }
  // The error of an area's `code` (its domain found as makeError finds it).
  template <typename Code>
  requires std::is_enum_v<Code>
  bool is(Code otherCode) const {
    return is(errorDomainOf(otherCode), static_cast<int>(otherCode));
  }
  // A cancelled operation completes with G_IO_ERROR_CANCELLED; callers ignore it quietly.
  bool isCancelled() const;

  // The message, then one line per field problem.
  std::string describe() const;
  // A new GError (transfer full) for C and GObject callers.
  GError* toGError() const;
};

// G_IO_ERROR_CANCELLED: what an operation cancelled by its owner completes with (built here only).
Error cancelledError();

// Each area declares `GQuark errorDomainOf(ItsCodeEnum)` next to its code enum; makeError finds
// it by argument-dependent lookup, so codes can never be paired with the wrong domain.
template <typename Code>
requires std::is_enum_v<Code> Error makeError(Code code, std::string message,
                                              std::vector<FieldError> fields = {}) {
  return Error{errorDomainOf(code), static_cast<int>(code), std::move(message), std::move(fields)};
}

}  // namespace su
