// What SuService tells the SuBroadcasts it owns; not part of the API.
#pragma once

#include <string>

#include "model/broadcast_result.hpp"
#include "su-broadcast.h"

// A broadcast known by id only so far (an event came before its start finished).
SuBroadcast* suBroadcastNew(const std::string& id);
void suBroadcastSetState(SuBroadcast* self, const std::string& state);
// Everything the result says: state, source kind, mountpoint, ports, error, the document.
void suBroadcastUpdate(SuBroadcast* self, const su::model::BroadcastResult& result);
void suBroadcastSetHealth(SuBroadcast* self, std::string healthJson);
