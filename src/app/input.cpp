#include "app/input.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace su::app {

GQuark errorDomainOf(InputError) {
  return g_quark_from_static_string("su-input-error");
}

Result<std::string> readInput(std::string_view path, std::size_t maxBytes) {
  const bool fromStdin = path == "-";
  const std::string name = fromStdin ? "standard input" : std::string(path);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      fromStdin ? stdin : std::fopen(std::string(path).c_str(), "rb"),
      fromStdin ? [](std::FILE*) { return 0; } : std::fclose);
  if (!file) {
    return makeError(InputError::Unreadable, "cannot open " + name + ": " + std::strerror(errno));
  }
  std::string text;
  char chunk[65536];
  while (true) {
    const std::size_t count = std::fread(chunk, 1, sizeof chunk, file.get());
    text.append(chunk, count);
    if (text.size() > maxBytes) {
      return makeError(InputError::TooLarge, name + " is larger than the limit of " +
                                                 std::to_string(maxBytes) + " bytes");
    }
    if (count < sizeof chunk) break;
  }
  if (std::ferror(file.get())) {
    return makeError(InputError::Unreadable, "cannot read " + name + ": " + std::strerror(errno));
  }
  return text;
}

}  // namespace su::app
