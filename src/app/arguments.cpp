#include "app/arguments.hpp"

#include <algorithm>

namespace su::app {

GQuark errorDomainOf(ArgumentError) {
  return g_quark_from_static_string("su-argument-error");
}

Result<Arguments> Arguments::parse(int argc, char** argv, const std::vector<OptionSpec>& options) {
  Arguments parsed;
  bool optionsEnded = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (optionsEnded || arg == "-" || arg.rfind("-", 0) != 0) {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      optionsEnded = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help_ = true;
      continue;
    }
    const std::size_t equals = arg.find('=');
    const std::string name =
        arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    const auto spec = std::find_if(options.begin(), options.end(),
                                   [&](const OptionSpec& option) { return name == option.name; });
    if (arg.rfind("--", 0) != 0 || spec == options.end()) {
      return makeError(ArgumentError::Usage, "unknown option " + arg);
    }
    if (!spec->takesValue) {
      if (equals != std::string::npos) {
        return makeError(ArgumentError::Usage, "--" + name + " takes no value");
      }
      parsed.values_[name] = "";
    } else if (equals != std::string::npos) {
      parsed.values_[name] = arg.substr(equals + 1);
    } else if (i + 1 < argc) {
      parsed.values_[name] = argv[++i];
    } else {
      return makeError(ArgumentError::Usage, "--" + name + " needs a value");
    }
  }
  return parsed;
}

std::optional<std::string> Arguments::value(const std::string& name,
                                            const char* environment) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (environment) {
    if (const char* fromEnvironment = g_getenv(environment)) return std::string(fromEnvironment);
  }
  return std::nullopt;
}

}  // namespace su::app
