// Policies acting through the Client: against the emulator (both eras) for what they do, and a
// scripted loopback Graph for failures and retries. Clocks are injected: nothing sleeps.

#include <algorithm>
#include <memory>
#include <mutex>

#include "../emulator/fixture.hpp"
#include "catch.hpp"
#include "handover/tracker/memory_store.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "handover/webhook/router.hpp"
#include "recording_server.hpp"
#include "secret_scan.hpp"
#include "tracker_support.hpp"

using namespace handover;
using namespace handover::tracker;
namespace emu = handover::emulator::testing;
namespace tt = handover::tracker::test;
using tt::kMinute;
using tt::ManualClock;

using namespace std::chrono_literals;
namespace {

Timestamp latest(const std::vector<webhook::Event>& events) {
  Timestamp t{};
  for (const auto& e : events) t = std::max(t, e.timestamp);
  return t;
}

// Feeds everything an app's webhook received so far into its tracker, once.
void feed(ThreadTracker& tracker, emu::WebhookReceiver& hook, std::size_t& fed) {
  auto events = hook.events();
  for (; fed < events.size(); ++fed) REQUIRE(tracker.observe(events[fed]));
}

struct Recorder {
  std::mutex mu;
  std::vector<ActionOutcome> outcomes;
  std::function<void(const ActionOutcome&)> fn() {
    return [this](const ActionOutcome& o) {
      std::lock_guard<std::mutex> lock(mu);
      outcomes.push_back(o);
    };
  }
};

}  // namespace

TEST_CASE("legacy: the bot takes the thread back after the inbox agent went quiet, once") {
  emu::Fixture fx([](emulator::Config& c) { c.start_time = tt::kT0; });
  ManualClock clock;
  Recorder recorder;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(10), "", "bot is back"};
  opts.on_action = recorder.fn();
  ThreadTracker tracker(std::make_shared<MemoryStore>(), fx.legacyBot(), opts);
  const ConversationKey key{emu::kLegacyPage, emu::kUser};
  std::size_t fed = 0;

  fx.userSays(emu::kLegacyPage, "hi");
  fx.bot_hook.waitForEvents(1);
  fx.emu->inboxReply(emu::kLegacyPage, emu::kUser, "a human here").value();
  // The bot (primary) loses control (take) and sees the human's echo on standby.
  auto events = fx.bot_hook.waitForEvents(3);
  REQUIRE(events.size() >= 3);
  feed(tracker, fx.bot_hook, fed);
  auto s = tracker.state(key).value().value();
  REQUIRE(s.owner.isApp(std::string(kPageInboxAppId)));
  const Timestamp human_at = s.last_other_message;
  REQUIRE(human_at >= tt::kT0);
  REQUIRE(tracker.dueAt(s) == human_at + 10 * kMinute);

  // A user message does not count as agent activity; the timer stays.
  fx.userSays(emu::kLegacyPage, "hello? anyone?");
  fx.bot_hook.waitForEvents(4);
  feed(tracker, fx.bot_hook, fed);

  clock.now = human_at + 10 * kMinute - 1ms;
  CHECK(tracker.poll().value().empty());
  CHECK(fx.ownerOf(emu::kLegacyPage) == std::string(kPageInboxAppId));

  clock.now = human_at + 10 * kMinute;
  auto done = tracker.poll().value();
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok());
  CHECK(done[0].action == PolicyAction::kTake);
  CHECK(fx.ownerOf(emu::kLegacyPage) == emu::kBot);
  s = tracker.state(key).value().value();
  CHECK(s.owner.isApp(emu::kBot));
  CHECK(s.owner.source == OwnerSource::kOwnCall);
  REQUIRE(s.last_action);
  CHECK(s.last_action->ok);
  CHECK(s.last_action->action == PolicyAction::kTake);

  clock.now += 60 * kMinute;
  CHECK(tracker.poll().value().empty());
  CHECK(recorder.outcomes.size() == 1);
}

TEST_CASE("a later agent message moves the take-back") {
  emu::Fixture fx([](emulator::Config& c) { c.start_time = tt::kT0; });
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(10), "", ""};
  ThreadTracker tracker(std::make_shared<MemoryStore>(), fx.legacyBot(), opts);
  std::size_t fed = 0;
  fx.userSays(emu::kLegacyPage, "hi");
  fx.emu->inboxReply(emu::kLegacyPage, emu::kUser, "first answer").value();
  fx.bot_hook.waitForEvents(3);
  feed(tracker, fx.bot_hook, fed);
  const Timestamp first = latest(fx.bot_hook.events());

  // The human answers again (emulator clock 5 minutes later).
  REQUIRE(fx.emu->advanceClock(std::chrono::minutes(5)));
  fx.emu->inboxReply(emu::kLegacyPage, emu::kUser, "second answer").value();
  fx.bot_hook.waitForEvents(4);
  feed(tracker, fx.bot_hook, fed);
  const Timestamp second = latest(fx.bot_hook.events());
  REQUIRE(second > first + 4 * kMinute);

  clock.now = first + 10 * kMinute;
  CHECK(tracker.poll().value().empty());
  CHECK(fx.ownerOf(emu::kLegacyPage) == std::string(kPageInboxAppId));
  clock.now = second + 10 * kMinute;
  auto done = tracker.poll().value();
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok());
  CHECK(fx.ownerOf(emu::kLegacyPage) == emu::kBot);
}

TEST_CASE("routing: an agent app releases, or passes back, after its own agent went quiet") {
  const auto action = GENERATE(IdleTakeBack::Action::kRelease, IdleTakeBack::Action::kPass);
  emu::Fixture fx([](emulator::Config& c) { c.start_time = tt::kT0; });
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back = IdleTakeBack{action, std::chrono::minutes(5), "", "agent left"};
  ThreadTracker agent(std::make_shared<MemoryStore>(), fx.routingAgent(), opts);
  const ConversationKey key{emu::kRoutingPage, emu::kUser};
  std::size_t fed = 0;

  fx.userSays(emu::kRoutingPage, "I need a person");
  REQUIRE(fx.routingBot().passThreadControl(emu::kUser, emu::kAgent, "escalate"));
  REQUIRE(fx.ownerOf(emu::kRoutingPage) == emu::kAgent);
  auto passed = fx.agent_hook.waitForEvents(2);
  feed(agent, fx.agent_hook, fed);
  REQUIRE(agent.state(key).value()->owner.isApp(emu::kAgent));

  // Our agent answers through our app: our own echo restarts the quiet period.
  Client agent_client = fx.routingAgent();
  REQUIRE(agent_client.sendText(emu::kUser, "hello, I am Ann"));
  fx.agent_hook.waitForEvents(passed.size() + 1);
  feed(agent, fx.agent_hook, fed);
  auto s = agent.state(key).value().value();
  REQUIRE(s.last_own_message > Timestamp{});
  REQUIRE(agent.dueAt(s) == s.last_own_message + 5 * kMinute);

  clock.now = s.last_own_message + 5 * kMinute - 1ms;
  CHECK(agent.poll().value().empty());
  clock.now += 1ms;
  auto done = agent.poll().value();
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok());
  if (action == IdleTakeBack::Action::kRelease) {
    CHECK(done[0].action == PolicyAction::kRelease);
    CHECK(fx.ownerOf(emu::kRoutingPage).empty());
    CHECK(agent.state(key).value()->owner.ownership == Ownership::kIdle);
  } else {
    CHECK(done[0].action == PolicyAction::kPass);
    CHECK(fx.ownerOf(emu::kRoutingPage) == emu::kBot);  // the default app
  }
  clock.now += 60 * kMinute;
  CHECK(agent.poll().value().empty());
}

TEST_CASE("pass on request: passes to the requester, only from the listed apps") {
  const bool listed = GENERATE(true, false);
  emu::Fixture fx([](emulator::Config& c) { c.start_time = tt::kT0; });
  TrackerOptions opts;
  PassOnRequest p;
  p.from_app_ids = {listed ? emu::kAgent : "9999999999"};
  p.metadata = "as you asked";
  opts.policies.pass_on_request = p;
  Recorder recorder;
  opts.on_action = recorder.fn();
  ThreadTracker bot(std::make_shared<MemoryStore>(), fx.legacyBot(), opts);
  const ConversationKey key{emu::kLegacyPage, emu::kUser};
  std::size_t fed = 0;

  fx.userSays(emu::kLegacyPage, "hi");
  fx.bot_hook.waitForEvents(1);
  REQUIRE(fx.legacyAgent().requestThreadControl(emu::kUser, "mine please"));
  fx.bot_hook.waitForEvents(2);
  feed(bot, fx.bot_hook, fed);

  if (listed) {
    REQUIRE(recorder.outcomes.size() == 1);
    CHECK(recorder.outcomes[0].ok());
    CHECK(recorder.outcomes[0].action == PolicyAction::kPass);
    CHECK(recorder.outcomes[0].target_app_id == emu::kAgent);
    CHECK(fx.ownerOf(emu::kLegacyPage) == emu::kAgent);
    auto s = bot.state(key).value().value();
    CHECK(s.owner.isApp(emu::kAgent));
    CHECK(s.pending_requests.empty());
  } else {
    CHECK(recorder.outcomes.empty());
    CHECK(fx.ownerOf(emu::kLegacyPage) == emu::kBot);
    auto s = bot.state(key).value().value();
    REQUIRE(s.pending_requests.size() == 1);
    CHECK(s.pending_requests[0].app_id == emu::kAgent);
    CHECK(s.pending_requests[0].metadata == "mine please");
  }
}

TEST_CASE("a failed pass on request is reported and recorded, not dropped") {
  handover::test::RecordingServer graph;
  graph.enqueueJson(
      400,
      R"({"error":{"message":"(#10) not the owner","type":"OAuthException","code":10,"error_subcode":2018300}})");
  ClientOptions o;
  o.base_url = graph.baseUrl();
  o.access_token = "t";
  o.app_id = tt::kBotApp;
  Recorder recorder;
  TrackerOptions opts;
  opts.policies.pass_on_request = PassOnRequest{};
  opts.on_action = recorder.fn();
  ThreadTracker bot(std::make_shared<MemoryStore>(), handover::test::guarded(o), opts);
  REQUIRE(bot.observe(tt::requestEvent(tt::kT0, tt::kAgentApp)));
  REQUIRE(recorder.outcomes.size() == 1);
  REQUIRE(recorder.outcomes[0].error);
  CHECK(recorder.outcomes[0].error->code == 10);
  auto s = bot.state({tt::kPage, tt::kUser}).value().value();
  REQUIRE(s.last_action);
  CHECK_FALSE(s.last_action->ok);
  CHECK(s.last_action->error.find("not the owner") != std::string::npos);
  CHECK(s.pending_requests.size() == 1);  // still unanswered
}

TEST_CASE("a process that starts late performs what came due exactly once") {
  handover::test::RecordingServer graph;  // answers {"success":true}
  ClientOptions o;
  o.base_url = graph.baseUrl();
  o.access_token = "t";
  o.app_id = tt::kBotApp;
  o.retry.max_attempts = 1;
  auto store = std::make_shared<MemoryStore>();
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(10), "", ""};
  for (int u = 0; u < 3; ++u) {
    ThreadTracker before(store, handover::test::guarded(o), opts);
    REQUIRE(before.observe(tt::echo(tt::kT0 + std::chrono::milliseconds(u), "m" + std::to_string(u),
                                    std::string(kPageInboxAppId), "user" + std::to_string(u))));
  }  // the process stops: no timer, no thread, only the stored times remain
  REQUIRE(graph.requestCount() == 0);

  clock.now = tt::kT0 + 3 * 60 * kMinute;  // it restarts three hours later
  ThreadTracker after(store, handover::test::guarded(o), opts);
  auto done = after.poll().value();
  CHECK(done.size() == 3);
  CHECK(graph.requestCount() == 3);
  ThreadTracker another(store, handover::test::guarded(o), opts);
  CHECK(another.poll().value().empty());
  clock.now += opts.due_lease * 10;
  CHECK(after.poll().value().empty());
  CHECK(another.poll().value().empty());
  CHECK(graph.requestCount() == 3);
}

TEST_CASE("a failed take-back is retried per the client's rules and reported") {
  handover::test::RecordingServer graph;
  ManualClock clock;
  ClientOptions o;
  o.base_url = graph.baseUrl();
  o.access_token = "t";
  o.app_id = tt::kBotApp;
  o.clock.sleep = [](std::chrono::milliseconds) {};  // backoff without waiting
  Recorder recorder;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(1), "", ""};
  opts.on_action = recorder.fn();
  const ConversationKey key{tt::kPage, tt::kUser};

  SECTION("the client retries a POST it may retry, and the take succeeds") {
    o.retry.max_attempts = 3;
    o.retry.retry_non_idempotent = true;
    graph.enqueueJson(503, R"({"error":{"message":"busy","code":2,"is_transient":true}})");
    graph.enqueueJson(503, R"({"error":{"message":"busy","code":2,"is_transient":true}})");
    graph.enqueueJson(200, R"({"success":true})");
    ThreadTracker tracker(std::make_shared<MemoryStore>(), handover::test::guarded(o), opts);
    REQUIRE(tracker.observe(tt::echo(tt::kT0, "m1", std::string(kPageInboxAppId))));
    clock.now = tt::kT0 + kMinute;
    auto done = tracker.poll().value();
    REQUIRE(done.size() == 1);
    CHECK(done[0].ok());
    CHECK(graph.requestCount() == 3);
  }
  SECTION("a transient failure stays due and is tried again after the lease") {
    o.retry.max_attempts = 3;  // POSTs that reached the server are not retried by default
    graph.enqueueJson(503, R"({"error":{"message":"busy","code":2,"is_transient":true}})");
    graph.enqueueJson(200, R"({"success":true})");
    ThreadTracker tracker(std::make_shared<MemoryStore>(), handover::test::guarded(o), opts);
    REQUIRE(tracker.observe(tt::echo(tt::kT0, "m1", std::string(kPageInboxAppId))));
    clock.now = tt::kT0 + kMinute;
    auto first = tracker.poll().value();
    REQUIRE(first.size() == 1);
    REQUIRE(first[0].error);
    CHECK(first[0].error->http_status == 503);
    CHECK(first[0].will_retry);
    CHECK(graph.requestCount() == 1);
    auto s = tracker.state(key).value().value();
    REQUIRE(s.last_action);
    CHECK_FALSE(s.last_action->ok);
    CHECK(tracker.poll().value().empty());  // leased: not yet
    clock.now += opts.due_lease;
    auto second = tracker.poll().value();
    REQUIRE(second.size() == 1);
    CHECK(second[0].ok());
    CHECK(graph.requestCount() == 2);
    CHECK(recorder.outcomes.size() == 2);
  }
  SECTION("a final failure is reported once and not repeated") {
    graph.enqueueJson(
        400,
        R"({"error":{"message":"(#27) take not supported","type":"OAuthException","code":27}})");
    ThreadTracker tracker(std::make_shared<MemoryStore>(), handover::test::guarded(o), opts);
    REQUIRE(tracker.observe(tt::echo(tt::kT0, "m1", std::string(kPageInboxAppId))));
    clock.now = tt::kT0 + kMinute;
    auto first = tracker.poll().value();
    REQUIRE(first.size() == 1);
    REQUIRE(first[0].error);
    CHECK(first[0].error->isTakeNotSupportedWithoutDefaultApp());
    CHECK_FALSE(first[0].will_retry);
    clock.now += 10 * opts.due_lease;
    CHECK(tracker.poll().value().empty());
    CHECK(graph.requestCount() == 1);
    CHECK(recorder.outcomes.size() == 1);
  }
}

TEST_CASE("control that expires before the quiet period ends needs no take-back") {
  handover::test::RecordingServer graph;
  ClientOptions o;
  o.base_url = graph.baseUrl();
  o.access_token = "t";
  o.app_id = tt::kBotApp;
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(30), "", ""};
  ThreadTracker tracker(std::make_shared<MemoryStore>(), handover::test::guarded(o), opts);
  const ConversationKey key{tt::kPage, tt::kUser};
  REQUIRE(tracker.recordOwner(key, ThreadOwner{std::string(tt::kAgentApp),
                                               std::chrono::time_point_cast<std::chrono::seconds>(
                                                   tt::kT0 + 10 * kMinute)}));
  CHECK_FALSE(tracker.dueAt(tracker.state(key).value().value()));
  clock.now = tt::kT0 + 2 * 60 * kMinute;
  CHECK(tracker.poll().value().empty());
  CHECK(graph.requestCount() == 0);
}

// Issue #23: a pass made in a handler's Context told the tracker nothing on a legacy Page (no
// webhook comes back to the passer there), so the idle take-back never started. The tracker is
// the contexts' CallObserver: the two paths agree, in both eras.
TEST_CASE("a pass made in a handler's Context starts the take-back, in both eras") {
  const bool legacy = GENERATE(true, false);
  emu::Fixture fx([](emulator::Config& c) { c.start_time = tt::kT0; });
  const char* page = legacy ? emu::kLegacyPage : emu::kRoutingPage;
  Client bot = legacy ? fx.legacyBot() : fx.routingBot();
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(10), "", "bot is back"};
  ThreadTracker tracker(std::make_shared<MemoryStore>(), bot, opts);
  webhook::Router router;
  router.onMessage([](webhook::Context& ctx, const webhook::Message&) {
    return ctx.passThreadControlToPageInbox("a human, please");
  });

  fx.userSays(page, "human please");
  webhook::Batch batch;
  batch.events = fx.bot_hook.waitForEvents(1);
  REQUIRE(batch.events.size() == 1);
  const auto report = router.dispatch(batch, bot, &tracker);
  REQUIRE(report.ok());
  REQUIRE(fx.ownerOf(page) == std::string(kPageInboxAppId));

  const ConversationKey key{page, emu::kUser};
  auto s = tracker.state(key).value().value();
  CHECK(s.owner.isApp(std::string(kPageInboxAppId)));
  CHECK(s.owner.source == OwnerSource::kOwnCall);
  REQUIRE(tracker.dueAt(s) == s.owner.learned_at + 10 * kMinute);

  clock.now = s.owner.learned_at + 10 * kMinute;
  auto done = tracker.poll().value();
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok());
  CHECK(fx.ownerOf(page) == emu::kBot);
}

TEST_CASE("without the tracker as observer a Context pass leaves it unaware (the old behaviour)") {
  emu::Fixture fx([](emulator::Config& c) { c.start_time = tt::kT0; });
  Client bot = fx.legacyBot();
  TrackerOptions opts;
  opts.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(10), "", ""};
  ThreadTracker tracker(std::make_shared<MemoryStore>(), bot, opts);
  webhook::Router router;
  router.onMessage([](webhook::Context& ctx, const webhook::Message&) {
    return ctx.passThreadControlToPageInbox();
  });
  fx.userSays(emu::kLegacyPage, "human please");
  webhook::Batch batch;
  batch.events = fx.bot_hook.waitForEvents(1);
  REQUIRE(router.dispatch(batch, bot).ok());
  CHECK_FALSE(tracker.state({emu::kLegacyPage, emu::kUser}).value().has_value());
}
