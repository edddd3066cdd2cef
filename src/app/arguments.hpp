// Command-line arguments of a subcommand, parsed by a GOptionContext: positionals and
// `--name value` / `--name=value` options from a fixed list (a typo is an error, not a silent
// positional), -h/--help, and GStreamer's own options (--gst-debug=su*:5, --gst-debug-level,
// --gst-plugin-path..., listed by --help-gst) as in gst-launch-1.0.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace su::app {

enum class ArgumentError { Usage = 1 };
GQuark errorDomainOf(ArgumentError);

struct OptionSpec {
  const char* name;  // without the dashes
  bool takesValue = true;
};

class Arguments {
 public:
  static Result<Arguments> parse(int argc, char** argv, const std::vector<OptionSpec>& options);

  const std::vector<std::string>& positional() const noexcept { return positional_; }
  bool has(const std::string& name) const { return values_.contains(name); }
  // The option's value, else the environment variable's (for secrets kept out of `ps`).
  std::optional<std::string> value(const std::string& name,
                                   const char* environment = nullptr) const;
  // -h or --help; or --help-gst, which has printed GStreamer's options already.
  bool help() const noexcept { return help_; }

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
  bool help_ = false;
};

}  // namespace su::app
