#pragma once
// The `whatsapp_numbers` section of the configuration (whatsapp_config.cpp).

#include <rapidjson/document.h>

#include <string>

#include "handover/core/result.hpp"
#include "handover/emulator/config.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

/// Appends the numbers of a `whatsapp_numbers` array to `config`.
Result<void> parseWhatsAppNumbers(const rapidjson::Value& v, Config& config);
/// Ids (digits, unique among pages and numbers), the default entry point, the apps named.
Result<void> validateWhatsAppNumbers(const Config& config);
/// The app answers on the number: a primary, a role holder, the escalation partner or a
/// standby app.
bool isResponder(const WhatsAppNumberConfig& number, const std::string& app_id);

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
