#include "app/validate_command.hpp"

#include <cstdio>
#include <map>
#include <string>

#include "app/arguments.hpp"
#include "app/exit_codes.hpp"
#include "app/input.hpp"
#include "json/parse.hpp"
#include "model/broadcast_result.hpp"
#include "model/job_envelope.hpp"
#include "model/redaction.hpp"

namespace su::app {

namespace {

constexpr const char* kUsage =
    "usage: streaming-utils validate [--as auto|request|envelope|result] FILE|-\n"
    "\n"
    "Reads a broadcast request, a queue job envelope or a broadcast result as JSON (\"-\" is\n"
    "standard input, at most 1 MiB) and prints it normalized, with defaults filled in and\n"
    "secrets masked. On any problem it prints every one of them and exits 2.\n"
    "\n"
    "  --as KIND   what the document is; auto (the default) takes an object with \"action\"\n"
    "              or \"job_id\" for an envelope, one with \"request\" and \"state\" for a\n"
    "              result, and anything else for a request\n";

enum class DocumentKind { Auto, Request, Envelope, Result };

DocumentKind detectKind(JsonNode* root) {
  if (!JSON_NODE_HOLDS_OBJECT(root)) return DocumentKind::Request;
  JsonObject* object = json_node_get_object(root);
  if (json_object_has_member(object, "action") || json_object_has_member(object, "job_id")) {
    return DocumentKind::Envelope;
  }
  if (json_object_has_member(object, "request") && json_object_has_member(object, "state")) {
    return DocumentKind::Result;
  }
  return DocumentKind::Request;
}

// The document, normalized and still unredacted, or the reason it is not valid.
Result<GRef<JsonNode>> normalized(DocumentKind kind, JsonNode* root,
                                  std::vector<FieldError>& warnings) {
  auto payload = [](auto decoded) -> Result<GRef<JsonNode>> {
    if (!decoded) return decoded.error();
    return decoded->toPayload();
  };
  switch (kind) {
    case DocumentKind::Envelope:
      return payload(model::JobEnvelope::fromPayload(root, &warnings));
    case DocumentKind::Result:
      return payload(model::BroadcastResult::fromPayload(root));
    default:
      return payload(model::BroadcastRequest::fromPayload(root, &warnings));
  }
}

int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", model::redactText(error.message).c_str());
  for (const FieldError& field : error.fields) {
    std::fprintf(stderr, "  %s\n", model::redactText(field.toString()).c_str());
  }
  return kExitInvalidInput;
}

}  // namespace

int runValidate(int argc, char** argv) {
  auto arguments = Arguments::parse(argc, argv, {{"as"}});
  if (!arguments) {
    std::fprintf(stderr, "error: %s\n%s", arguments.error().message.c_str(), kUsage);
    return kExitUsage;
  }
  if (arguments->help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  DocumentKind kind = DocumentKind::Auto;
  if (const auto as = arguments->value("as")) {
    const std::map<std::string, DocumentKind> kinds{{"auto", DocumentKind::Auto},
                                                    {"request", DocumentKind::Request},
                                                    {"envelope", DocumentKind::Envelope},
                                                    {"result", DocumentKind::Result}};
    if (!kinds.contains(*as)) {
      std::fprintf(stderr, "error: --as takes auto, request, envelope or result\n%s", kUsage);
      return kExitUsage;
    }
    kind = kinds.at(*as);
  }
  const auto& files = arguments->positional();
  if (files.size() != 1) {
    std::fprintf(stderr, "error: %s\n%s",
                 files.empty() ? "missing FILE (or - for standard input)"
                               : "give one FILE (or - for standard input)",
                 kUsage);
    return kExitUsage;
  }
  const std::string& path = files.front();

  const json::ParseLimits limits;
  auto text = readInput(path, limits.maxBytes);
  if (!text) return fail(text.error());
  auto root = json::parse(*text, limits);
  if (!root) return fail(root.error());
  if (kind == DocumentKind::Auto) kind = detectKind(root->get());

  std::vector<FieldError> warnings;
  auto document = normalized(kind, root->get(), warnings);
  for (const FieldError& warning : warnings) {
    std::fprintf(stderr, "warning: %s\n", model::redactText(warning.toString()).c_str());
  }
  if (!document) return fail(document.error());
  const std::string output =
      json::toString(model::redacted(document->get()).get(), json::Style::Pretty);
  std::printf("%s\n", output.c_str());
  return kExitOk;
}

}  // namespace su::app
