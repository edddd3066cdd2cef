// What SuService tells the SuBroadcasts it owns; not part of the API.
#pragma once

#include <string>

#include "core/result.hpp"
#include "model/broadcast_request.hpp"
#include "model/broadcast_result.hpp"
#include "su-broadcast-request.h"
#include "su-broadcast.h"

// A broadcast known by id only so far (an event came before its start finished).
SuBroadcast* suBroadcastNew(const std::string& id);
void suBroadcastSetState(SuBroadcast* self, const std::string& state);
// Everything the result says: state, source kind, mountpoint, ports, error, the document.
void suBroadcastUpdate(SuBroadcast* self, const su::model::BroadcastResult& result);
void suBroadcastSetHealth(SuBroadcast* self, std::string healthJson);

// The request the document says, validated (every problem in the error's fields).
su::Result<su::model::BroadcastRequest> suBroadcastRequestModel(SuBroadcastRequest* self);
