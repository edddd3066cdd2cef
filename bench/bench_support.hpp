// What the benchmarks share: the machine line of a report, the looped source clip, list options.
#pragma once

#include <string>
#include <vector>

namespace su::bench {

std::string readFile(const std::string& path);
// CPUs and model, RAM, kernel, Debian, GStreamer and ffmpeg versions.
std::string machine();
// A 20 s 720p30 H.264 baseline (3 Mbit/s, a keyframe every `gopSeconds`) + AAC 128 kbit/s clip.
bool makeClip(const std::string& path, int gopSeconds);
// "1,8,16" -> {"1", "8", "16"}
std::vector<std::string> split(const std::string& text);
// "0.93×", or "–" without a baseline.
std::string ratio(double value, double baseline);
double median(std::vector<double> values);

}  // namespace su::bench
