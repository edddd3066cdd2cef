#include "bench_support.hpp"

#include <glib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

namespace su::bench {

namespace {

std::string commandOutput(const std::string& command) {
  gchar* out = nullptr;
  if (!g_spawn_command_line_sync(command.c_str(), &out, nullptr, nullptr, nullptr)) return "?";
  std::string text = out ? out : "";
  g_free(out);
  const std::size_t newline = text.find('\n');
  return newline == std::string::npos ? text : text.substr(0, newline);
}

}  // namespace

std::string readFile(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

std::string machine() {
  const std::string cpuinfo = readFile("/proc/cpuinfo");
  const std::size_t at = cpuinfo.find("model name");
  std::string model = "?";
  if (at != std::string::npos) {
    const std::size_t colon = cpuinfo.find(':', at);
    model = cpuinfo.substr(colon + 2, cpuinfo.find('\n', colon) - colon - 2);
  }
  utsname name{};
  uname(&name);
  const double memoryGb =
      sysconf(_SC_PHYS_PAGES) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024 * 1024);
  std::string debian = readFile("/etc/debian_version");
  debian.erase(debian.find_last_not_of(" \n") + 1);
  char text[1024];
  std::snprintf(text, sizeof text, "%ld CPUs (%s), %.1f GB RAM, Linux %s, Debian %s, %s, %s",
                sysconf(_SC_NPROCESSORS_ONLN), model.c_str(), memoryGb, name.release,
                debian.c_str(), commandOutput("gst-launch-1.0 --gst-version").c_str(),
                commandOutput("ffmpeg -hide_banner -version").substr(0, 22).c_str());
  return text;
}

bool makeClip(const std::string& path, int gopSeconds) {
  const std::string command =
      "ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi "
      "-i sine=frequency=440:sample_rate=48000 -t 20 -c:v libx264 -preset veryfast -profile:v "
      "baseline -g " +
      std::to_string(30 * gopSeconds) + " -b:v 3M -pix_fmt yuv420p -c:a aac -b:a 128k -ac 2 " +
      path;
  gint status = 0;
  return g_spawn_command_line_sync(command.c_str(), nullptr, nullptr, &status, nullptr) &&
         g_spawn_check_wait_status(status, nullptr);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::istringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');)
    parts.push_back(part);
  return parts;
}

std::string ratio(double value, double baseline) {
  if (baseline <= 0) return "–";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f×", value / baseline);
  return text;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace su::bench
