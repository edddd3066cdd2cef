#include "model/srs_ingest.hpp"

#include <algorithm>

#include "core/uri.hpp"
#include "json/writer.hpp"
#include "model/rules.hpp"

namespace su::model {

namespace {

std::string_view trimSlashes(std::string_view text, bool leading) {
  while (!text.empty() && text.back() == '/')
    text.remove_suffix(1);
  while (leading && !text.empty() && text.front() == '/')
    text.remove_prefix(1);
  return text;
}

bool hasSpace(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return g_ascii_isspace(c); });
}

struct SplitUrl {
  std::string base;
  std::string app;
  std::string key;
};

// rtmp://host:1935/live/key -> {rtmp://host:1935, live, key}; the app may have several levels,
// and a query belongs to the key (SRS reads tokens from it).
std::optional<SplitUrl> splitPublishUrl(std::string_view url) {
  auto parts = uri::split(url);
  if (!parts || parts->host.empty()) return std::nullopt;
  const std::string_view path = trimSlashes(parts->path, true);
  const std::size_t lastSlash = path.rfind('/');
  if (lastSlash == std::string_view::npos || lastSlash == 0) return std::nullopt;
  SplitUrl split{.app = std::string(path.substr(0, lastSlash)),
                 .key = std::string(path.substr(lastSlash + 1))};
  if (parts->query) split.key += "?" + *parts->query;
  parts->path.clear();
  parts->query.reset();
  parts->fragment.reset();
  split.base = uri::join(*parts);
  return split;
}

}  // namespace

std::string SrsIngestSpec::serverUrl() const {
  return std::string(trimSlashes(rtmpUrl, false)) + "/" + std::string(trimSlashes(app, true));
}

std::string SrsIngestSpec::publishUrl() const {
  return serverUrl() + "/" + streamKey;
}

SrsIngestSpec SrsIngestSpec::read(json::ObjectReader& reader) {
  SrsIngestSpec spec;
  const auto rtmpUrl = reader.string("rtmp_url");
  const auto app = reader.string("app");
  const auto streamKey = reader.string("stream_key");
  const auto publishUrl = reader.string("publish_url");
  reader.rejectUnknownFields();

  if (publishUrl && !rtmpUrl && !app && !streamKey) {
    if (auto split = splitPublishUrl(*publishUrl)) {
      spec.rtmpUrl = split->base;
      spec.app = split->app;
      spec.streamKey = split->key;
    } else {
      reader.error("publish_url", "must look like rtmp://host[:port]/app/stream_key");
    }
    return spec;
  }
  spec.rtmpUrl = std::string(trimSlashes(rtmpUrl.value_or(spec.rtmpUrl), false));
  spec.app = std::string(trimSlashes(app.value_or(spec.app), true));
  spec.streamKey = required(reader, "stream_key", streamKey);
  if (publishUrl && streamKey && *publishUrl != spec.publishUrl()) {
    reader.error("publish_url",
                 "does not match rtmp_url/app/stream_key (give either publish_url or the parts)");
  }
  return spec;
}

void SrsIngestSpec::validate(const std::string& path, json::Diagnostics& diagnostics) const {
  const std::string urlPath = json::childPath(path, "rtmp_url");
  checkUrl(diagnostics, urlPath, rtmpUrl, {"rtmp", "rtmps"});
  if (auto parts = uri::split(rtmpUrl); parts && !trimSlashes(parts->path, true).empty()) {
    diagnostics.error(urlPath, "must be scheme://host[:port] without a path (the path is app)");
  }
  if (app.empty() || hasSpace(app)) {
    diagnostics.error(json::childPath(path, "app"), "must be a non-empty name without spaces");
  }
  // The key itself is a credential: the messages never show it.
  const std::string keyPath = json::childPath(path, "stream_key");
  if (streamKey.empty()) {
    diagnostics.error(keyPath, "must not be empty");
  } else if (hasSpace(streamKey) || streamKey.find('/') != std::string::npos) {
    diagnostics.error(keyPath, "must not contain spaces or '/'");
  }
}

GRef<JsonNode> SrsIngestSpec::toJson() const {
  json::ObjectWriter out;
  out.set("rtmp_url", rtmpUrl)
      .set("app", app)
      .set("stream_key", streamKey)
      .set("publish_url", publishUrl());
  return out.node();
}

}  // namespace su::model
