// Readable gtest output for the library's value types.
#pragma once

#include <ostream>

#include "core/error.hpp"

namespace su {

inline void PrintTo(const FieldError& error, std::ostream* out) {
  *out << error.toString();
}

}  // namespace su
