#pragma once
// Why a layer of its own: a `whatsapp_business_account` body carries its events inside
// `entry[].changes[].value`, which the SAX pass captures as raw slices (as it does for the
// dashboard's test payloads). This layer turns each slice into events with the same `Event`
// model, platform kWhatsApp, following the `handover parse` table (examples/cli.md) and being
// lenient where live payloads differ from Meta's pages (whatsapp.md §4): an unknown field, type
// or item is `Unknown`, never an error; a missing role or app is absent, not wrong.

#include <optional>

#include "handover/core/error.hpp"
#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

/// Reads `batch.changes` into `batch.events` (items that are not objects into `batch.errors`)
/// and empties `batch.changes`. A kParse error (offset in the body) for a repeated key in a
/// value, or when events and errors together pass `max_items`.
std::optional<Error> readWhatsAppChanges(Batch& batch, std::size_t max_items);

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
