/* Starts a broadcast into Janus through the StreamingUtils GObject API, prints what happens, and
 * stops it on Ctrl-C (SIGINT) or SIGTERM, leaving Janus as it was.
 *
 *   broadcast [--janus-url ws://127.0.0.1:8188] [--request FILE]
 *
 * Built against the installed library:
 *   cc broadcast.c $(pkg-config --cflags --libs streaming-utils-glib-1.0) -o broadcast
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <streaming-utils-glib.h>

static const char* const kTestPattern =
    "{\"source_kind\":\"test_pattern\",\"mountpoint_spec\":{\"description\":\"StreamingUtils "
    "from C\",\"media\":[{\"type\":\"audio\",\"codec\":\"opus\"},"
    "{\"type\":\"video\",\"codec\":\"h264\"}]}}";

typedef struct {
  GMainLoop* loop;
  SuService* service;
  SuBroadcast* broadcast; /* once running */
  gboolean stopping;
  int status;
} App;

static void on_state(SuService* service, SuBroadcast* broadcast, const char* state, gpointer data) {
  (void)service, (void)data;
  printf("%s: %s\n", su_broadcast_get_id(broadcast), state);
  fflush(stdout);
}

static void on_event(SuService* service, SuBroadcast* broadcast, const char* event,
                     const char* details, gpointer data) {
  (void)service, (void)details, (void)data;
  printf("%s: event %s\n", su_broadcast_get_id(broadcast), event);
  fflush(stdout);
}

static void on_error(SuService* service, SuBroadcast* broadcast, const char* phase,
                     const GError* error, gpointer data) {
  (void)service, (void)data;
  printf("%s: error in %s: %s\n", su_broadcast_get_id(broadcast), phase, error->message);
  fflush(stdout);
}

static void stopped(GObject* source, GAsyncResult* result, gpointer data) {
  App* app = data;
  g_autoptr(GError) error = NULL;
  if (su_service_stop_finish(SU_SERVICE(source), result, &error)) {
    printf("stopped\n");
    app->status = 0;
  } else {
    printf("stop failed: %s\n", error->message);
  }
  g_main_loop_quit(app->loop);
}

static gboolean on_signal(gpointer data) {
  App* app = data;
  if (app->stopping) return G_SOURCE_CONTINUE;
  app->stopping = TRUE;
  if (!app->broadcast) {
    g_main_loop_quit(app->loop);
    return G_SOURCE_CONTINUE;
  }
  printf("stopping\n");
  fflush(stdout);
  su_service_stop_async(app->service, su_broadcast_get_id(app->broadcast), NULL, stopped, app);
  return G_SOURCE_CONTINUE;
}

static void started(GObject* source, GAsyncResult* result, gpointer data) {
  App* app = data;
  g_autoptr(GError) error = NULL;
  SuBroadcast* broadcast = su_service_start_finish(SU_SERVICE(source), result, &error);
  if (!broadcast) {
    printf("start failed: %s\n", error->message);
    g_main_loop_quit(app->loop);
    return;
  }
  app->broadcast = broadcast;
  GVariant* ports = su_broadcast_get_ports(broadcast);
  g_autofree char* portsText = ports ? g_variant_print(ports, FALSE) : g_strdup("{}");
  printf("running: broadcast %s, mountpoint %" G_GINT64_FORMAT ", ports %s\n",
         su_broadcast_get_id(broadcast), su_broadcast_get_mountpoint_id(broadcast), portsText);
  fflush(stdout);
}

typedef struct {
  App* app;
  char* request;
} Start;

static void connected(GObject* source, GAsyncResult* result, gpointer data) {
  Start* start = data;
  g_autoptr(GError) error = NULL;
  if (su_service_connect_finish(SU_SERVICE(source), result, &error)) {
    su_service_start_async(SU_SERVICE(source), start->request, NULL, started, start->app);
  } else {
    printf("connect failed: %s\n", error->message);
    g_main_loop_quit(start->app->loop);
  }
}

int main(int argc, char** argv) {
  g_autofree char* janusUrl = NULL;
  g_autofree char* requestFile = NULL;
  const GOptionEntry options[] = {
      {"janus-url", 0, 0, G_OPTION_ARG_STRING, &janusUrl, "The Janus WebSocket API", "URL"},
      {"request", 0, 0, G_OPTION_ARG_FILENAME, &requestFile,
       "A broadcast request (JSON file); default: a test pattern", "FILE"},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) context = g_option_context_new("- a broadcast into Janus");
  g_option_context_add_main_entries(context, options, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    fprintf(stderr, "%s\n", error->message);
    return 2;
  }
  Start start = {0};
  if (requestFile) {
    if (!g_file_get_contents(requestFile, &start.request, NULL, &error)) {
      fprintf(stderr, "%s\n", error->message);
      return 2;
    }
  } else {
    start.request = g_strdup(kTestPattern);
  }

  App app = {.loop = g_main_loop_new(NULL, FALSE), .status = 1};
  start.app = &app;
  SuService* service = su_service_new(janusUrl ? janusUrl : "ws://127.0.0.1:8188");
  app.service = service;
  g_signal_connect(service, "broadcast-state-changed", G_CALLBACK(on_state), NULL);
  g_signal_connect(service, "broadcast-event", G_CALLBACK(on_event), NULL);
  g_signal_connect(service, "broadcast-error", G_CALLBACK(on_error), NULL);
  guint interrupt = g_unix_signal_add(SIGINT, on_signal, &app);
  guint terminate = g_unix_signal_add(SIGTERM, on_signal, &app);
  su_service_connect_async(service, NULL, connected, &start);
  g_main_loop_run(app.loop);

  g_source_remove(interrupt);
  g_source_remove(terminate);
  g_clear_object(&app.broadcast);
  g_object_unref(service); /* stops whatever is left */
  g_main_loop_unref(app.loop);
  g_free(start.request);
  return app.status;
}
