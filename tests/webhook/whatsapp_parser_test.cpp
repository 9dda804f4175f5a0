// WhatsApp bodies (`whatsapp_business_account`): what the C++ events add to the CLI contract's
// lines (typed roles, the reason decoded from metadata, text), redelivery keys, spans, and the
// body rules that apply to WhatsApp values as to the rest of the body.

#include <algorithm>
#include <string>
#include <vector>

#include "catch.hpp"
#include "fixture_file.hpp"
#include "handover/webhook/parser.hpp"
#include "parse_ok.hpp"

using namespace handover;
using namespace handover::webhook;
using handover::test::webhookFixture;
using handover_test_webhook::parseOk;

namespace {

std::string handoverBody(const std::string& value) {
  return R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[)"
         R"({"field":"messaging_handovers","value":)" +
         value + "}]}]}";
}

}  // namespace

TEST_CASE("whatsapp: a documented handover is typed, roles and all") {
  const Batch b = parseOk(webhookFixture("whatsapp_handovers.json"));
  CHECK(b.platform == Platform::kWhatsApp);
  CHECK(b.changes.empty());  // read into events, not left as dashboard items
  REQUIRE(b.events.size() == 2);
  const Event& passed = b.events[0];
  CHECK(passed.platform == Platform::kWhatsApp);
  CHECK(passed.page_id == "106540352242922");
  CHECK(passed.userId() == "16315551181");
  CHECK(epochMillis(passed.timestamp) == 1764600000000);
  const auto* p = passed.get<ControlPassed>();
  REQUIRE(p != nullptr);
  CHECK(p->previous_owner_role->known() == wa::Role::kAiAgent);
  CHECK(p->new_owner_role->known() == wa::Role::kEscalation);
  CHECK(p->previous_owner_app_id == std::optional<std::string>("1143680903703001"));
  CHECK(p->previous_owner_app_role == std::optional<std::string>("meta_business_agent"));
  CHECK(p->metadata == "user asked for a human");
  CHECK_FALSE(p->reason);
  CHECK(p->conversation_context_json.find("\"summary\"") != std::string::npos);
  const auto* t = b.events[1].get<ControlTaken>();
  REQUIRE(t != nullptr);
  CHECK(t->previous_owner_role->wire() == "customer_service");
  CHECK_FALSE(t->previous_owner_app_role);
}

TEST_CASE("whatsapp: live handover shapes are read leniently") {
  const Batch b = parseOk(webhookFixture("whatsapp_handovers_observed.json"));
  REQUIRE(b.events.size() == 5);
  const auto* reason = b.events[0].get<ControlPassed>();
  REQUIRE(reason != nullptr);
  CHECK(reason->reason == std::optional<std::string>("MARKETING_MESSAGE"));
  CHECK_FALSE(reason->previous_owner_role);
  CHECK_FALSE(reason->new_owner_role);
  const auto* app_only = b.events[1].get<ControlPassed>();
  REQUIRE(app_only != nullptr);
  CHECK(app_only->previous_owner_app_id == std::optional<std::string>("1143680903703001"));
  CHECK(b.events[1].page_id == "106540352242922");  // an integer id, exact
  CHECK(epochMillis(b.events[1].timestamp) == 1764600180000);
  CHECK(b.events[2].kind() == EventKind::kControlTaken);
  CHECK(b.events[2].userId() == "US.13491208655302741");  // a BSUID-only user
  const auto* future = b.events[3].get<Unknown>();
  REQUIRE(future != nullptr);
  CHECK(future->type == "control_shared");
  CHECK(future->raw_json == R"({"with_role": "marketing"})");
  CHECK(b.events[3].userId() == "16315551181");  // wa_id before user_id
  CHECK(b.events[4].kind() == EventKind::kUnknown);
  CHECK(b.events[4].page_id == "102290129340398");  // no recipient: the entry's id
  CHECK(b.events[4].timestamp == Timestamp{});      // not a time: 0
}

TEST_CASE("whatsapp: messages, statuses, echoes and unknown items") {
  const Batch m = parseOk(webhookFixture("whatsapp_messages.json"));
  REQUIRE(m.events.size() == 6);
  const auto* text = m.events[0].get<WhatsAppMessage>();
  REQUIRE(text != nullptr);
  CHECK(text->type == "text");
  CHECK(text->text == "I want to talk to a human \xE2\x98\xBA");
  const auto* image = m.events[1].get<WhatsAppMessage>();
  REQUIRE(image != nullptr);
  CHECK(image->text.empty());
  CHECK(image->raw_json.find("\"caption\":\"the broken part\"") != std::string::npos);
  CHECK(image->conversation_context_json == R"({"type":"summary","summary":{"text":"refund"}})");
  CHECK(m.events[2].userId() == "US.13491208655302741");
  const auto* failed = m.events[4].get<WhatsAppStatus>();
  REQUIRE(failed != nullptr);
  CHECK(failed->status == "failed");
  CHECK(m.events[4].userId() == "US.13491208655302741");
  CHECK(m.events[5].get<Unknown>()->type == "errors");

  const Batch s = parseOk(webhookFixture("whatsapp_standby.json"));
  REQUIRE(s.events.size() == 4);
  for (const auto& e : s.events) CHECK(e.standby);
  const auto* echo = s.events[1].get<WhatsAppEcho>();
  REQUIRE(echo != nullptr);
  CHECK(echo->text == "An agent will answer shortly");
  CHECK(s.events[1].userId() == "16315551181");
  const auto* template_echo = s.events[2].get<WhatsAppEcho>();
  REQUIRE(template_echo != nullptr);
  CHECK(template_echo->type == "template");
  CHECK(template_echo->raw_json.find("\"order_update\"") != std::string::npos);
}

TEST_CASE("whatsapp: each event's span is the object it was read from") {
  for (const char* name : {"whatsapp_handovers.json", "whatsapp_messages.json",
                           "whatsapp_standby.json", "whatsapp_handovers_observed.json"}) {
    const std::string body = webhookFixture(name);
    const Batch b = parseOk(body);
    for (const auto& e : b.events) {
      const std::string_view wire = std::string_view(body).substr(e.span.offset, e.span.size);
      CHECK(wire.front() == '{');
      CHECK(wire.back() == '}');
      std::visit(
          [&](const auto& payload) {
            if constexpr (std::is_same_v<std::decay_t<decltype(payload)>, WhatsAppMessage>) {
              CHECK(wire == payload.raw_json);
            }
          },
          e.payload);
    }
  }
}

TEST_CASE("whatsapp: dedup keys by wamid, standby copies apart, handovers by time") {
  const Batch owner = parseOk(webhookFixture("whatsapp_messages.json"));
  const Batch again = parseOk(webhookFixture("whatsapp_messages.json"));
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < owner.events.size(); ++i) {
    CHECK(dedupKey(owner.events[i]) == dedupKey(again.events[i]));
    keys.push_back(dedupKey(owner.events[i]));
  }
  std::sort(keys.begin(), keys.end());
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  CHECK(dedupKey(owner.events[0])
            .find("wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=") !=
        std::string::npos);
  // The same message as the owner's delivery and as a standby copy: two keys.
  const std::string message =
      R"({"from":"1","id":"wamid.X","timestamp":"5","type":"text","text":{"body":"hi"}})";
  const auto body = [&](const std::string& field, const std::string& value) {
    return R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":")" +
           field + R"(","value":{"metadata":{"phone_number_id":"9"},)" + value + "}}]}]}";
  };
  const Batch delivered = parseOk(body("messages", R"("messages":[)" + message + "]"));
  const Batch copy = parseOk(body("standby", R"("standby":{"messages":[)" + message + "]}"));
  REQUIRE(delivered.events.size() == 1);
  REQUIRE(copy.events.size() == 1);
  CHECK(dedupKey(delivered.events[0]) != dedupKey(copy.events[0]));
  CHECK(dedupKey(copy.events[0]).rfind("standby:", 0) == 0);
  // One message sent, delivered, read: three statuses, three keys.
  const Batch statuses =
      parseOk(body("messages", R"("statuses":[{"id":"wamid.S","status":"sent","recipient_id":"1"},)"
                               R"({"id":"wamid.S","status":"delivered","recipient_id":"1"}])"));
  REQUIRE(statuses.events.size() == 2);
  CHECK(dedupKey(statuses.events[0]) != dedupKey(statuses.events[1]));
  // Handovers: the same type at another second is another event.
  const Batch h = parseOk(webhookFixture("whatsapp_handovers_observed.json"));
  CHECK(dedupKey(h.events[0]) != dedupKey(h.events[1]));
}

TEST_CASE("whatsapp: the body rules hold inside values") {
  SECTION("a repeated key in a value refuses the body") {
    auto r = parse(
        handoverBody(R"({"type":"control_passed","type":"control_taken","control_passed":{}})"));
    REQUIRE_FALSE(r);
    CHECK(r.error().category == ErrorCategory::kParse);
    CHECK(r.error().message.find("duplicate key `type`") != std::string::npos);
    REQUIRE(r.error().offset);
    CHECK(*r.error().offset > 80);
    CHECK_FALSE(validate(handoverBody(
        R"({"sender":{"phone_number":"1","phone_number":"2"},"type":"control_taken"})")));
  }
  SECTION("many keys in one value are checked without quadratic cost") {
    std::string value = "{";
    for (int i = 0; i < 20000; ++i) value += "\"k" + std::to_string(i) + "\":1,";
    value += "\"k7\":2}";
    auto r = parse(handoverBody(value));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("`k7`") != std::string::npos);
  }
  SECTION("items are bounded by max_events") {
    std::string items;
    for (int i = 0; i < 50; ++i) items += std::string(i ? "," : "") + "{}";
    const std::string body =
        R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[)"
        R"({"field":"messages","value":{"errors":[)" +
        items + "]}}]}]}";
    ParseOptions small;
    small.max_events = 20;
    auto r = parse(body, small);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("more than 20 events") != std::string::npos);
    CHECK_FALSE(validate(body, small));
    CHECK(parse(body));
  }
  SECTION("validate counts WhatsApp events and errors as parse returns them") {
    for (const char* name : {"whatsapp_messages.json", "whatsapp_malformed.json"}) {
      const std::string body = webhookFixture(name);
      const Batch b = parseOk(body);
      auto v = validate(body);
      REQUIRE(v);
      CHECK(v->events == b.events.size());
      CHECK(v->event_errors == b.errors.size());
      CHECK(v->changes == 0);
    }
  }
}

TEST_CASE("whatsapp: an item that is not an object is an event error with its path") {
  const Batch b = parseOk(webhookFixture("whatsapp_malformed.json"));
  REQUIRE(b.events.size() == 2);
  REQUIRE(b.errors.size() == 3);
  CHECK(b.errors[0].path == "entry[0].changes[0].value.messages[0]");
  CHECK(b.errors[0].event_index == std::optional<std::size_t>(0));
  CHECK(b.errors[1].path == "entry[0].changes[0].value.statuses[0]");
  CHECK(b.errors[2].path == "entry[0].changes[1].value");
  CHECK(b.errors[2].message.find("standby") != std::string::npos);
}

TEST_CASE("whatsapp: an unknown field whose value is not an object is an event error") {
  // Found by the fuzzer: an Unknown must be an object of the body, like every event's span.
  const Batch b =
      parseOk(R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[)"
              R"({"field":"[tandby","value":"not an object"},{"field":"x","value":{"k":1}}]}]})");
  REQUIRE(b.events.size() == 1);
  CHECK(b.events[0].get<Unknown>()->raw_json == R"({"k":1})");
  REQUIRE(b.errors.size() == 1);
  CHECK(b.errors[0].path == "entry[0].changes[0].value");
}
