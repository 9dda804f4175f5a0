// Legacy Handover Protocol (v1/v2) flows of the SDK against the in-process emulator.
#include "catch.hpp"
#include "fixture.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;
using webhook::EventKind;

TEST_CASE("legacy: the primary owns by default - the secondary gets standby and cannot send",
          "[concurrency]") {
  Fixture f;
  auto bot = f.legacyBot();
  auto agent = f.legacyAgent();
  CHECK(f.ownerOf(kLegacyPage) == kBot);
  auto owner = bot.getThreadOwner(kUser);
  REQUIRE(owner);
  CHECK(owner->isOwnedBy(kBot));

  f.userSays(kLegacyPage, "hello");
  auto bot_events = f.bot_hook.waitForEvents(1);
  auto agent_events = f.agent_hook.waitForEvents(1);
  REQUIRE(bot_events.size() == 1);
  REQUIRE(agent_events.size() == 1);
  CHECK_FALSE(bot_events[0].standby);
  CHECK(bot_events[0].page_id == kLegacyPage);
  CHECK(bot_events[0].userId() == kUser);
  CHECK(bot_events[0].get<webhook::Message>()->text == "hello");
  CHECK(agent_events[0].standby);
  CHECK(agent_events[0].get<webhook::Message>()->text == "hello");

  auto sent = bot.sendText(kUser, "hi, I am a bot");
  REQUIRE(sent);
  CHECK(sent->recipient_id == kUser);
  CHECK_FALSE(sent->message_id.empty());
  auto refused = agent.sendText(kUser, "agent here");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().isAnotherAppControllingThread());
  CHECK(refused.error().http_status == 400);

  // The echo reaches the owner under messaging and the secondary under standby, with app_id.
  bot_events = f.bot_hook.waitForEvents(2);
  agent_events = f.agent_hook.waitForEvents(2);
  REQUIRE(bot_events.size() == 2);
  REQUIRE(agent_events.size() == 2);
  const auto* echo = agent_events[1].get<webhook::Echo>();
  REQUIRE(echo != nullptr);
  CHECK(agent_events[1].standby);
  CHECK(echo->isFromApp(kBot));
  CHECK(echo->mid == sent->message_id);
  CHECK(bot_events[1].get<webhook::Echo>() != nullptr);
  CHECK_FALSE(bot_events[1].standby);
  CHECK(f.bot_hook.badSignatures() == 0);
  CHECK(f.agent_hook.badSignatures() == 0);
}

TEST_CASE("legacy: secondary requests primary passes primary takes back", "[concurrency]") {
  Fixture f;
  auto bot = f.legacyBot();
  auto agent = f.legacyAgent();

  REQUIRE(agent.requestThreadControl(kUser, "need a human"));
  auto bot_events = f.bot_hook.waitForEvents(1);
  REQUIRE(bot_events.size() == 1);
  const auto* request = bot_events[0].get<webhook::RequestThreadControl>();
  REQUIRE(request != nullptr);
  CHECK(request->requested_owner_app_id == kAgent);
  CHECK(request->metadata == "need a human");
  CHECK(f.ownerOf(kLegacyPage) == kBot);  // a request changes nothing by itself

  REQUIRE(bot.passThreadControl(kUser, kAgent, "escalate"));
  auto agent_events = f.agent_hook.waitForEvents(1);
  REQUIRE(agent_events.size() == 1);
  const auto* pass = agent_events[0].get<webhook::PassThreadControl>();
  REQUIRE(pass != nullptr);
  CHECK(pass->new_owner_app_id == std::optional<std::string>(kAgent));
  CHECK(pass->previous_owner_app_id == std::optional<std::string>(kBot));
  CHECK(pass->metadata == "escalate");
  CHECK(f.ownerOf(kLegacyPage) == kAgent);
  REQUIRE(agent.sendText(kUser, "agent speaking"));
  auto refused = bot.sendText(kUser, "bot interrupts");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().isAnotherAppControllingThread());

  // The user's next message: messaging for the agent, standby for the bot.
  REQUIRE(f.emu->waitForDeliveries(kWait));
  f.bot_hook.clear();
  f.agent_hook.clear();
  f.userSays(kLegacyPage, "thanks");
  auto b = f.bot_hook.waitForEvents(1);
  auto a = f.agent_hook.waitForEvents(1);
  REQUIRE(b.size() == 1);
  REQUIRE(a.size() == 1);
  CHECK(b[0].standby);
  CHECK_FALSE(a[0].standby);

  auto taken = bot.takeThreadControl(kUser, "bot resumes");
  REQUIRE(taken);
  a = f.agent_hook.waitForEvents(2);
  REQUIRE(a.size() == 2);
  const auto* take = a[1].get<webhook::TakeThreadControl>();
  REQUIRE(take != nullptr);
  CHECK(take->previous_owner_app_id == std::optional<std::string>(kAgent));
  CHECK(take->new_owner_app_id == std::optional<std::string>(kBot));
  CHECK(take->metadata == "bot resumes");
  CHECK(f.ownerOf(kLegacyPage) == kBot);

  // A secondary's pass without a target goes to the primary (HOP-v1 reference).
  REQUIRE(bot.passThreadControl(kUser, kAgent));
  REQUIRE(agent.passThreadControl(kUser, ""));
  CHECK(f.ownerOf(kLegacyPage) == kBot);
}

TEST_CASE("legacy: each refusal carries its Graph code", "[concurrency]") {
  Fixture f;
  auto bot = f.legacyBot();
  auto agent = f.legacyAgent();

  SECTION("a secondary cannot take") {
    auto r = agent.takeThreadControl(kUser);
    REQUIRE_FALSE(r);
    CHECK(r.error().category == ErrorCategory::kApi);
    CHECK(r.error().code == 10);
    CHECK(r.error().isPermissionDenied());
    CHECK(f.ownerOf(kLegacyPage) == kBot);
  }
  SECTION("the primary cannot request") {
    auto r = bot.requestThreadControl(kUser);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == 10);
  }
  SECTION("pass, release and extend by a non-owner") {
    auto pass = agent.passThreadControl(kUser, kBot);
    REQUIRE_FALSE(pass);
    CHECK(pass.error().isNotThreadOwner());
    CHECK(pass.error().code == 100);
    CHECK(pass.error().subcode == 2534037);
    auto release = agent.releaseThreadControl(kUser);
    REQUIRE_FALSE(release);
    CHECK(release.error().isNotThreadOwner());
    auto extend = agent.extendThreadControl(kUser, std::chrono::hours(1));
    REQUIRE_FALSE(extend);
    CHECK(extend.error().isNotThreadOwner());
  }
  SECTION("the primary must name a target; the target needs a role") {
    auto r = bot.passThreadControl(kUser, "");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == 100);
    auto unknown = bot.passThreadControl(kUser, "999999");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == 100);
    CHECK(unknown.error().subcode == 2018164);
  }
  SECTION("a secondary may not see another secondary's ownership (100/2018234)") {
    REQUIRE(f.emu->inboxMove(kLegacyPage, kUser, InboxFolder::kMain));
    CHECK(f.ownerOf(kLegacyPage) == std::string(kPageInboxAppId));
    auto r = agent.getThreadOwner(kUser);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == 100);
    CHECK(r.error().subcode == 2018234);
    auto primary_view = bot.getThreadOwner(kUser);
    REQUIRE(primary_view);
    CHECK(primary_view->isOwnedBy(kPageInboxAppId));
  }
  SECTION("an app without a role gets 2018171") {
    REQUIRE(f.emu->setRole(kLegacyPage, kAgent, Role::kNone));
    auto r = agent.requestThreadControl(kUser);
    REQUIRE_FALSE(r);
    CHECK(r.error().subcode == 2018171);
  }
  SECTION("secondary_receivers is the primary's; feature status says legacy") {
    auto list = bot.getSecondaryReceivers();
    REQUIRE(list);
    std::vector<std::string> ids;
    for (const auto& a : list->apps) ids.push_back(a.id);
    CHECK(ids == std::vector<std::string>{kAgent, std::string(kPageInboxAppId)});
    CHECK(list->apps[0].name == "Agent Desk");
    auto refused = agent.getSecondaryReceivers();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 10);
    auto status = bot.getMessagingFeatureStatus();
    REQUIRE(status);
    CHECK(status->page_id == kLegacyPage);
    CHECK_FALSE(status->msgr_multi_app);
    CHECK_FALSE(status->ig_multi_app);
  }
  SECTION("Send API thread_control needs Conversation Routing") {
    SendTextRequest req;
    req.recipient = kUser;
    req.text = "bye";
    req.thread_control = ThreadControl{ThreadControl::Type::kPass, kAgent};
    auto r = bot.sendText(req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == 100);
    CHECK(f.ownerOf(kLegacyPage) == kBot);
  }
}

TEST_CASE("legacy: control given to a secondary expires after 24 h idle unless extended",
          "[concurrency]") {
  Fixture f;
  auto bot = f.legacyBot();
  auto agent = f.legacyAgent();
  REQUIRE(bot.passThreadControl(kUser, kAgent));

  SECTION("expiry returns the thread to the primary") {
    REQUIRE(f.emu->advanceClock(std::chrono::hours(23)));
    CHECK(f.ownerOf(kLegacyPage) == kAgent);
    REQUIRE(f.emu->advanceClock(std::chrono::hours(1) + std::chrono::seconds(1)));
    CHECK(f.ownerOf(kLegacyPage) == kBot);
    auto r = agent.sendText(kUser, "too late");
    REQUIRE_FALSE(r);
    CHECK(r.error().isAnotherAppControllingThread());
  }
  SECTION("extend keeps control up to 7 days") {
    REQUIRE(agent.extendThreadControl(kUser, std::chrono::hours(72)));
    REQUIRE(f.emu->advanceClock(std::chrono::hours(71)));
    CHECK(f.ownerOf(kLegacyPage) == kAgent);
    REQUIRE(f.emu->advanceClock(std::chrono::hours(2)));
    CHECK(f.ownerOf(kLegacyPage) == kBot);
  }
  SECTION("more than 7 days is refused by the SDK before sending") {
    auto r = agent.extendThreadControl(kUser, std::chrono::hours(24 * 7 + 1));
    REQUIRE_FALSE(r);
    CHECK(r.error().category == ErrorCategory::kInvalidArgument);
  }
}

TEST_CASE("legacy: role changes send app_roles and move default ownership", "[concurrency]") {
  Fixture f;
  REQUIRE(f.emu->setRole(kLegacyPage, kAgent, Role::kPrimary));
  auto agent_events = f.agent_hook.waitForEvents(1);
  auto bot_events = f.bot_hook.waitForEvents(1);
  REQUIRE(agent_events.size() == 1);
  REQUIRE(bot_events.size() == 1);
  const auto* roles = agent_events[0].get<webhook::AppRoles>();
  REQUIRE(roles != nullptr);
  REQUIRE(roles->apps.size() == 1);
  CHECK(roles->apps[0].app_id == kAgent);
  CHECK(roles->apps[0].roles == std::vector<std::string>{"primary_receiver"});
  CHECK(agent_events[0].sender.empty());
  const auto* demoted = bot_events[0].get<webhook::AppRoles>();
  REQUIRE(demoted != nullptr);
  CHECK(demoted->apps[0].roles == std::vector<std::string>{"secondary_receiver"});
  CHECK(f.ownerOf(kLegacyPage) == kAgent);
  auto take = f.legacyBot().takeThreadControl(kUser);
  REQUIRE_FALSE(take);
  CHECK(take.error().code == 10);
  CHECK_FALSE(f.emu->setRole(kRoutingPage, kAgent, Role::kPrimary));
}

TEST_CASE("legacy: the Page Inbox's Done folder gives the thread back to the primary",
          "[concurrency]") {
  Fixture f;
  REQUIRE(f.legacyBot().passThreadControlToPageInbox(kUser, "human please"));
  CHECK(f.ownerOf(kLegacyPage) == std::string(kPageInboxAppId));
  auto reply = f.emu->inboxReply(kLegacyPage, kUser, "Hi, Anna from support");
  REQUIRE(reply);
  REQUIRE(f.emu->inboxMove(kLegacyPage, kUser, InboxFolder::kDone));
  CHECK(f.ownerOf(kLegacyPage) == kBot);
  auto events = f.bot_hook.waitForEvents(2);
  REQUIRE(events.size() == 2);
  const auto* echo = events[0].get<webhook::Echo>();
  REQUIRE(echo != nullptr);
  CHECK(events[0].standby);
  CHECK(echo->app_id == std::optional<std::string>(std::string(kPageInboxAppId)));
  CHECK(echo->text == "Hi, Anna from support");
  const auto* pass = events[1].get<webhook::PassThreadControl>();
  REQUIRE(pass != nullptr);
  CHECK(pass->previous_owner_app_id == std::optional<std::string>(std::string(kPageInboxAppId)));
  CHECK(pass->new_owner_app_id == std::optional<std::string>(kBot));
}
