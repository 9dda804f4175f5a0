#pragma once
// What a failed scenario step adds to its "actual:" when the app's webhooks are the likely cause:
// deliveries that failed (a 403 for a wrong app secret, no answer for a wrong port) and a webhook
// verification that did not pass. A bot that heard nothing cannot answer, and "it sent that user
// nothing" alone sends the reader to the wrong place. Internal (not installed).

#include <rapidjson/document.h>

#include <string>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

/// Lines (each indented and ending in a newline) on the failed deliveries and verifications in
/// `timeline` (a `GET /_emulator/timeline?app=...` answer) of `app_name`; empty when none.
std::string deliveryTrouble(const rapidjson::Value& timeline, const std::string& app_name);

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
