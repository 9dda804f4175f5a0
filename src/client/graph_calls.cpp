// The call table: for each Graph call, its request (validation, method, edge, query, body from
// request_bodies) and its typed reader (responses). Add a call here, in requests.hpp and in
// handover/client/graph_calls.hpp; nothing else needs to change.

#include "graph_calls.hpp"

#include <utility>

#include "handover/core/export.hpp"
#include "json_body.hpp"
#include "request_bodies.hpp"
#include "responses.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {
namespace {

CallSpec get(std::string path, QueryParams query = {}) {
  CallSpec c;
  c.path = std::move(path);
  c.query = std::move(query);
  return c;
}

CallSpec post(std::string path, std::string body) {
  CallSpec c;
  c.method = HttpMethod::kPost;
  c.path = std::move(path);
  c.body = std::move(body);
  return c;
}

std::string edge(const std::string& page, const char* name) {
  return page + "/" + name;
}

/// A POST to a Page edge whose body `build` makes (or refuses).
Result<CallSpec> postBody(const std::string& page, const char* name, Result<std::string> body) {
  if (!body) return std::move(body).error();
  return post(edge(page, name), std::move(*body));
}

void addPaging(QueryParams& query, const std::string& after, int limit) {
  if (limit > 0) query.emplace_back("limit", std::to_string(limit));
  if (!after.empty()) query.emplace_back("after", after);
}

constexpr const char* kPersonaFields = "id,name,profile_picture_url";

}  // namespace

// --- thread control --------------------------------------------------------------------------

Result<CallSpec> describe(const PassThreadControlRequest& r, const std::string& page) {
  return postBody(page, "pass_thread_control", passThreadControlBody(r));
}
Result<void> readAnswer(const PassThreadControlRequest&, const rapidjson::Value& doc) {
  return readSuccess(doc, "pass_thread_control");
}

Result<CallSpec> describe(const TakeThreadControlRequest& r, const std::string& page) {
  return postBody(page, "take_thread_control", takeThreadControlBody(r));
}
Result<TakeThreadControlResponse> readAnswer(const TakeThreadControlRequest&,
                                             const rapidjson::Value& doc) {
  return readTakeResponse(doc);
}

Result<CallSpec> describe(const RequestThreadControlRequest& r, const std::string& page) {
  return postBody(page, "request_thread_control", requestThreadControlBody(r));
}
Result<RequestDelivered> readAnswer(const RequestThreadControlRequest&,
                                    const rapidjson::Value& doc) {
  auto ok = readSuccess(doc, "request_thread_control");
  if (!ok) return std::move(ok).error();
  return RequestDelivered{};
}

Result<CallSpec> describe(const ReleaseThreadControlRequest& r, const std::string& page) {
  return postBody(page, "release_thread_control", releaseThreadControlBody(r));
}
Result<void> readAnswer(const ReleaseThreadControlRequest&, const rapidjson::Value& doc) {
  return readSuccess(doc, "release_thread_control");
}

Result<CallSpec> describe(const ExtendThreadControlRequest& r, const std::string& page) {
  return postBody(page, "extend_thread_control", extendThreadControlBody(r));
}
Result<void> readAnswer(const ExtendThreadControlRequest&, const rapidjson::Value& doc) {
  return readSuccess(doc, "extend_thread_control");
}

Result<CallSpec> describe(const GetThreadOwnerRequest& r, const std::string& page) {
  if (auto e = checkRecipient(r.recipient)) return *e;
  return get(edge(page, "thread_owner"), {{"recipient", r.recipient}});
}
Result<ThreadOwner> readAnswer(const GetThreadOwnerRequest&, const rapidjson::Value& doc) {
  return readThreadOwner(doc, "thread_owner");
}

Result<CallSpec> describe(const GetSecondaryReceiversRequest& r, const std::string& page) {
  if (r.limit < 0) return handover::detail::invalidArgument("limit must not be negative");
  QueryParams query;
  std::string fields;
  for (const auto& f : r.fields) {
    if (f.empty() || f.find(',') != std::string::npos) {
      return handover::detail::invalidArgument(
          "field names must be non-empty and contain no comma");
    }
    fields += (fields.empty() ? "" : ",") + f;
  }
  if (!fields.empty()) query.emplace_back("fields", fields);
  if (r.platform) {
    switch (*r.platform) {
      case Platform::kMessenger:
        query.emplace_back("platform", "MESSENGER");
        break;
      case Platform::kInstagram:
        query.emplace_back("platform", "INSTAGRAM");
        break;
      case Platform::kWhatsApp:
        return handover::detail::invalidArgument(
            "secondary_receivers lists Page apps; WhatsApp numbers have roles instead");
    }
  }
  addPaging(query, r.after, r.limit);
  return get(edge(page, "secondary_receivers"), std::move(query));
}
Result<SecondaryReceivers> readAnswer(const GetSecondaryReceiversRequest&,
                                      const rapidjson::Value& doc) {
  return readSecondaryReceivers(doc);
}

Result<CallSpec> describe(const GetMessagingFeatureStatusRequest&, const std::string& page) {
  return get(page, {{"fields", "messaging_feature_status"}});
}
Result<MessagingFeatureStatus> readAnswer(const GetMessagingFeatureStatusRequest&,
                                          const rapidjson::Value& doc) {
  return readFeatureStatus(doc);
}

// --- Send API --------------------------------------------------------------------------------

Result<CallSpec> describe(const SendTextRequest& r, const std::string& page) {
  return postBody(page, "messages", sendTextBody(r));
}
Result<SendResponse> readAnswer(const SendTextRequest&, const rapidjson::Value& doc) {
  return readSendResponse(doc, /*expect_message_id=*/true);
}

Result<CallSpec> describe(const SendSenderActionRequest& r, const std::string& page) {
  if (auto e = checkRecipient(r.recipient)) return *e;
  JsonBody body;
  body.recipient(r.recipient).field("sender_action", toString(r.action));
  body.optionalField("persona_id", r.persona_id);
  return post(edge(page, "messages"), body.finish());
}
Result<SendResponse> readAnswer(const SendSenderActionRequest&, const rapidjson::Value& doc) {
  // A sender action's answer has a recipient but no message id.
  return readSendResponse(doc, /*expect_message_id=*/false);
}

// --- personas --------------------------------------------------------------------------------

Result<CallSpec> describe(const CreatePersonaRequest& r, const std::string& page) {
  if (r.name.empty()) return handover::detail::invalidArgument("persona name is empty");
  if (r.profile_picture_url.empty())
    return handover::detail::invalidArgument("profile_picture_url is empty");
  JsonBody body;
  body.field("name", r.name).field("profile_picture_url", r.profile_picture_url);
  return post(edge(page, "personas"), body.finish());
}
Result<Persona> readAnswer(const CreatePersonaRequest& r, const rapidjson::Value& doc) {
  // Graph answers only the id; the rest is what was asked for.
  auto id = readCreatedId(doc, "personas");
  if (!id) return std::move(id).error();
  return Persona{std::move(*id), r.name, r.profile_picture_url};
}

Result<CallSpec> describe(const GetPersonaRequest& r, const std::string&) {
  if (r.persona_id.empty()) return handover::detail::invalidArgument("persona_id is empty");
  return get(percentEncode(r.persona_id), {{"fields", kPersonaFields}});
}
Result<Persona> readAnswer(const GetPersonaRequest&, const rapidjson::Value& doc) {
  return readPersona(doc);
}

Result<CallSpec> describe(const ListPersonasRequest& r, const std::string& page) {
  if (r.limit < 0) return handover::detail::invalidArgument("limit must not be negative");
  QueryParams query{{"fields", kPersonaFields}};
  addPaging(query, r.after, r.limit);
  return get(edge(page, "personas"), std::move(query));
}
Result<PersonaPage> readAnswer(const ListPersonasRequest&, const rapidjson::Value& doc) {
  return readPersonaPage(doc);
}

Result<CallSpec> describe(const DeletePersonaRequest& r, const std::string&) {
  if (r.persona_id.empty()) return handover::detail::invalidArgument("persona_id is empty");
  CallSpec c;
  c.method = HttpMethod::kDelete;
  c.path = percentEncode(r.persona_id);
  return c;
}
Result<void> readAnswer(const DeletePersonaRequest&, const rapidjson::Value& doc) {
  return readSuccess(doc, "delete persona");
}

}  // namespace detail
HANDOVER_END_NAMESPACE
