// The WhatsApp lines of the call table (handover/client/graph_calls.hpp): Conversation
// Routing's `thread_control` and the text send, whose paths start at the business number the
// request names rather than at the client's Page (whatsapp.md §2, §3a).

#include <rapidjson/encodings.h>
#include <rapidjson/stringbuffer.h>

#include <string>
#include <utility>

#include "graph_calls.hpp"
#include "json.hpp"
#include "json_body.hpp"
#include "responses.hpp"
#include "url.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {
namespace {

std::optional<Error> checkNumber(const std::string& phone_number_id) {
  if (phone_number_id.empty()) {
    return handover::detail::invalidArgument("phone_number_id is empty");
  }
  if (!wa::isPhoneNumberId(phone_number_id)) {
    return handover::detail::invalidArgument("phone_number_id must be digits");
  }
  return std::nullopt;
}

std::optional<Error> checkUser(const wa::User& user) {
  if (user.valid()) return std::nullopt;
  return handover::detail::invalidArgument(
      user.field() == wa::UserField::kTo
          ? "`to` must be a phone number or wa_id: digits with an optional leading +"
          : "`recipient` must be a business-scoped user id (CC.[ENT.]id, e.g. "
            "US.13491208655302741)");
}

/// Code points of `text`, or nullopt when it is not valid UTF-8 (RapidJSON's decoder).
std::optional<std::size_t> codePoints(const std::string& text) {
  rapidjson::StringStream in(text.c_str());
  std::size_t count = 0;
  while (static_cast<std::size_t>(in.Tell()) < text.size()) {
    unsigned code = 0;
    if (!rapidjson::UTF8<>::Decode(in, &code)) return std::nullopt;
    ++count;
  }
  return count;
}

std::optional<Error> checkMetadata(const std::string& metadata) {
  if (metadata.empty()) return std::nullopt;
  const auto n = codePoints(metadata);
  if (!n) return handover::detail::invalidArgument("metadata is not valid UTF-8");
  if (*n > wa::kMaxMetadataCodePoints) {
    return handover::detail::invalidArgument(
        "metadata has " + std::to_string(*n) + " characters; at most " +
        std::to_string(wa::kMaxMetadataCodePoints) + " are allowed");
  }
  return std::nullopt;
}

std::optional<Error> checkAddress(const std::string& number, const wa::User& user) {
  if (auto e = checkNumber(number)) return e;
  return checkUser(user);
}

/// How every WhatsApp body starts: the product and the user.
void address(JsonBody& body, const wa::User& user) {
  body.field("messaging_product", "whatsapp").field(user.wireKey(), user.id());
}

Result<CallSpec> threadControl(const std::string& number, const wa::User& user, const char* action,
                               const std::string& metadata,
                               const std::optional<wa::RoleName>& role) {
  if (auto e = checkMetadata(metadata)) return *e;
  if (role && !wa::isRoleName(role->wire())) {
    return handover::detail::invalidArgument("target_role must be a lowercase word ([a-z_]+)");
  }
  if (auto e = checkAddress(number, user)) return *e;
  JsonBody body;
  address(body, user);
  body.field("action", action).optionalField("metadata", metadata);
  if (role) body.beginObject("control_pass").field("target_role", role->wire()).endObject();
  CallSpec c;
  c.method = HttpMethod::kPost;
  c.path = number + "/thread_control";
  c.body = body.finish();
  c.never_resend = true;  // not idempotent: a second pass may land on another owner
  return c;
}

// Any 2xx JSON object is a success: `request_id` is new (September 2026) and optional, so one
// that is not a string or an integer id is read as absent rather than failing a call that was
// made (and must not be made again).
Result<wa::ThreadControlResponse> readThreadControl(const rapidjson::Value& doc) {
  wa::ThreadControlResponse out;
  const auto it = doc.FindMember("request_id");
  if (it == doc.MemberEnd()) return out;
  FieldReader read("thread_control");
  out.request_id = read.id(doc, "request_id");
  if (!read.ok()) out.request_id.reset();
  return out;
}

}  // namespace

Result<CallSpec> describe(const wa::PassThreadControlRequest& r, const std::string&) {
  return threadControl(r.phone_number_id, r.user, "pass", r.metadata, r.target_role);
}
Result<wa::ThreadControlResponse> readAnswer(const wa::PassThreadControlRequest&,
                                             const rapidjson::Value& doc) {
  return readThreadControl(doc);
}

Result<CallSpec> describe(const wa::TakeThreadControlRequest& r, const std::string&) {
  return threadControl(r.phone_number_id, r.user, "take", r.metadata, std::nullopt);
}
Result<wa::ThreadControlResponse> readAnswer(const wa::TakeThreadControlRequest&,
                                             const rapidjson::Value& doc) {
  return readThreadControl(doc);
}

Result<CallSpec> describe(const wa::ReleaseThreadControlRequest& r, const std::string&) {
  return threadControl(r.phone_number_id, r.user, "release", r.metadata, std::nullopt);
}
Result<wa::ThreadControlResponse> readAnswer(const wa::ReleaseThreadControlRequest&,
                                             const rapidjson::Value& doc) {
  return readThreadControl(doc);
}

Result<CallSpec> describe(const wa::SendTextRequest& r, const std::string&) {
  if (r.text.empty()) return handover::detail::invalidArgument("text is empty");
  if (!codePoints(r.text)) return handover::detail::invalidArgument("text is not valid UTF-8");
  if (auto e = checkAddress(r.phone_number_id, r.user)) return *e;
  JsonBody body;
  address(body, r.user);
  body.field("type", "text").beginObject("text").field("body", r.text);
  if (r.preview_url) body.boolean("preview_url", true);
  body.endObject();
  CallSpec c;
  c.method = HttpMethod::kPost;
  c.path = r.phone_number_id + "/messages";
  c.body = body.finish();
  return c;
}
Result<wa::SendResponse> readAnswer(const wa::SendTextRequest&, const rapidjson::Value& doc) {
  FieldReader read("messages");
  wa::SendResponse out;
  const auto* messages = read.array(doc, "messages");
  if (messages != nullptr && !messages->Empty() && (*messages)[0].IsObject()) {
    out.message_id = read.string((*messages)[0], "id").value_or("");
  }
  const auto* contacts = read.array(doc, "contacts");
  if (contacts != nullptr && !contacts->Empty() && (*contacts)[0].IsObject()) {
    out.wa_id = read.id((*contacts)[0], "wa_id").value_or("");
  }
  if (!read.ok()) return read.error();
  if (out.message_id.empty()) return parseError("messages: response has no messages[0].id");
  return out;
}

}  // namespace detail
HANDOVER_END_NAMESPACE
