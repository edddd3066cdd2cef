// What the API's objects share among themselves; not part of the API.
#pragma once

#include <gio/gio.h>

#include <set>
#include <string>

#include "core/result.hpp"
#include "model/broadcast_request.hpp"
#include "model/broadcast_result.hpp"
#include "queue/queue.hpp"
#include "su-broadcast-request.h"
#include "su-broadcast.h"
#include "su-error.h"
#include "su-queue.h"

// A broadcast known by id only so far (an event came before its start finished).
SuBroadcast* suBroadcastNew(const std::string& id);
void suBroadcastSetState(SuBroadcast* self, const std::string& state);
// Everything the result says: state, source kind, mountpoint, ports, error, the document.
void suBroadcastUpdate(SuBroadcast* self, const su::model::BroadcastResult& result);
void suBroadcastSetHealth(SuBroadcast* self, std::string healthJson);

// The request the document says, validated (every problem in the error's fields).
su::Result<su::model::BroadcastRequest> suBroadcastRequestModel(SuBroadcastRequest* self);

// The C++ queue behind a SuQueue (a worker runs on it).
su::queue::JobQueue& suQueueJobs(SuQueue* self);

// The GTasks an object has not completed yet. Disposing it with calls in flight (which only
// g_object_run_dispose() can, as each task holds a reference) completes each with
// G_IO_ERROR_CANCELLED rather than never. Every completion goes through complete().
class PendingTasks {
 public:
  // A new task of `source` for an _async call (`tag` is the call), pending until completed.
  GTask* start(gpointer source, GCancellable* cancellable, GAsyncReadyCallback callback,
               gpointer user_data, gpointer tag) {
    GTask* task = g_task_new(source, cancellable, callback, user_data);
    g_task_set_source_tag(task, tag);
    tasks_.insert(task);
    return task;
  }
  // Whether `task` is still to complete; it is the caller's to complete from now on.
  bool complete(GTask* task) { return tasks_.erase(task) > 0; }
  void cancelAll() {
    for (GTask* task : std::exchange(tasks_, {})) {
      g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                              "the object was disposed before the call finished");
      g_object_unref(task);
    }
  }

 private:
  std::set<GTask*> tasks_;
};

// Ends `task` with an SU_ERROR, and drops it.
inline void suReturnError(GTask* task, SuError code, const std::string& message) {
  g_task_return_new_error(task, SU_ERROR, code, "%s", message.c_str());
  g_object_unref(task);
}

// Ends `task` with TRUE, and drops it.
inline void suReturnTrue(GTask* task) {
  g_task_return_boolean(task, TRUE);
  g_object_unref(task);
}

// Ends `task` with G_IO_ERROR_CANCELLED if its cancellable was cancelled, and drops it.
inline bool suReturnedCancelled(GTask* task) {
  if (!g_task_return_error_if_cancelled(task)) return false;
  g_object_unref(task);
  return true;
}
