// Part of Emulator::Impl (emulator_impl.hpp): the WhatsApp Cloud API calls on a business number,
// `POST /{version}/{phone_number_id}/thread_control` and `.../messages` (whatsapp.md §2, §3a),
// read from their JSON bodies and answered as Meta answers them; the rules are World's.

#include <string>

#include "emulator_impl.hpp"
#include "handover/core/whatsapp.hpp"
#include "validation.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {
namespace {

// `to` xor `recipient` (whatsapp.md §2: "Exactly one, or Meta rejects"), each of its form.
Result<std::string> userOf(const Params& params) {
  const auto to = params.get("to");
  const auto recipient = params.get("recipient");
  if (to.has_value() == recipient.has_value()) {
    return detail::graphError(100, 0, "(#100) Exactly one of to and recipient is required");
  }
  if (to && !wa::isPhoneUserId(*to)) {
    return detail::graphError(100, 0, "(#100) Param to must be a phone number or wa_id");
  }
  if (recipient && !wa::isBusinessScopedUserId(*recipient)) {
    return detail::graphError(100, 0, "(#100) Param recipient must be a business-scoped user id");
  }
  if (!to) return *recipient;
  // One user, however the number is written: Meta's wa_id has no '+'.
  return to->front() == '+' ? to->substr(1) : *to;
}

std::optional<Error> checkProduct(const Params& params) {
  if (params.get("messaging_product") == std::optional<std::string>("whatsapp")) {
    return std::nullopt;
  }
  return detail::graphError(100, 0, "(#100) Param messaging_product must be whatsapp");
}

}  // namespace

void Emulator::Impl::whatsappGraph(const httplib::Request& req, httplib::Response& res,
                                   const Caller& c, const Params& params, const std::string& edge) {
  const auto fail = [&](const Error& e) { replyError(req, res, "graph", c.app_id, e); };
  if (req.method != "POST" || (edge != "thread_control" && edge != "messages")) {
    return fail(detail::graphError(
        2500, 0, "Unknown path components: /" + edge + " (" + req.method + ") on a number"));
  }
  if (auto e = checkProduct(params)) return fail(*e);
  auto user = userOf(params);
  if (!user) return fail(user.error());
  const std::string product = "{\"messaging_product\":\"whatsapp\"";
  if (edge == "thread_control") {
    detail::WaControlInput in;
    in.user = *user;
    in.action = params.get("action").value_or("");
    in.metadata = params.get("metadata").value_or("");
    if (!detail::isValidText(in.metadata, wa::kMaxMetadataCodePoints)) {
      return fail(
          detail::graphError(100, 0, "(#100) Param metadata must be at most 2000 characters"));
    }
    if (const rapidjson::Value* pass = params.json("control_pass")) {
      const auto role = pass->IsObject() ? pass->FindMember("target_role") : pass->MemberEnd();
      if (!pass->IsObject() || role == pass->MemberEnd() || !role->value.IsString()) {
        return fail(detail::graphError(100, 0,
                                       "(#100) Param control_pass[target_role] must be a "
                                       "string"));
      }
      in.target_role = std::string(role->value.GetString(), role->value.GetStringLength());
    }
    auto r = world.waThreadControl(c, in);
    if (!r) return fail(r.error());
    flush();
    return reply(req, res, "graph", c.app_id, 200,
                 product + ",\"request_id\":" + escapeJsonString(*r) + "}");
  }
  detail::WaSendInput in;
  in.user = *user;
  in.type = params.get("type").value_or("text");
  if (const rapidjson::Value* text = params.json("text"); text != nullptr && text->IsObject()) {
    const auto body = text->FindMember("body");
    if (body != text->MemberEnd() && body->value.IsString()) in.text = body->value.GetString();
  }
  auto r = world.waSend(c, in);
  if (!r) return fail(r.error());
  flush();
  reply(req, res, "graph", c.app_id, 200,
        product + ",\"contacts\":[{\"input\":" + escapeJsonString(*user) + ",\"wa_id\":" +
            escapeJsonString(*user) + "}],\"messages\":[{\"id\":" + escapeJsonString(*r) + "}]}");
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
