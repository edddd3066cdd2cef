// `streaming-utils validate`, run as a user runs it: a real process, real files, real pipes.
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/gref.hpp"
#include "json/parse.hpp"
#include "support/process.hpp"
#include "support/test_data.hpp"

namespace su {
namespace {

using test::cliPath;
using test::examplePath;
using test::firstLine;
using test::ProcessRun;
using test::runArgv;
using test::runCli;
using test::TempFile;

TEST(CliProgram, HelpVersionAndUnknownCommands) {
  ProcessRun help = runCli({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("validate FILE|-"), std::string::npos);

  ProcessRun version = runCli({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out, "streaming-utils 0.1.0\n");

  ProcessRun none = runCli({});
  EXPECT_EQ(none.status, 2);
  EXPECT_EQ(firstLine(none.err), "usage: streaming-utils COMMAND [ARGS]");

  ProcessRun unknown = runCli({"frobnicate"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(firstLine(unknown.err), "error: unknown command 'frobnicate'");
}

TEST(CliValidate, UsageErrors) {
  EXPECT_EQ(firstLine(runCli({"validate"}).err), "error: missing FILE (or - for standard input)");
  EXPECT_EQ(runCli({"validate"}).status, 2);
  ProcessRun two = runCli({"validate", "a.json", "b.json"});
  EXPECT_EQ(two.status, 2);
  EXPECT_EQ(firstLine(two.err), "error: give one FILE (or - for standard input)");
  ProcessRun option = runCli({"validate", "--strict", "a.json"});
  EXPECT_EQ(option.status, 2);
  EXPECT_EQ(firstLine(option.err), "error: unknown option --strict");
  ProcessRun as = runCli({"validate", "--as", "yaml", "a.json"});
  EXPECT_EQ(as.status, 2);
  EXPECT_EQ(firstLine(as.err), "error: --as takes auto, request, envelope or result");
  ProcessRun help = runCli({"validate", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--as KIND"), std::string::npos);
  ProcessRun missing = runCli({"validate", "a.json", "--as"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(firstLine(missing.err), "error: missing argument for --as");
}

// Every command takes GStreamer's options, as gst-launch-1.0 does, and options in both forms
// and anywhere among the positionals.
TEST(CliOptions, GStreamerOptionsAndBothOptionForms) {
  const std::string request = R"({"source_kind":"frontend_owned"})";
  ProcessRun spaced = runCli({"validate", "--as", "request", "-"}, request);
  ProcessRun joined = runCli({"validate", "-", "--as=request"}, request);
  EXPECT_EQ(spaced.status, 0) << spaced.err;
  EXPECT_EQ(joined.status, 0) << joined.err;
  EXPECT_EQ(spaced.out, joined.out);

  // --gst-debug turns on our categories from the command line (no GST_DEBUG needed): the
  // WebSocket client's attempt is logged.
  ProcessRun logged = runCli({"mountpoint", "list", "--gst-debug=su*:6", "--gst-debug-no-color",
                              "--janus-url", "ws://127.0.0.1:1", "--timeout", "2000"});
  EXPECT_EQ(logged.status, 1) << "nothing listens there";
  EXPECT_NE(logged.err.find("connecting to ws://127.0.0.1:1"), std::string::npos) << logged.err;
  ProcessRun quiet = runCli({"mountpoint", "list", "--janus-url", "ws://127.0.0.1:1"});
  EXPECT_EQ(quiet.err.find("connecting to"), std::string::npos) << quiet.err;

  ProcessRun gstHelp = runCli({"run", "--help-gst"});
  EXPECT_EQ(gstHelp.status, 0);
  EXPECT_NE(gstHelp.out.find("--gst-debug-level"), std::string::npos);
  EXPECT_EQ(runCli({"watch", "--gst-bogus", "1"}).status, 2);
}

TEST(CliValidate, EveryExamplePrintsItsNormalizedRedactedForm) {
  std::vector<std::string> documents = test::exampleRequests();
  documents.insert(documents.end(), test::exampleEnvelopes().begin(),
                   test::exampleEnvelopes().end());
  for (const std::string& name : documents) {
    SCOPED_TRACE(name);
    ProcessRun run = runCli({"validate", examplePath(name)});
    EXPECT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.err, "");
    auto printed = json::parse(run.out);
    ASSERT_TRUE(printed.ok()) << run.out;
    auto original = json::parse(test::readExample(name));
    ASSERT_TRUE(original.ok());
    JsonObject* in = json_node_get_object(original->get());
    JsonObject* out = json_node_get_object(printed->get());
    const char* key = json_object_has_member(in, "action") ? "action" : "source_kind";
    EXPECT_STREQ(json_object_get_string_member(out, key), json_object_get_string_member(in, key));
    for (const std::string& secret : test::exampleSecrets()) {
      EXPECT_EQ(run.out.find(secret), std::string::npos) << secret;
    }
  }
}

TEST(CliValidate, NormalizationFillsDefaults) {
  ProcessRun run = runCli({"validate", "-"}, std::string(R"({"source_kind":"test_pattern",
      "mountpoint_spec":{"media":[{"type":"video","codec":"H264"}]}})"));
  ASSERT_EQ(run.status, 0) << run.err;
  auto printed = json::parse(run.out);
  ASSERT_TRUE(printed.ok());
  JsonObject* request = json_node_get_object(printed->get());
  EXPECT_STREQ(json_object_get_string_member(request, "relay_kind"), "gstreamer");
  EXPECT_FALSE(json_object_get_boolean_member(request, "obs_secure"));
  JsonObject* media = json_array_get_object_element(
      json_object_get_array_member(json_object_get_object_member(request, "mountpoint_spec"),
                                   "media"),
      0);
  EXPECT_STREQ(json_object_get_string_member(media, "mid"), "v0");
  EXPECT_STREQ(json_object_get_string_member(media, "codec"), "h264");
  EXPECT_EQ(json_object_get_int_member(media, "pt"), 96);
}

TEST(CliValidate, InvalidRequestsListEveryProblemAndExit2) {
  ProcessRun run = runCli({"validate", "-"}, std::string(R"({"source_kind":"videoroom",
      "mountpoint_spec":{"media":[{"type":"video","codec":"vp8","port":0}]}})"));
  EXPECT_EQ(run.status, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(
      run.err,
      "error: invalid broadcast request: 3 problems\n"
      "  mountpoint_spec.media[0].port: must be 1..65535 (leave it out to let Janus pick one)\n"
      "  room_id: required for source_kind videoroom\n"
      "  publisher_id: required for source_kind videoroom\n");
}

TEST(CliValidate, DeprecatedNamesWarnButPass) {
  ProcessRun run = runCli({"validate", "-"}, std::string(R"({"source_kind":"external",
      "srs":{"stream_key":"abc"},"mountpoint_spec":{"media":[{"type":"video","codec":"h264"}]}})"));
  EXPECT_EQ(run.status, 0);
  EXPECT_EQ(run.err, "warning: source_kind: \"external\" is deprecated, use \"rtmp_external\"\n");
  EXPECT_NE(run.out.find("\"rtmp_external\""), std::string::npos);
}

TEST(CliValidate, DocumentKindsAreDetectedOrChosen) {
  ProcessRun asRequest = runCli({"validate", "--as", "request", examplePath("job_stop.json")});
  EXPECT_EQ(asRequest.status, 2);
  EXPECT_NE(asRequest.err.find("  job_id: unknown field\n"), std::string::npos) << asRequest.err;

  const std::string result = R"({"broadcast_id":"b1","state":"running","request":{
      "source_kind":"frontend_owned"},"note":"browser publishes itself"})";
  ProcessRun detected = runCli({"validate", "-"}, result);
  EXPECT_EQ(detected.status, 0) << detected.err;
  EXPECT_NE(detected.out.find("\"note\" : \"browser publishes itself\""), std::string::npos);
  ProcessRun chosen = runCli({"validate", "--as", "result", "-"}, result);
  EXPECT_EQ(chosen.out, detected.out);
}

struct Garbage {
  const char* name;
  std::string input;
  std::string firstError;
};

std::ostream& operator<<(std::ostream& out, const Garbage& g) {
  return out << g.name;
}

class CliValidateGarbage : public ::testing::TestWithParam<Garbage> {};

TEST_P(CliValidateGarbage, IsAClearErrorAndExit2NeverACrash) {
  const Garbage& g = GetParam();
  ProcessRun run = runCli({"validate", "-"}, g.input);
  EXPECT_EQ(run.status, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(firstLine(run.err), g.firstError);
}

std::string randomBytes(std::size_t size) {
  std::mt19937 engine(1234);
  std::string bytes(size, '\0');
  for (char& byte : bytes)
    byte = static_cast<char>(engine() & 0xff);
  bytes[0] = '\xfe';  // never valid UTF-8, so the error position is known
  return bytes;
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, CliValidateGarbage,
    ::testing::Values(
        Garbage{"empty", "", "error: empty input: expected a JSON value"},
        Garbage{"words", "hello world",
                "error: line 1, column 1: unexpected 'h', expected a value"},
        Garbage{"yaml", "source_kind: videoroom\n",
                "error: line 1, column 1: unexpected 's', expected a value"},
        Garbage{"truncated", R"({"source_kind":"videoroom","room_id":12)",
                "error: line 1, column 40: unexpected end of input, expected ',' or '}' after an "
                "object member"},
        Garbage{"binary", randomBytes(4096),
                "error: line 1, column 1: invalid UTF-8 (or a NUL byte)"},
        Garbage{"deep", std::string(100000, '[') + std::string(100000, ']'),
                "error: line 1, column 65: nesting deeper than 64 levels"},
        Garbage{"array", "[]", "error: invalid broadcast request: 1 problem"},
        Garbage{"wrong types", R"({"source_kind":["obs"],"obs_port":"4455"})",
                "error: invalid broadcast request: 2 problems"},
        Garbage{"huge", std::string(1100000, ' '),
                "error: standard input is larger than the limit of 1048576 bytes"}),
    [](const ::testing::TestParamInfo<Garbage>& param) {
      std::string name = param.param.name;
      for (char& c : name)
        c = g_ascii_isalnum(c) ? c : '_';
      return name;
    });

TEST(CliValidate, FilesThatCannotBeReadAreClearErrors) {
  ProcessRun missing = runCli({"validate", "/nonexistent/request.json"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.err,
            "error: cannot open /nonexistent/request.json: No such file or directory\n");

  ProcessRun directory = runCli({"validate", g_get_tmp_dir()});
  EXPECT_EQ(directory.status, 2);
  EXPECT_EQ(directory.err,
            std::string("error: cannot read ") + g_get_tmp_dir() + ": Is a directory\n");

  TempFile huge(std::string(3 << 20, 'x'));
  ProcessRun tooLarge = runCli({"validate", huge.path()});
  EXPECT_EQ(tooLarge.status, 2);
  EXPECT_EQ(tooLarge.err, "error: " + huge.path() + " is larger than the limit of 1048576 bytes\n");
}

TEST(CliValidate, HugeStdinIsCutOffWithoutReadingItAll) {
  // 64 MiB through a pipe: the program stops reading past the limit and says so.
  ProcessRun run = runArgv(
      {"/bin/sh", "-c", "head -c 67108864 /dev/zero | \"$0\" validate -", cliPath()}, std::nullopt);
  EXPECT_EQ(run.status, 2);
  EXPECT_EQ(run.err, "error: standard input is larger than the limit of 1048576 bytes\n");
}

TEST(CliValidate, ErrorsNeverEchoCredentials) {
  ProcessRun run = runCli({"validate", "-"}, std::string(R"({"source_kind":"rtsp_camera",
      "rtsp_camera":{"url":"http://admin:camsecret99@cam.local/s"},
      "mountpoint_spec":{"media":[{"type":"video","codec":"h264"}]}})"));
  EXPECT_EQ(run.status, 2);
  EXPECT_EQ(run.err.find("camsecret99"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("rtsp_camera.url: scheme must be one of rtsp, rtsps, rtspt"),
            std::string::npos);
}

}  // namespace
}  // namespace su
