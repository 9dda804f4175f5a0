#pragma once
// `handover parse` output: one JSON line per event, in the documented contract (README "handover
// parse output") or, with --flat, the older shape with the payload's fields beside the envelope.

#include <string>
#include <string_view>

#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {

/// `{"kind","standby","platform","page_id","sender_id","recipient_id","timestamp","data"}`,
/// `data` being the event's wire object re-emitted from `body` (the bytes it was parsed from)
/// with every integer id as a string.
std::string contractLine(const webhook::Event& event, std::string_view body);

/// The `--flat` shape: envelope plus the typed payload's fields, flattened.
std::string flatLine(const webhook::Event& event);

/// The `--flat` shape of a dashboard `changes[]` item.
std::string flatLine(const webhook::Change& change);

}  // namespace cli
HANDOVER_END_NAMESPACE
