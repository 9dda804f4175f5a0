#include "responses.hpp"

#include <utility>

#include "handover/core/export.hpp"
#include "json.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {
namespace {

/// The `after` cursor when another page exists. Graph omits `paging.next` on the last page
/// even when cursors are present.
std::string nextCursor(FieldReader& read, const rapidjson::Value& doc) {
  const auto* paging = read.object(doc, "paging");
  if (paging == nullptr || !read.string(*paging, "next")) return {};
  const auto* cursors = read.object(*paging, "cursors");
  if (cursors == nullptr) return {};
  return read.string(*cursors, "after").value_or("");
}

/// The `data` array of a list answer; nullptr (and an error in `read`) when absent.
const rapidjson::Value* dataArray(FieldReader& read, const rapidjson::Value& doc) {
  const auto* data = read.array(doc, "data");
  if (data == nullptr && read.ok()) read.fail("no 'data' array");
  return data;
}

}  // namespace

Error parseError(std::string message) {
  Error e;
  e.category = ErrorCategory::kParse;
  e.message = std::move(message);
  return e;
}

Result<void> readSuccess(const rapidjson::Value& doc, const char* what) {
  FieldReader read(what);
  const auto success = read.boolean(doc, "success");
  if (!read.ok()) return read.error();
  if (!success) return parseError(std::string(what) + ": response has no 'success' field");
  if (!*success) {
    Error e;
    e.category = ErrorCategory::kApi;
    e.http_status = 200;
    e.message = std::string(what) + ": the Graph API answered success=false";
    return e;
  }
  return {};
}

Result<ThreadOwner> readThreadOwner(const rapidjson::Value& doc, const char* what) {
  FieldReader read(what);
  if (!doc.IsObject()) return parseError(std::string(what) + ": response is not an object");
  const rapidjson::Value* owner = read.object(doc, "thread_owner");
  if (const auto* data = read.array(doc, "data"); data != nullptr && !data->Empty()) {
    const auto& first = (*data)[0];
    if (!first.IsObject()) return parseError(std::string(what) + ": data[0] is not an object");
    owner = read.object(first, "thread_owner");
  }
  ThreadOwner out;
  if (owner != nullptr) {
    out.app_id = read.id(*owner, "app_id");
    if (const auto seconds = read.int64(*owner, "expiration")) {
      out.expiration = EpochSeconds{std::chrono::seconds{*seconds}};
    }
  }
  if (!read.ok()) return read.error();
  return out;
}

Result<TakeThreadControlResponse> readTakeResponse(const rapidjson::Value& doc) {
  if (doc.IsObject() && doc.HasMember("success")) {
    if (auto ok = readSuccess(doc, "take_thread_control"); !ok) return std::move(ok).error();
    return TakeThreadControlResponse{};
  }
  auto owner = readThreadOwner(doc, "take_thread_control");
  if (!owner) return std::move(owner).error();
  if (owner->empty()) return parseError("take_thread_control: unrecognised response");
  return TakeThreadControlResponse{owner->app_id, owner->expiration};
}

Result<SecondaryReceivers> readSecondaryReceivers(const rapidjson::Value& doc) {
  FieldReader read("secondary_receivers");
  SecondaryReceivers out;
  if (const auto* data = dataArray(read, doc)) {
    for (const auto& item : data->GetArray()) {
      if (!item.IsObject()) return parseError("secondary_receivers: item is not an object");
      AppSummary app;
      app.id = read.id(item, "id").value_or("");
      app.name = read.string(item, "name").value_or("");
      out.apps.push_back(std::move(app));
    }
  }
  out.next_cursor = nextCursor(read, doc);
  if (!read.ok()) return read.error();
  return out;
}

Result<MessagingFeatureStatus> readFeatureStatus(const rapidjson::Value& doc) {
  FieldReader read("messaging_feature_status");
  MessagingFeatureStatus out;
  out.page_id = read.id(doc, "id").value_or("");
  const auto* status = read.object(doc, "messaging_feature_status");
  if (status == nullptr && read.ok()) read.fail("field missing from the response");
  if (status != nullptr) {
    out.hop_v2 = read.boolean(*status, "hop_v2").value_or(false);
    out.msgr_multi_app = read.boolean(*status, "msgr_multi_app").value_or(false);
    out.ig_multi_app = read.boolean(*status, "ig_multi_app").value_or(false);
  }
  if (!read.ok()) return read.error();
  return out;
}

Result<SendResponse> readSendResponse(const rapidjson::Value& doc, bool expect_message_id) {
  FieldReader read("messages");
  SendResponse out;
  out.recipient_id = read.id(doc, "recipient_id").value_or("");
  out.message_id = read.string(doc, "message_id").value_or("");
  if (!read.ok()) return read.error();
  if (expect_message_id && out.message_id.empty()) {
    return parseError("messages: response has no 'message_id'");
  }
  return out;
}

Result<Persona> readPersona(const rapidjson::Value& doc) {
  if (!doc.IsObject()) return parseError("persona is not an object");
  FieldReader read("persona");
  Persona p;
  auto id = read.id(doc, "id");
  p.name = read.string(doc, "name").value_or("");
  p.profile_picture_url = read.string(doc, "profile_picture_url").value_or("");
  if (!read.ok()) return read.error();
  if (!id) return parseError("persona has no 'id'");
  p.id = std::move(*id);
  return p;
}

Result<PersonaPage> readPersonaPage(const rapidjson::Value& doc) {
  FieldReader read("personas");
  PersonaPage out;
  if (const auto* data = dataArray(read, doc)) {
    for (const auto& item : data->GetArray()) {
      auto persona = readPersona(item);
      if (!persona) return std::move(persona).error();
      out.personas.push_back(std::move(*persona));
    }
  }
  out.next_cursor = nextCursor(read, doc);
  if (!read.ok()) return read.error();
  return out;
}

Result<std::string> readCreatedId(const rapidjson::Value& doc, const char* what) {
  FieldReader read(what);
  auto id = read.id(doc, "id");
  if (!read.ok()) return read.error();
  if (!id) return parseError(std::string(what) + ": response has no 'id'");
  return std::move(*id);
}

}  // namespace detail
HANDOVER_END_NAMESPACE
