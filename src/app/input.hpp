// Reading a command's input document from a file or standard input, bounded in size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace su::app {

enum class InputError { Unreadable = 1, TooLarge };
GQuark errorDomainOf(InputError);

// `path` "-" reads standard input. More than `maxBytes` is an error, and never read whole.
Result<std::string> readInput(std::string_view path, std::size_t maxBytes);

}  // namespace su::app
