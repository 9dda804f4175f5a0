// Conversation Routing flows of the SDK against the in-process emulator.
#include "catch.hpp"
#include "fixture.hpp"

using namespace handover;
using namespace handover::emulator;
using namespace handover::emulator::testing;
using webhook::EventKind;

TEST_CASE("routing: an idle thread is answered by the default app - thread_owner is empty",
          "[concurrency]") {
  Fixture f;
  CHECK(f.ownerOf(kRoutingPage).empty());
  auto view = f.routingAgent().getThreadOwner(kUser);
  REQUIRE(view);
  CHECK(view->empty());
  f.userSays(kRoutingPage, "hello");
  auto b = f.bot_hook.waitForEvents(1);
  auto a = f.agent_hook.waitForEvents(1);
  REQUIRE(b.size() == 1);
  REQUIRE(a.size() == 1);
  CHECK_FALSE(b[0].standby);
  CHECK(a[0].standby);
  auto status = f.routingBot().getMessagingFeatureStatus();
  REQUIRE(status);
  CHECK(status->page_id == kRoutingPage);
  CHECK(status->msgr_multi_app);
  CHECK(status->ig_multi_app);
}

TEST_CASE("routing: pass to the agent thread_owner disclosure take back by the default app",
          "[concurrency]") {
  Fixture f;
  auto bot = f.routingBot();
  auto agent = f.routingAgent();
  const handover::Timestamp now = f.emu->now();
  REQUIRE(bot.passThreadControl(kUser, kAgent, "escalate:billing"));
  // CR-M: every app subscribed to messaging_handovers hears about a pass.
  auto a = f.agent_hook.waitForEvents(1);
  auto b = f.bot_hook.waitForEvents(1);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  for (const auto& e : {a[0], b[0]}) {
    const auto* pass = e.get<webhook::PassThreadControl>();
    REQUIRE(pass != nullptr);
    CHECK_FALSE(pass->previous_owner_app_id.has_value());  // from idle: null
    CHECK(pass->new_owner_app_id == std::optional<std::string>(kAgent));
    CHECK(pass->metadata == "escalate:billing");
  }

  auto own = agent.getThreadOwner(kUser);
  REQUIRE(own);
  CHECK(own->isOwnedBy(kAgent));
  REQUIRE(own->expiration);
  CHECK(*own->expiration >= now + std::chrono::hours(24) - std::chrono::seconds(1));
  CHECK(*own->expiration <= now + std::chrono::hours(24) + std::chrono::seconds(60));
  auto as_default = bot.getThreadOwner(kUser);
  REQUIRE(as_default);
  CHECK(as_default->isOwnedBy(kAgent));
  auto outsider = f.analytics().getThreadOwner(kUser);
  REQUIRE(outsider);
  CHECK_FALSE(outsider->app_id.has_value());
  CHECK(outsider->expiration == own->expiration);

  auto refused = bot.sendText(kUser, "bot interrupts");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().isAnotherAppControllingThread());
  CHECK(refused.error().subcode == 2018300);

  REQUIRE(bot.takeThreadControl(kUser, "bot resumes"));
  a = f.agent_hook.waitForEvents(2);
  REQUIRE(a.size() == 2);
  const auto* take = a[1].get<webhook::TakeThreadControl>();
  REQUIRE(take != nullptr);
  CHECK(take->previous_owner_app_id == std::optional<std::string>(kAgent));
  CHECK(take->new_owner_app_id == std::optional<std::string>(kBot));
  CHECK(f.ownerOf(kRoutingPage) == kBot);
  auto again = bot.takeThreadControl(kUser);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == 100);
}

TEST_CASE("routing: take without a default app is #27 request with one is refused",
          "[concurrency]") {
  Fixture f;
  auto bot = f.routingBot();
  auto agent = f.routingAgent();
  auto request = agent.requestThreadControl(kUser);
  REQUIRE_FALSE(request);
  CHECK(request.error().code == 10);

  REQUIRE(f.emu->setDefaultApp(kRoutingPage, ""));
  auto take = bot.takeThreadControl(kUser);
  REQUIRE_FALSE(take);
  CHECK(take.error().isTakeNotSupportedWithoutDefaultApp());
  CHECK(take.error().message ==
        "(#27) Take thread control is not supported when Conversation Routing is not enabled.");
  auto status = bot.getMessagingFeatureStatus();
  REQUIRE(status);
  CHECK(status->msgr_multi_app);  // the page is still on Conversation Routing
}

TEST_CASE("routing zero-config: request on an idle thread grants control - on an owned one asks",
          "[concurrency]") {
  Fixture f([](Config& c) { c.pages[1].default_app_id.clear(); });
  auto bot = f.routingBot();
  auto agent = f.routingAgent();

  // Idle and no default app: every app answers.
  f.userSays(kRoutingPage, "anyone?");
  REQUIRE(f.bot_hook.waitForEvents(1).size() == 1);
  REQUIRE(f.agent_hook.waitForEvents(1).size() == 1);
  CHECK_FALSE(f.bot_hook.events()[0].standby);
  CHECK_FALSE(f.agent_hook.events()[0].standby);

  REQUIRE(bot.requestThreadControl(kUser, "mine"));
  CHECK(f.ownerOf(kRoutingPage) == kBot);
  auto b = f.bot_hook.waitForEvents(2);
  REQUIRE(b.size() == 2);
  const auto* pass = b[1].get<webhook::PassThreadControl>();
  REQUIRE(pass != nullptr);
  CHECK(pass->new_owner_app_id == std::optional<std::string>(kBot));
  auto twice = bot.requestThreadControl(kUser);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == 100);

  REQUIRE(agent.requestThreadControl(kUser, "handoff please"));
  CHECK(f.ownerOf(kRoutingPage) == kBot);  // delivered, not granted
  b = f.bot_hook.waitForEvents(3);
  REQUIRE(b.size() == 3);
  const auto* req = b[2].get<webhook::RequestThreadControl>();
  REQUIRE(req != nullptr);
  CHECK(req->requested_owner_app_id == kAgent);
  CHECK(req->metadata == "handoff please");

  // Passing without a target needs a default app.
  auto no_target = bot.passThreadControl(kUser, "");
  REQUIRE_FALSE(no_target);
  CHECK(no_target.error().code == 100);
  REQUIRE(bot.passThreadControl(kUser, kAgent));
  CHECK(f.ownerOf(kRoutingPage) == kAgent);
}

TEST_CASE("routing: release and extend are the owner's - release is silent", "[concurrency]") {
  Fixture f;
  auto bot = f.routingBot();
  auto agent = f.routingAgent();
  REQUIRE(bot.passThreadControl(kUser, kAgent));
  REQUIRE(f.emu->waitForDeliveries(kWait));
  const auto bot_before = f.bot_hook.events().size();
  const auto agent_before = f.agent_hook.events().size();

  auto release = bot.releaseThreadControl(kUser);
  REQUIRE_FALSE(release);
  CHECK(release.error().isNotThreadOwner());
  auto extend = bot.extendThreadControl(kUser, std::chrono::hours(48));
  REQUIRE_FALSE(extend);
  CHECK(extend.error().isNotThreadOwner());
  auto pass = bot.passThreadControl(kUser, kBot);
  REQUIRE_FALSE(pass);
  CHECK(pass.error().isNotThreadOwner());

  REQUIRE(agent.releaseThreadControl(kUser));
  CHECK(f.ownerOf(kRoutingPage).empty());
  REQUIRE(f.emu->waitForDeliveries(kWait));
  CHECK(f.bot_hook.events().size() == bot_before);
  CHECK(f.agent_hook.events().size() == agent_before);
  auto view = bot.getThreadOwner(kUser);
  REQUIRE(view);
  CHECK(view->empty());
  auto again = agent.releaseThreadControl(kUser);
  REQUIRE_FALSE(again);
  CHECK(again.error().isNotThreadOwner());
}

TEST_CASE("routing: control expires after 24 h idle - extend up to 7 days", "[concurrency]") {
  Fixture f;
  auto bot = f.routingBot();
  auto agent = f.routingAgent();
  REQUIRE(bot.passThreadControl(kUser, kAgent));

  SECTION("expiry makes the thread idle") {
    REQUIRE(f.emu->advanceClock(std::chrono::hours(24) - std::chrono::seconds(5)));
    CHECK(f.ownerOf(kRoutingPage) == kAgent);
    REQUIRE(f.emu->advanceClock(std::chrono::seconds(10)));
    CHECK(f.ownerOf(kRoutingPage).empty());
    auto view = agent.getThreadOwner(kUser);
    REQUIRE(view);
    CHECK(view->empty());
    auto release = agent.releaseThreadControl(kUser);
    REQUIRE_FALSE(release);
    CHECK(release.error().isNotThreadOwner());
    // Idle again: the default app answers the user.
    REQUIRE(f.emu->waitForDeliveries(kWait));
    f.bot_hook.clear();
    f.userSays(kRoutingPage, "still there?");
    auto b = f.bot_hook.waitForEvents(1);
    REQUIRE(b.size() == 1);
    CHECK_FALSE(b[0].standby);
  }
  SECTION("activity in the thread postpones expiry") {
    REQUIRE(f.emu->advanceClock(std::chrono::hours(20)));
    f.userSays(kRoutingPage, "one more thing");
    REQUIRE(f.emu->advanceClock(std::chrono::hours(20)));
    CHECK(f.ownerOf(kRoutingPage) == kAgent);
  }
  SECTION("extend by the owner moves expiration; beyond 7 days is refused") {
    REQUIRE(agent.extendThreadControl(kUser, std::chrono::hours(24 * 7)));
    auto view = agent.getThreadOwner(kUser);
    REQUIRE(view);
    REQUIRE(view->expiration);
    CHECK(*view->expiration >= f.emu->now() + std::chrono::hours(7 * 24) - std::chrono::seconds(5));
    REQUIRE(f.emu->advanceClock(std::chrono::hours(24 * 7 - 1)));
    CHECK(f.ownerOf(kRoutingPage) == kAgent);
    REQUIRE(f.emu->advanceClock(std::chrono::hours(2)));
    CHECK(f.ownerOf(kRoutingPage).empty());
    auto too_long = agent.extendThreadControl(kUser, std::chrono::hours(24 * 7 + 1));
    REQUIRE_FALSE(too_long);
    CHECK(too_long.error().category == ErrorCategory::kInvalidArgument);
  }
}

TEST_CASE("routing: Send API thread_control passes and releases - personas", "[concurrency]") {
  Fixture f;
  auto bot = f.routingBot();
  REQUIRE(bot.takeThreadControl(kUser));

  auto persona = bot.createPersona({"Anna", "https://example.com/anna.png"});
  REQUIRE(persona);
  CHECK_FALSE(persona->id.empty());
  auto fetched = bot.getPersona({persona->id});
  REQUIRE(fetched);
  CHECK(fetched->name == "Anna");
  auto listed = bot.listPersonas();
  REQUIRE(listed);
  REQUIRE(listed->personas.size() == 1);

  SendTextRequest req;
  req.recipient = kUser;
  req.text = "Connecting you to an agent";
  req.persona_id = persona->id;
  req.metadata = "handoff";
  req.thread_control = ThreadControl{ThreadControl::Type::kPass, kAgent};
  auto sent = bot.sendText(req);
  REQUIRE(sent);
  CHECK(f.ownerOf(kRoutingPage) == kAgent);
  auto a = f.agent_hook.waitForEvents(2);
  REQUIRE(a.size() == 2);
  const auto* echo = a[0].get<webhook::Echo>();
  REQUIRE(echo != nullptr);
  CHECK(echo->isFromApp(kBot));
  CHECK(echo->metadata == "handoff");
  const auto* pass = a[1].get<webhook::PassThreadControl>();
  REQUIRE(pass != nullptr);
  CHECK(pass->previous_owner_app_id == std::optional<std::string>(kBot));

  SendTextRequest rel;
  rel.recipient = kUser;
  rel.text = "bye";
  rel.thread_control = ThreadControl{ThreadControl::Type::kRelease, ""};
  REQUIRE(f.routingAgent().sendText(rel));
  CHECK(f.ownerOf(kRoutingPage).empty());

  SendTextRequest bad;
  bad.recipient = kUser;
  bad.text = "x";
  bad.persona_id = "404";
  auto refused = bot.sendText(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == 100);

  REQUIRE(bot.deletePersona({persona->id}));
  CHECK_FALSE(bot.getPersona({persona->id}));
}

TEST_CASE("routing: a human in the Page Inbox takes control - Done hands it to the default app",
          "[concurrency]") {
  Fixture f;
  auto bot = f.routingBot();
  REQUIRE(bot.takeThreadControl(kUser));
  auto reply = f.emu->inboxReply(kRoutingPage, kUser, "Hello, this is Sam");
  REQUIRE(reply);
  CHECK(f.ownerOf(kRoutingPage) == std::string(kPageInboxAppId));
  auto b = f.bot_hook.waitForEvents(2);
  REQUIRE(b.size() == 2);
  const auto* take = b[0].get<webhook::TakeThreadControl>();
  REQUIRE(take != nullptr);
  CHECK(take->new_owner_app_id == std::optional<std::string>(std::string(kPageInboxAppId)));
  const auto* echo = b[1].get<webhook::Echo>();
  REQUIRE(echo != nullptr);
  CHECK(b[1].standby);
  CHECK(echo->app_id == std::optional<std::string>(std::string(kPageInboxAppId)));
  CHECK_FALSE(echo->isFromApp(kBot));
  CHECK(echo->mid == reply->mid);

  REQUIRE(f.emu->inboxMove(kRoutingPage, kUser, InboxFolder::kDone));
  CHECK(f.ownerOf(kRoutingPage) == kBot);
  b = f.bot_hook.waitForEvents(3);
  REQUIRE(b.size() == 3);
  CHECK(b[2].kind() == EventKind::kPassThreadControl);
}

TEST_CASE("routing: postbacks on standby carry no payload - reads reach the owner",
          "[concurrency]") {
  Fixture f;
  REQUIRE(f.routingBot().passThreadControl(kUser, kAgent));
  REQUIRE(f.emu->waitForDeliveries(kWait));
  f.bot_hook.clear();
  f.agent_hook.clear();
  REQUIRE(f.emu->sendUserPostback(kRoutingPage, kUser, "Talk to sales", "SALES"));
  REQUIRE(f.emu->sendUserRead(kRoutingPage, kUser));
  auto a = f.agent_hook.waitForEvents(2);
  auto b = f.bot_hook.waitForEvents(2);
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  CHECK(a[0].get<webhook::Postback>()->payload == std::optional<std::string>("SALES"));
  CHECK_FALSE(a[0].standby);
  CHECK(b[0].standby);
  CHECK(b[0].get<webhook::Postback>()->title == "Talk to sales");
  CHECK_FALSE(b[0].get<webhook::Postback>()->payload.has_value());
  CHECK(a[1].kind() == EventKind::kRead);
  CHECK(b[1].kind() == EventKind::kRead);
  CHECK(b[1].standby);
}
