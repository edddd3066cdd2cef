#include "app/arguments.hpp"

#include <gst/gst.h>

#include <cstdio>
#include <memory>

#include "core/init.hpp"

namespace su::app {

GQuark errorDomainOf(ArgumentError) {
  return g_quark_from_static_string("su-argument-error");
}

namespace {

struct OptionContextFree {
  void operator()(GOptionContext* context) const noexcept { g_option_context_free(context); }
};
struct StrvFree {
  void operator()(gchar** strv) const noexcept { g_strfreev(strv); }
};

// GOption's messages start with a capital ("Unknown option --x"); ours read as part of a line.
std::string usageMessage(const GError* error) {
  std::string text = error && error->message ? error->message : "cannot parse the options";
  if (!text.empty()) text[0] = g_ascii_tolower(text[0]);
  return text;
}

}  // namespace

Result<Arguments> Arguments::parse(int argc, char** argv, const std::vector<OptionSpec>& options) {
  // GOption writes what it reads into storage of ours: a string per valued option (g_free'd
  // here), a flag per switch.
  std::vector<gchar*> strings(options.size(), nullptr);
  std::vector<gboolean> switches(options.size(), FALSE);
  gboolean help = FALSE;
  gboolean helpGst = FALSE;
  std::vector<GOptionEntry> entries;
  for (std::size_t i = 0; i < options.size(); ++i) {
    const bool valued = options[i].takesValue;
    entries.push_back(
        {options[i].name, 0, 0, valued ? G_OPTION_ARG_STRING : G_OPTION_ARG_NONE,
         valued ? static_cast<gpointer>(&strings[i]) : static_cast<gpointer>(&switches[i]), nullptr,
         nullptr});
  }
  entries.push_back({"help", 'h', 0, G_OPTION_ARG_NONE, &help, nullptr, nullptr});
  entries.push_back({"help-gst", 0, 0, G_OPTION_ARG_NONE, &helpGst, nullptr, nullptr});
  entries.push_back({});

  std::unique_ptr<GOptionContext, OptionContextFree> context(g_option_context_new(nullptr));
  // Each command prints its own usage; GOption's generated help would not say what it does.
  g_option_context_set_help_enabled(context.get(), FALSE);
  g_option_context_add_main_entries(context.get(), entries.data(), nullptr);
  // --gst-debug, --gst-debug-level, --gst-plugin-path... as in gst-launch-1.0.
  GOptionGroup* gstreamer = gst_init_get_option_group();
  g_option_context_add_group(context.get(), gstreamer);

  // GOption wants a program name first, and removes from the vector what it parsed.
  gchar** strv = g_new0(gchar*, argc + 2);
  strv[0] = g_strdup("streaming-utils");
  for (int i = 0; i < argc; ++i)
    strv[i + 1] = g_strdup(argv[i]);
  GError* error = nullptr;
  const bool parsed = g_option_context_parse_strv(context.get(), &strv, &error);
  std::unique_ptr<gchar*, StrvFree> remaining(strv);
  const auto freeStrings = [&] {
    for (gchar* value : strings)
      g_free(value);
  };
  if (!parsed) {
    const std::string message = usageMessage(error);
    g_clear_error(&error);
    freeStrings();
    return makeError(ArgumentError::Usage, message);
  }

  // GStreamer is initialised by its option group as the command line is parsed, so that
  // --gst-plugin-path and the like take effect; then our own debug categories.
  if (auto initialised = su::init(); !initialised) {
    freeStrings();
    return initialised.error();
  }
  Arguments result;
  result.help_ = help || helpGst;
  if (helpGst) {
    auto text = g_option_context_get_help(context.get(), FALSE, gstreamer);
    std::fputs(text, stdout);
    std::fputs("\n", stdout);
    g_free(text);
  }
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (strings[i]) result.values_[options[i].name] = strings[i];
    if (switches[i]) result.values_[options[i].name] = "";
  }
  freeStrings();
  bool dashesSeen = false;
  for (gchar** arg = remaining.get() + 1; *arg; ++arg) {
    if (!dashesSeen && std::string_view(*arg) == "--") {
      dashesSeen = true;  // the end of the options, when GOption leaves it in
      continue;
    }
    result.positional_.push_back(*arg);
  }
  return result;
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
