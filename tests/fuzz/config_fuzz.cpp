// `serve`'s configuration file (service/serve_config.hpp), read from a file as `serve --config`
// reads it: GKeyFile's syntax, then every group and key.
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <string>

#include "fuzz.hpp"
#include "service/serve_config.hpp"

namespace {

// One file per process, rewritten for each input and removed at exit.
struct ConfigFile {
  std::string path;
  ConfigFile() {
    char* file = g_build_filename(g_get_tmp_dir(), "su-config-fuzz-XXXXXX", nullptr);
    const int fd = g_mkstemp(file);
    if (fd < 0) std::abort();
    close(fd);
    path = file;
    g_free(file);
  }
  ~ConfigFile() { g_unlink(path.c_str()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ConfigFile file;
  const std::string& path = file.path;
  if (!g_file_set_contents(path.c_str(), reinterpret_cast<const char*>(data),
                           static_cast<gssize>(size), nullptr)) {
    std::abort();
  }
  auto config = su::service::loadServeConfig({.file = path});
  if (config) (void)config->listen();
  return 0;
}
