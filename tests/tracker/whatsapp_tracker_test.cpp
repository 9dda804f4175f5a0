// The tracker on WhatsApp numbers: ownership per (number, user) from handovers and this app's
// calls, idle 24 h after the later of the user's last message and the last transition, the
// take-back only where this app is the escalation partner (refused at start otherwise), and
// the local refusal of a Service send on a thread another responder owns.

#include <memory>
#include <string>

#include "../emulator/fixture.hpp"
#include "catch.hpp"
#include "fixture_file.hpp"
#include "handover/testing/fake_connection.hpp"
#include "handover/tracker/memory_store.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/router.hpp"
#include "tracker_support.hpp"

using namespace handover;
using namespace handover::tracker;
namespace emu = handover::emulator::testing;
namespace tt = handover::tracker::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kNumber = "106540352242922";
constexpr const char* kWaUser = "16315551181";
constexpr const char* kMe = "1111111111";

std::vector<webhook::Event> events(const std::string& fixture) {
  auto b = webhook::parse(
      handover::test::readFile(std::string(HANDOVER_FIXTURES_DIR) + "/webhooks/" + fixture));
  REQUIRE(b);
  return b->events;
}

TrackerOptions withApp(tt::ManualClock& clock) {
  TrackerOptions o;
  o.app_id = kMe;
  o.clock = clock.fn();
  return o;
}

}  // namespace

TEST_CASE("whatsapp tracker: create refuses a take-back Meta would refuse, and no app id") {
  auto store = std::make_shared<MemoryStore>();
  Client client(std::make_shared<testing::FakeConnection>());
  TrackerOptions o;
  auto no_id = ThreadTracker::create(store, client, o);
  REQUIRE_FALSE(no_id);
  CHECK(no_id.error().message.find("app's id") != std::string::npos);
  o.app_id = kMe;
  o.policies.idle_take_back = IdleTakeBack{};  // kTake
  o.whatsapp_numbers = {{kNumber, false}};
  auto not_partner = ThreadTracker::create(store, client, o);
  REQUIRE_FALSE(not_partner);
  CHECK(not_partner.error().category == ErrorCategory::kInvalidArgument);
  CHECK(not_partner.error().message.find(kNumber) != std::string::npos);
  CHECK(not_partner.error().message.find("2494191") != std::string::npos);
  o.whatsapp_numbers = {{kNumber, true}};
  CHECK(ThreadTracker::create(store, client, o));
  o.policies.idle_take_back->action = IdleTakeBack::Action::kRelease;
  o.whatsapp_numbers = {{kNumber, false}};
  CHECK(ThreadTracker::create(store, client, o));
  CHECK_FALSE(ThreadTracker::create(nullptr, client, o));
}

TEST_CASE("whatsapp tracker: owners from handovers, idle after 24 h, no Graph read") {
  tt::ManualClock clock;
  auto fake = std::make_shared<testing::FakeConnection>();  // no handler: a call would fail
  ThreadTracker tracker(std::make_shared<MemoryStore>(), Client(fake), withApp(clock));
  const auto handovers = events("whatsapp_handovers.json");
  const ConversationKey key{kNumber, kWaUser};
  REQUIRE(tracker.observe(handovers[0]));  // control_passed reaches us: we own it
  auto s = tracker.state(key).value().value();
  CHECK(s.platform == Platform::kWhatsApp);
  CHECK(s.owner.isApp(kMe));
  REQUIRE(tracker.observe(handovers[1]));  // control_taken: another responder has it
  s = tracker.state(key).value().value();
  CHECK(s.owner.ownership == Ownership::kApp);
  CHECK(s.owner.app_id.empty());
  const Timestamp taken_at = fromEpochMillis(1'764'600'060'000);
  clock.now = taken_at + 23h;
  auto owner = tracker.getThreadOwner(key);
  REQUIRE(owner);
  CHECK(owner->owner.ownership == Ownership::kApp);
  CHECK_FALSE(owner->from_graph);
  clock.now = taken_at + 24h;
  owner = tracker.getThreadOwner(key);
  REQUIRE(owner);
  CHECK(owner->owner.ownership == Ownership::kIdle);
  CHECK(fake->calls().empty());
}

TEST_CASE("whatsapp tracker: a Service send on another responder's thread is refused locally") {
  tt::ManualClock clock;
  const auto handovers = events("whatsapp_handovers.json");
  const ConversationKey key{kNumber, kWaUser};
  TrackerOptions o = withApp(clock);
  ThreadTracker bot(std::make_shared<MemoryStore>(),
                    Client(std::make_shared<testing::FakeConnection>()), o);
  CHECK(bot.mayServiceSend(key));  // never seen: nothing known against it
  REQUIRE(bot.observe(handovers[0]));
  CHECK(bot.mayServiceSend(key));  // ours
  REQUIRE(bot.observe(handovers[1]));
  clock.now = fromEpochMillis(1'764'600'060'000) + 1h;
  auto refused = bot.mayServiceSend(key);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().isThreadOwnedElsewhere());
  CHECK_FALSE(refused.error().isRetryable());
  // The escalation partner's send would take the thread: allowed, its choice.
  o.whatsapp_numbers = {{kNumber, true}};
  ThreadTracker partner(std::make_shared<MemoryStore>(),
                        Client(std::make_shared<testing::FakeConnection>()), o);
  REQUIRE(partner.observe(handovers[1]));
  CHECK(partner.mayServiceSend(key));
  // 24 h later the thread is idle: the bot may send again.
  clock.now = fromEpochMillis(1'764'600'060'000) + 25h;
  CHECK(bot.mayServiceSend(key));
  // Messenger conversations are not gated here.
  CHECK(bot.mayServiceSend({tt::kPage, tt::kUser}));
}

TEST_CASE("whatsapp tracker: the escalation partner takes back after the agent went quiet") {
  emu::Fixture fx([](emulator::Config& c) {
    c.start_time = tt::kT0;
    emulator::WhatsAppNumberConfig n;
    n.id = kNumber;
    n.waba_id = "102290129340398";
    n.escalation_partner = emu::kBot;
    n.entry_points["default"] = {emu::kBot, {{"customer_service", emu::kAgent}}};
    c.whatsapp_numbers.push_back(n);
    for (auto& a : c.apps) {
      if (a.id == emu::kBot) a.page_tokens[kNumber] = "bot-wa-token";
      if (a.id == emu::kAgent) a.page_tokens[kNumber] = "agent-wa-token";
    }
  });
  tt::ManualClock clock;
  TrackerOptions o;
  o.clock = clock.fn();
  o.app_id = emu::kBot;
  o.policies.idle_take_back = IdleTakeBack{IdleTakeBack::Action::kTake, 10min, "", "bot is back"};
  o.whatsapp_numbers = {{kNumber, true}};
  Client bot = fx.client("bot-wa-token", emu::kBot);
  auto tracker = ThreadTracker::create(std::make_shared<MemoryStore>(), bot, o).value();
  const ConversationKey key{kNumber, kWaUser};

  REQUIRE(fx.emu->sendWhatsAppMessage(kNumber, kWaUser, "hi"));
  for (const auto& e : fx.bot_hook.waitForEvents(1)) REQUIRE(tracker->observe(e));
  REQUIRE(bot.waPassThreadControl(
      {kNumber, wa::User::phone(kWaUser), wa::Role::kCustomerService, "a human, please"}));
  tracker->whatsappPassed({kNumber, kWaUser, Platform::kWhatsApp}, wa::Role::kCustomerService);
  REQUIRE(fx.ownerOf(kNumber, kWaUser) == emu::kAgent);
  auto s = tracker->state(key).value().value();
  REQUIRE(s.platform == Platform::kWhatsApp);
  REQUIRE(tracker->dueAt(s) == s.owner.learned_at + 10 * tt::kMinute);

  clock.now = s.owner.learned_at + 10 * tt::kMinute;
  auto done = tracker->poll().value();
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok());
  CHECK(done[0].action == PolicyAction::kTake);
  CHECK(fx.ownerOf(kNumber, kWaUser) == emu::kBot);
  CHECK(tracker->state(key).value()->owner.isApp(emu::kBot));
  // The agent heard control_taken.
  CHECK(emu::ofKind(fx.agent_hook.waitForEvents(1), webhook::EventKind::kControlTaken).size() == 1);
}

TEST_CASE("whatsapp tracker: no take-back is scheduled where this app may not take") {
  tt::ManualClock clock;
  TrackerOptions o = withApp(clock);
  o.policies.idle_take_back = IdleTakeBack{IdleTakeBack::Action::kTake, 10min, "", ""};
  ThreadTracker tracker(std::make_shared<MemoryStore>(),
                        Client(std::make_shared<testing::FakeConnection>()), o);
  REQUIRE(tracker.observe(events("whatsapp_handovers.json")[1]));  // another responder took it
  auto s = tracker.state({kNumber, kWaUser}).value().value();
  CHECK_FALSE(tracker.dueAt(s));
}

TEST_CASE("whatsapp tracker: a context's Service send is refused before any request") {
  tt::ManualClock clock;
  auto fake = std::make_shared<testing::FakeConnection>();
  fake->on_wa_send_text = [](const wa::SendTextRequest&) {
    return Result<wa::SendResponse>(wa::SendResponse{"wamid.OUT", ""});
  };
  ThreadTracker tracker(std::make_shared<MemoryStore>(), Client(fake), withApp(clock));
  const auto handovers = events("whatsapp_handovers.json");
  webhook::Router router;
  std::vector<Error> refused;
  router.onWhatsAppMessage(
      [&](webhook::WhatsAppContext& ctx, const webhook::WhatsAppMessage&) -> Result<void> {
        auto r = ctx.sendText("hello");
        if (!r) refused.push_back(r.error());
        return {};
      },
      webhook::Source::kAny);
  // A message while we own the thread: sent.
  REQUIRE(tracker.observe(handovers[0]));
  clock.now = fromEpochMillis(1'764'600'030'000);
  webhook::Batch one;
  one.events = events("whatsapp_messages.json");
  one.events.resize(1);
  (void)router.dispatch(one, Client(fake), &tracker);
  CHECK(refused.empty());
  CHECK(fake->callCount("waSendText") == 1);
  // Taken from us: refused locally, nothing sent.
  REQUIRE(tracker.observe(handovers[1]));
  clock.now = fromEpochMillis(1'764'600'070'000);
  (void)router.dispatch(one, Client(fake), &tracker);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].isThreadOwnedElsewhere());
  CHECK(fake->callCount("waSendText") == 1);
}
