// WhatsApp Conversation Routing in the emulator, each rule through the SDK's client and the
// apps' real (signature-checking) webhook endpoints: routing of inbound messages per entry
// point, pass / take / release, implicit take by a Service send, standby copies, 24 h idle.

#include <httplib.h>

#include <memory>
#include <string>

#include "catch.hpp"
#include "fixture.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;
using webhook::EventKind;

namespace {

constexpr const char* kNumber = "106540352242922";
constexpr const char* kWaba = "102290129340398";
constexpr const char* kWaUser = "16315551181";
constexpr const char* kSupervisor = "4444444444";

// The routing world plus a WhatsApp number: the bot is the default entry point's primary, the
// agent holds customer_service (and sees standby), a supervisor app is the escalation partner;
// click-to-WhatsApp conversations start with the agent.
struct WaFixture {
  WebhookReceiver supervisor_hook{"supervisor-secret"};
  std::unique_ptr<Fixture> fx;

  WaFixture() {
    fx = std::make_unique<Fixture>([this](Config& c) {
      c.start_time = fromEpochMillis(1'764'600'000'000);
      WhatsAppNumberConfig n;
      n.id = kNumber;
      n.waba_id = kWaba;
      n.display_phone_number = "15550783881";
      n.escalation_partner = kSupervisor;
      n.entry_points["default"] = {kBot, {{"customer_service", kAgent}, {"utility", kBot}}};
      n.entry_points["ctwa"] = {kAgent, {{"customer_service", kAgent}}};
      n.standby = {kAgent};
      c.whatsapp_numbers.push_back(n);
      for (auto& a : c.apps) {
        if (a.id == kBot) a.page_tokens[kNumber] = "bot-wa-token";
        if (a.id == kAgent) a.page_tokens[kNumber] = "agent-wa-token";
      }
      AppConfig supervisor;
      supervisor.id = kSupervisor;
      supervisor.name = "Supervisor";
      supervisor.page_tokens = {{kNumber, "supervisor-wa-token"}};
      supervisor.app_secret = "supervisor-secret";
      supervisor.webhook_url = supervisor_hook.url();
      supervisor.subscribed_fields = {"messages", "messaging_handovers", "standby"};
      c.apps.push_back(supervisor);
    });
    supervisor_hook.settleWith(
        [this] { return fx->emu->waitForDeliveries(std::chrono::seconds(2)); });
  }
  ~WaFixture() { supervisor_hook.settleWith({}); }

  Client bot() const { return fx->client("bot-wa-token", kBot); }
  Client agent() const { return fx->client("agent-wa-token", kAgent, "agent-secret"); }
  Client supervisor() const { return fx->client("supervisor-wa-token", kSupervisor); }
  std::string owner() const { return fx->ownerOf(kNumber, kWaUser); }
  InjectedEvent userSays(const std::string& text, const std::string& entry_point = "default") {
    return fx->emu->sendWhatsAppMessage(kNumber, kWaUser, text, entry_point).value();
  }
};

wa::User user() {
  return wa::User::phone(kWaUser);
}

Result<wa::ThreadControlResponse> pass(Client c, std::optional<wa::RoleName> role = {},
                                       std::string metadata = {}) {
  return c.waPassThreadControl({kNumber, user(), std::move(role), std::move(metadata)});
}
Result<wa::ThreadControlResponse> take(Client c) {
  return c.waTakeThreadControl({kNumber, user(), ""});
}
Result<wa::ThreadControlResponse> release(Client c) {
  return c.waReleaseThreadControl({kNumber, user(), ""});
}
Result<wa::SendResponse> say(Client c, const std::string& text) {
  return c.waSendText({kNumber, user(), text});
}

}  // namespace

TEST_CASE("whatsapp emulator: an idle thread's message goes to the entry point's primary",
          "[concurrency]") {
  WaFixture w;
  CHECK(w.owner().empty());
  const auto sent = w.userSays("hi");
  CHECK(w.owner() == kBot);
  auto bot = w.fx->bot_hook.waitForEvents(1);
  REQUIRE(bot.size() == 1);
  CHECK(bot[0].platform == Platform::kWhatsApp);
  CHECK(bot[0].page_id == kNumber);
  CHECK_FALSE(bot[0].standby);
  CHECK(bot[0].get<webhook::WhatsAppMessage>()->text == "hi");
  CHECK(bot[0].get<webhook::WhatsAppMessage>()->id == sent.mid);
  // The agent has standby visibility: a copy, marked standby; the supervisor has none.
  auto agent = w.fx->agent_hook.waitForEvents(1);
  REQUIRE(agent.size() == 1);
  CHECK(agent[0].standby);
  CHECK(agent[0].kind() == EventKind::kWhatsAppMessage);
  CHECK(w.supervisor_hook.events().empty());
  // The body is the documented envelope, signed for the app.
  const std::string body = w.fx->bot_hook.bodies().at(0);
  CHECK(body.rfind(R"({"object":"whatsapp_business_account","entry":[{"id":")" +
                       std::string(kWaba) + R"(","changes":[{"field":"messages")",
                   0) == 0);
}

TEST_CASE("whatsapp emulator: pass needs ownership and goes to the role's holder",
          "[concurrency]") {
  WaFixture w;
  w.userSays("human please");
  REQUIRE(w.fx->bot_hook.waitForEvents(1).size() == 1);
  // The agent does not own it: refused as not the owner.
  auto stolen = pass(w.agent(), wa::Role::kCustomerService);
  REQUIRE_FALSE(stolen);
  CHECK(stolen.error().isNotThreadOwner());
  // Nobody holds marketing here: the placeholder code.
  auto nobody = pass(w.bot(), wa::Role::kMarketing);
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error().code == 100);
  CHECK(nobody.error().subcode == 9990001);
  // The bot passes to customer_service: the agent owns it and hears control_passed.
  auto passed = pass(w.bot(), wa::Role::kCustomerService, "asked for a human");
  REQUIRE(passed);
  CHECK(passed->request_id);
  CHECK(w.owner() == kAgent);
  auto handovers = ofKind(w.fx->agent_hook.waitForEvents(2), EventKind::kControlPassed);
  REQUIRE(handovers.size() == 1);
  const auto* h = handovers[0].get<webhook::ControlPassed>();
  CHECK(h->new_owner_role->known() == wa::Role::kCustomerService);
  CHECK(h->previous_owner_role->known() == wa::Role::kUtility);
  CHECK(h->previous_owner_app_id == std::optional<std::string>(kBot));
  CHECK(h->metadata == "asked for a human");
  CHECK(handovers[0].userId() == kWaUser);
  // Passing to the owner itself is refused; the bot is no longer the owner.
  CHECK_FALSE(pass(w.bot(), wa::Role::kCustomerService));
  CHECK_FALSE(pass(w.agent(), wa::Role::kCustomerService));
}

TEST_CASE("whatsapp emulator: only the escalation partner takes and release is silent",
          "[concurrency]") {
  WaFixture w;
  w.userSays("hi");
  REQUIRE(pass(w.bot(), wa::Role::kCustomerService));
  auto refused = take(w.bot());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().isTakeNotPermitted());
  CHECK(refused.error().code == 100);
  CHECK(w.owner() == kAgent);
  // The agent releases: idle, and nobody hears of it.
  const std::size_t before = w.fx->agent_hook.waitForEvents(2).size();
  REQUIRE(release(w.agent()));
  CHECK(w.owner().empty());
  // Releasing an idle thread succeeds; another's is refused.
  CHECK(release(w.bot()));
  w.userSays("anyone?");
  CHECK(w.owner() == kBot);
  auto not_mine = release(w.agent());
  REQUIRE_FALSE(not_mine);
  CHECK(not_mine.error().isNotThreadOwner());
  CHECK(ofKind(w.fx->agent_hook.waitForEvents(before + 1), EventKind::kControlTaken).empty());
  // The supervisor takes from the bot: the bot hears control_taken.
  REQUIRE(take(w.supervisor()));
  CHECK(w.owner() == kSupervisor);
  auto taken = ofKind(w.fx->bot_hook.waitForEvents(3), EventKind::kControlTaken);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].get<webhook::ControlTaken>()->new_owner_role->wire() == "escalation");
  CHECK_FALSE(taken[0].get<webhook::ControlTaken>()->previous_owner_app_role);
}

TEST_CASE(
    "whatsapp emulator: a Service send by the escalation partner takes and others are refused",
    "[concurrency]") {
  WaFixture w;
  w.userSays("hi");
  REQUIRE(pass(w.bot(), wa::Role::kCustomerService));
  // The bot no longer owns it: its Service send is refused with the placeholder code.
  auto refused = say(w.bot(), "still here");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().subcode == 9990002);
  // The owner's send goes out; the supervisor's takes the thread.
  auto answered = say(w.agent(), "an agent here");
  REQUIRE(answered);
  CHECK(answered->message_id.rfind("wamid.", 0) == 0);
  auto implicit = say(w.supervisor(), "a supervisor here");
  REQUIRE(implicit);
  CHECK(w.owner() == kSupervisor);
  auto agent = w.fx->agent_hook.waitForEvents(4);
  CHECK(ofKind(agent, EventKind::kControlTaken).size() == 1);
  // The agent (standby visibility) sees the supervisor's message as a standby echo.
  auto echoes = ofKind(agent, EventKind::kWhatsAppEcho);
  REQUIRE(echoes.size() == 1);
  CHECK(echoes[0].standby);
  CHECK(echoes[0].get<webhook::WhatsAppEcho>()->text == "a supervisor here");
  CHECK(echoes[0].userId() == kWaUser);
  // Templates need no ownership and change nothing.
  httplib::Client http(w.fx->emu->baseUrl());
  auto r = http.Post(std::string("/v26.0/") + kNumber + "/messages",
                     httplib::Headers{{"Authorization", "Bearer bot-wa-token"}},
                     std::string(R"({"messaging_product":"whatsapp","to":")") + kWaUser +
                         R"(","type":"template","template":{"name":"order_update"}})",
                     "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(w.owner() == kSupervisor);
}

TEST_CASE("whatsapp emulator: 24 h of user silence makes the thread idle and CTWA re-routes",
          "[concurrency]") {
  WaFixture w;
  w.userSays("hi");
  REQUIRE(pass(w.bot(), wa::Role::kCustomerService));
  REQUIRE(w.fx->emu->advanceClock(std::chrono::hours(23)));
  CHECK(w.owner() == kAgent);
  REQUIRE(w.fx->emu->advanceClock(std::chrono::hours(1)));
  CHECK(w.owner().empty());
  CHECK(release(w.agent()));  // an idle thread: releasing succeeds
  w.userSays("back again");
  CHECK(w.owner() == kBot);
  // A click-to-WhatsApp ad brings the user in through the ctwa entry point: its primary.
  w.userSays("from the ad", "ctwa");
  CHECK(w.owner() == kAgent);
  CHECK_FALSE(w.fx->emu->sendWhatsAppMessage(kNumber, kWaUser, "x", "nowhere"));
}

TEST_CASE("whatsapp emulator: calls are checked as Meta checks them", "[concurrency]") {
  WaFixture w;
  httplib::Client http(w.fx->emu->baseUrl());
  const auto post = [&](const std::string& body, const std::string& token = "bot-wa-token") {
    return http.Post(std::string("/v26.0/") + kNumber + "/thread_control",
                     httplib::Headers{{"Authorization", "Bearer " + token}}, body,
                     "application/json");
  };
  for (
      const char* body : {
          R"({"to":"1","action":"take"})",                        // no product
          R"({"messaging_product":"whatsapp","action":"take"})",  // no user
          R"({"messaging_product":"whatsapp","to":"1","recipient":"US.1","action":"take"})",
          R"({"messaging_product":"whatsapp","to":"abc","action":"take"})",  // not a phone
          R"({"messaging_product":"whatsapp","to":"1","action":"grab"})",    // no such action
          R"({"messaging_product":"whatsapp","to":"1","action":"take","control_pass":{"target_role":"utility"}})",
      }) {
    INFO(body);
    auto r = post(body);
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  // An app that does not respond on the number does not see it.
  auto stranger =
      post(R"({"messaging_product":"whatsapp","to":"1","action":"take"})", "analytics-token");
  REQUIRE(stranger);
  CHECK(stranger->status == 400);
  CHECK(stranger->body.find("does not exist") != std::string::npos);
}

TEST_CASE("whatsapp emulator: the config refuses numbers it cannot serve", "[concurrency]") {
  auto bad = [](const std::string& numbers) {
    return parseConfig(R"({"apps":[{"id":"1","page_access_token":"t"}],"whatsapp_numbers":)" +
                       numbers + "}");
  };
  CHECK(bad(R"([{"id":"5","waba_id":"6","entry_points":{"default":{"primary":"1"}}}])"));
  CHECK_FALSE(bad(R"([{"id":"5","waba_id":"6","entry_points":{"ctwa":{"primary":"1"}}}])"));
  CHECK_FALSE(bad(R"([{"id":"5","waba_id":"6","entry_points":{"default":{"primary":"9"}}}])"));
  CHECK_FALSE(bad(R"([{"id":"x5","waba_id":"6","entry_points":{"default":{"primary":"1"}}}])"));
  CHECK_FALSE(bad(
      R"([{"id":"5","waba_id":"6","entry_points":{"default":{"primary":"1"}},"escalation":"1"}])"));
  CHECK_FALSE(bad(
      R"([{"id":"5","waba_id":"6","entry_points":{"default":{"primary":"1","roles":{"Sales":"1"}}}}])"));
  CHECK_FALSE(bad(
      R"([{"id":"5","waba_id":"6","escalation_partner":"7","entry_points":{"default":{"primary":"1"}}}])"));
}

TEST_CASE("whatsapp emulator: the fault switches apply to a number's calls and webhooks",
          "[concurrency]") {
  WaFixture w;
  w.userSays("hi");
  REQUIRE(w.fx->bot_hook.waitForEvents(1).size() == 1);
  Faults faults;
  GraphFault once;
  once.edge = "thread_control";
  once.app_id = kBot;
  once.kind = GraphFaultKind::kNotOwner;
  faults.graph.push_back(once);
  faults.delivery.duplicate_rate = 1.0;  // every WhatsApp webhook arrives twice
  REQUIRE(w.fx->emu->setFaults(faults));
  auto refused = pass(w.bot(), wa::Role::kCustomerService);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().isAnotherAppControllingThread());  // the fault's (#10) 2018300
  CHECK(w.owner() == kBot);                                // the injected answer changed nothing
  REQUIRE(pass(w.bot(), wa::Role::kCustomerService));      // the fault is spent
  CHECK(w.owner() == kAgent);
  // The agent gets its control_passed twice: the apps' de-duplication is what must hold.
  const auto agent = w.fx->agent_hook.waitForEvents(3);
  CHECK(ofKind(agent, EventKind::kControlPassed).size() == 2);
}
