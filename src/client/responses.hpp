#pragma once
// Typed readers of Graph success bodies. Each checks the type of every field it reads and
// answers with a kParse error rather than guessing.

#include <rapidjson/document.h>

#include <string>

#include "handover/client/requests.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

Error parseError(std::string message);

/// `{"success":true}`; `success:false` is a kApi error, anything else kParse.
Result<void> readSuccess(const rapidjson::Value& doc, const char* what);

/// `data[0].thread_owner` (live since 2018) or a top-level `thread_owner` (older docs);
/// `{"data":[]}` and `{}` disclose nothing.
Result<ThreadOwner> readThreadOwner(const rapidjson::Value& doc, const char* what);

/// `{"success":true}` (Conversation Routing) or the new owner (Handover v2).
Result<TakeThreadControlResponse> readTakeResponse(const rapidjson::Value& doc);

Result<SecondaryReceivers> readSecondaryReceivers(const rapidjson::Value& doc);
Result<MessagingFeatureStatus> readFeatureStatus(const rapidjson::Value& doc);
Result<SendResponse> readSendResponse(const rapidjson::Value& doc, bool expect_message_id);
Result<Persona> readPersona(const rapidjson::Value& doc);
Result<PersonaPage> readPersonaPage(const rapidjson::Value& doc);
/// The `id` of a created object.
Result<std::string> readCreatedId(const rapidjson::Value& doc, const char* what);

}  // namespace detail
HANDOVER_END_NAMESPACE
