// ThreadTracker: what it learns from events and our own calls, and the queries on it.

#include <memory>

#include "catch.hpp"
#include "handover/client/client.hpp"
#include "handover/tracker/memory_store.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "recording_server.hpp"
#include "secret_scan.hpp"
#include "tracker_support.hpp"

using namespace handover;
using namespace handover::tracker;
using namespace handover::tracker::test;

using namespace std::chrono_literals;
namespace {

Client loopbackClient(const handover::test::RecordingServer& server) {
  ClientOptions o;
  o.base_url = server.baseUrl();
  o.access_token = "page-token";
  o.app_id = kBotApp;
  o.page_id = kPage;
  o.retry.max_attempts = 1;
  return handover::test::guarded(o);
}

const ConversationKey kKey{kPage, kUser};

}  // namespace

TEST_CASE("observe keeps owner, activity times and pending requests") {
  handover::test::RecordingServer graph;
  ManualClock clock;
  auto store = std::make_shared<MemoryStore>();
  TrackerOptions opts;
  opts.clock = clock.fn();
  ThreadTracker tracker(store, loopbackClient(graph), opts);
  CHECK(tracker.appId() == kBotApp);

  REQUIRE(tracker.observe(userMessage(kT0 + 1ms, "m1")));
  REQUIRE(tracker.observe(echo(kT0 + 2ms, "m2", std::string(kBotApp))));
  REQUIRE(tracker.observe(requestEvent(kT0 + 3ms, kAgentApp, "need it")));
  auto s = tracker.state(kKey).value();
  REQUIRE(s);
  CHECK(s->last_user_message == kT0 + 1ms);
  CHECK(s->last_own_message == kT0 + 2ms);
  CHECK(s->last_other_message == Timestamp{});
  CHECK(s->owner.ownership == Ownership::kUnknown);
  REQUIRE(s->pending_requests.size() == 1);
  CHECK(s->pending_requests[0].app_id == kAgentApp);
  CHECK(s->pending_requests[0].metadata == "need it");

  // A human answers from the Page Inbox: the inbox owns the thread as of that echo.
  REQUIRE(tracker.observe(echo(kT0 + 4ms, "m3", std::string(kPageInboxAppId))));
  s = tracker.state(kKey).value();
  CHECK(s->last_other_message == kT0 + 4ms);
  CHECK(s->last_other_app_id == kPageInboxAppId);
  CHECK(s->owner.isApp(std::string(kPageInboxAppId)));
  CHECK(s->owner.source == OwnerSource::kWebhook);
  CHECK(s->owner.learned_at == kT0 + 4ms);

  // An echo without app_id (old API versions): someone else wrote, owner not inferred.
  REQUIRE(tracker.observe(echo(kT0 + 5ms, "m4", std::nullopt)));
  s = tracker.state(kKey).value();
  CHECK(s->last_other_message == kT0 + 5ms);
  CHECK(s->last_other_app_id.empty());
  CHECK(s->owner.learned_at == kT0 + 4ms);

  // Control passed to the agent: requests made before are answered and dropped.
  REQUIRE(
      tracker.observe(passEvent(kT0 + 6ms, std::string(kPageInboxAppId), std::string(kAgentApp))));
  s = tracker.state(kKey).value();
  CHECK(s->owner.isApp(kAgentApp));
  CHECK(s->pending_requests.empty());
  CHECK(graph.requestCount() == 0);  // learning never calls the Graph API
}

TEST_CASE("events merge by time whatever order they arrive in, and twice is harmless") {
  handover::test::RecordingServer graph;
  auto store = std::make_shared<MemoryStore>();
  ThreadTracker tracker(store, loopbackClient(graph));

  // Meta redelivers after failures without ordering: the take (newer) arrives first.
  REQUIRE(tracker.observe(takeEvent(kT0 + 20ms, std::string(kBotApp), std::string(kAgentApp))));
  REQUIRE(tracker.observe(passEvent(kT0 + 10ms, std::string(kAgentApp), std::string(kBotApp))));
  REQUIRE(tracker.observe(userMessage(kT0 + 30ms, "m1")));
  REQUIRE(tracker.observe(userMessage(kT0 + 15ms, "m0")));
  auto once = tracker.state(kKey).value().value();
  CHECK(once.owner.isApp(kAgentApp));
  CHECK(once.owner.learned_at == kT0 + 20ms);
  CHECK(once.last_user_message == kT0 + 30ms);

  REQUIRE(tracker.observe(passEvent(kT0 + 10ms, std::string(kAgentApp), std::string(kBotApp))));
  REQUIRE(tracker.observe(takeEvent(kT0 + 20ms, std::string(kBotApp), std::string(kAgentApp))));
  auto twice = tracker.state(kKey).value().value();
  CHECK(twice.owner.app_id == once.owner.app_id);
  CHECK(twice.owner.learned_at == once.owner.learned_at);
  CHECK(twice.last_user_message == once.last_user_message);

  // A take without new_owner_app_id (old API versions): someone else, unnamed.
  REQUIRE(tracker.observe(takeEvent(kT0 + 40ms, std::nullopt, std::nullopt)));
  auto s = tracker.state(kKey).value().value();
  CHECK(s.owner.ownership == Ownership::kApp);
  CHECK(s.owner.app_id.empty());
  CHECK_FALSE(s.owner.isApp(kBotApp));
  // A pass without new_owner_app_id reached the new owner: us.
  REQUIRE(tracker.observe(passEvent(kT0 + 50ms, std::nullopt, std::nullopt)));
  CHECK(tracker.state(kKey).value()->owner.isApp(kBotApp));
}

TEST_CASE("our own calls are recorded with their source and time") {
  handover::test::RecordingServer graph;
  ManualClock clock;
  auto store = std::make_shared<MemoryStore>();
  TrackerOptions opts;
  opts.clock = clock.fn();
  ThreadTracker tracker(store, loopbackClient(graph), opts);

  REQUIRE(tracker.passThreadControl(kKey, kAgentApp, "escalate"));
  REQUIRE(graph.requestCount() == 1);
  CHECK(graph.last().path.find("/pass_thread_control") != std::string::npos);
  auto s = tracker.state(kKey).value().value();
  CHECK(s.owner.isApp(kAgentApp));
  CHECK(s.owner.source == OwnerSource::kOwnCall);
  CHECK(s.owner.learned_at == kT0);

  clock.now += 1000ms;
  graph.enqueueJson(200, R"({"success":true})");
  REQUIRE(tracker.takeThreadControl(kKey));
  CHECK(tracker.state(kKey).value()->owner.isApp(kBotApp));

  clock.now += 1000ms;
  REQUIRE(tracker.recordExtended(kKey, std::chrono::hours(48)));
  s = tracker.state(kKey).value().value();
  REQUIRE(s.owner.expires_at);
  CHECK(*s.owner.expires_at == kT0 + 2000ms + std::chrono::hours(48));

  clock.now += 1000ms;
  REQUIRE(tracker.releaseThreadControl(kKey));
  s = tracker.state(kKey).value().value();
  CHECK(s.owner.ownership == Ownership::kIdle);
  CHECK(s.idleAt(clock.now));

  // A failed call records nothing.
  graph.enqueueJson(
      400,
      R"({"error":{"message":"not owner","type":"OAuthException","code":10,"error_subcode":2018300}})");
  CHECK_FALSE(tracker.takeThreadControl(kKey));
  CHECK(tracker.state(kKey).value()->owner.ownership == Ownership::kIdle);
}

TEST_CASE("getThreadOwner asks the Graph API only when knowledge is stale") {
  handover::test::RecordingServer graph;
  graph.setHandler([](const handover::test::RecordedRequest&) {
    return handover::test::jsonResponse(
        200, R"({"data":[{"thread_owner":{"app_id":"263902037430900","expiration":1767312000}}]})");
  });
  ManualClock clock;
  auto store = std::make_shared<MemoryStore>();
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.owner_staleness = std::chrono::minutes(5);
  ThreadTracker tracker(store, loopbackClient(graph), opts);

  // Nothing known: Graph is asked, the answer recorded.
  auto a = tracker.getThreadOwner(kKey).value();
  CHECK(a.from_graph);
  CHECK(a.owner.isApp(std::string(kPageInboxAppId)));
  CHECK(a.owner.source == OwnerSource::kGraph);
  REQUIRE(a.owner.expires_at);
  CHECK(*a.owner.expires_at == EpochSeconds{std::chrono::seconds{1767312000}});
  CHECK(graph.requestCount() == 1);
  CHECK(graph.last().path.find("/thread_owner") != std::string::npos);

  // Fresh: answered from the tracker, however many messages come.
  for (int i = 0; i < 5; ++i) {
    clock.now += 30'000ms;
    REQUIRE(tracker.observe(userMessage(clock.now, "m" + std::to_string(i))));
    auto b = tracker.getThreadOwner(kKey).value();
    CHECK_FALSE(b.from_graph);
    CHECK(b.owner.isApp(std::string(kPageInboxAppId)));
  }
  CHECK(graph.requestCount() == 1);

  // A handover event refreshes it without a call.
  clock.now += 4 * kMinute;
  REQUIRE(
      tracker.observe(passEvent(clock.now, std::string(kPageInboxAppId), std::string(kBotApp))));
  clock.now += 4 * kMinute;
  auto c = tracker.getThreadOwner(kKey).value();
  CHECK_FALSE(c.from_graph);
  CHECK(c.owner.isApp(kBotApp));
  CHECK(graph.requestCount() == 1);

  // Stale: asked again.
  clock.now += 2 * kMinute;
  auto d = tracker.getThreadOwner(kKey).value();
  CHECK(d.from_graph);
  CHECK(d.owner.isApp(std::string(kPageInboxAppId)));
  CHECK(graph.requestCount() == 2);

  // A Graph failure is returned, not papered over.
  graph.setHandler([](const handover::test::RecordedRequest&) {
    return handover::test::jsonResponse(500, "oops");
  });
  clock.now += 10 * kMinute;
  auto e = tracker.getThreadOwner(kKey);
  REQUIRE_FALSE(e);
  CHECK(e.error().http_status == 500);
}

TEST_CASE("thread_owner answers without an app id are recorded as hidden owner or idle") {
  handover::test::RecordingServer graph;
  graph.enqueueJson(200, R"({"data":[{"thread_owner":{"expiration":1767312000}}]})");
  graph.enqueueJson(200, R"({"data":[]})");
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.owner_staleness = std::chrono::milliseconds(0);
  ThreadTracker tracker(std::make_shared<MemoryStore>(), loopbackClient(graph), opts);
  auto hidden = tracker.getThreadOwner(kKey).value();
  CHECK(hidden.owner.ownership == Ownership::kApp);
  CHECK(hidden.owner.app_id.empty());
  clock.now += 1ms;
  auto idle = tracker.getThreadOwner(kKey).value();
  CHECK(idle.owner.ownership == Ownership::kIdle);
}

TEST_CASE("autoReply pauses while a human is active") {
  handover::test::RecordingServer graph;
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  ThreadTracker no_policy(std::make_shared<MemoryStore>(), loopbackClient(graph), opts);
  REQUIRE(no_policy.observe(echo(kT0, "m1", std::string(kPageInboxAppId))));
  CHECK(no_policy.autoReply(kKey).value() == AutoReply::kReply);

  opts.policies.pause_while_human_active = PauseWhileHumanActive{std::chrono::minutes(15)};
  ThreadTracker tracker(std::make_shared<MemoryStore>(), loopbackClient(graph), opts);
  CHECK(tracker.autoReply(kKey).value() == AutoReply::kReply);  // never seen

  REQUIRE(tracker.observe(echo(kT0, "m1", std::string(kPageInboxAppId))));
  CHECK(tracker.autoReply(kKey).value() == AutoReply::kPauseAnotherAppOwns);  // the inbox owns it
  // Control came back to us, but the human wrote 1 minute ago: still paused.
  REQUIRE(tracker.observe(
      passEvent(kT0 + kMinute, std::string(kPageInboxAppId), std::string(kBotApp))));
  clock.now = kT0 + kMinute;
  CHECK(tracker.autoReply(kKey).value() == AutoReply::kPauseHumanActive);
  clock.now = kT0 + 15 * kMinute - 1ms;
  CHECK(tracker.autoReply(kKey).value() == AutoReply::kPauseHumanActive);
  clock.now = kT0 + 15 * kMinute;
  CHECK(tracker.autoReply(kKey).value() == AutoReply::kReply);
  // Our own echoes never pause us.
  REQUIRE(tracker.observe(echo(clock.now, "m2", std::string(kBotApp))));
  CHECK(tracker.autoReply(kKey).value() == AutoReply::kReply);
  // Control held by another app that expired: the thread is idle, we may answer.
  ThreadOwner agent_owner{
      std::string(kAgentApp),
      std::chrono::time_point_cast<std::chrono::seconds>(clock.now.load() + 1000ms)};
  REQUIRE(tracker.recordOwner(kKey, agent_owner));
  CHECK(tracker.autoReply(kKey).value() == AutoReply::kPauseAnotherAppOwns);
  clock.now += 2000ms;
  CHECK(tracker.autoReply(kKey).value() == AutoReply::kReply);
}

TEST_CASE("events without a conversation are ignored, bad keys are refused") {
  handover::test::RecordingServer graph;
  auto store = std::make_shared<MemoryStore>();
  ThreadTracker tracker(store, loopbackClient(graph));
  webhook::Event roles;
  roles.page_id = kPage;
  roles.payload = webhook::AppRoles{};
  REQUIRE(tracker.observe(roles));
  webhook::Event read = base(kPage, kUser, kT0);
  read.payload = webhook::Read{kT0, ""};
  REQUIRE(tracker.observe(read));
  CHECK(store->stats().conversations == 0);
  auto bad = tracker.recordReleased({kPage, ""});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category == ErrorCategory::kInvalidArgument);
}

TEST_CASE("a user message on standby says another app owns the thread") {
  handover::test::RecordingServer graph;
  auto store = std::make_shared<MemoryStore>();
  ThreadTracker tracker(store, loopbackClient(graph));
  REQUIRE(tracker.observe(userMessage(kT0, "m1", kUser, /*standby=*/true)));
  auto s = tracker.state(kKey).value().value();
  CHECK(s.owner.ownership == Ownership::kApp);
  CHECK(s.owner.app_id.empty());
  CHECK(s.owner.learned_at == kT0);

  // A named owner is kept: standby only says "not us".
  REQUIRE(tracker.observe(echo(kT0 + 1ms, "m2", std::string(kPageInboxAppId))));
  REQUIRE(tracker.observe(userMessage(kT0 + 2ms, "m3", kUser, true)));
  CHECK(tracker.state(kKey).value()->owner.isApp(std::string(kPageInboxAppId)));

  // We got control back; a later standby delivery means someone took it again.
  REQUIRE(
      tracker.observe(passEvent(kT0 + 3ms, std::string(kPageInboxAppId), std::string(kBotApp))));
  REQUIRE(tracker.observe(userMessage(kT0 + 3ms, "m4", kUser, true)));  // same time: not newer
  CHECK(tracker.state(kKey).value()->owner.isApp(kBotApp));
  REQUIRE(tracker.observe(userMessage(kT0 + 4ms, "m5", kUser, true)));
  s = tracker.state(kKey).value().value();
  CHECK(s.owner.ownership == Ownership::kApp);
  CHECK_FALSE(s.owner.isApp(kBotApp));
  // A messaging delivery changes nothing about the owner.
  REQUIRE(tracker.observe(userMessage(kT0 + 5ms, "m6", kUser, false)));
  CHECK(tracker.state(kKey).value()->owner.learned_at == kT0 + 4ms);
}

TEST_CASE("without an app id, an unnamed owner is never taken for us") {
  handover::test::RecordingServer graph;
  ClientOptions o;
  o.base_url = graph.baseUrl();
  o.access_token = "t";  // no app_id
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back = IdleTakeBack{};
  opts.policies.pause_while_human_active = PauseWhileHumanActive{};
  ThreadTracker tracker(std::make_shared<MemoryStore>(), handover::test::guarded(o), opts);
  CHECK(tracker.appId().empty());
  REQUIRE(tracker.observe(takeEvent(kT0, std::nullopt, std::nullopt)));  // someone took it
  auto s = tracker.state(kKey).value().value();
  REQUIRE(s.owner.ownership == Ownership::kApp);
  CHECK(tracker.dueAt(s) == kT0 + 10 * kMinute);
  CHECK(tracker.autoReply(kKey).value() != AutoReply::kReply);
}

TEST_CASE("referrals, reactions and edits are user activity, opt-ins are not") {
  handover::test::RecordingServer graph;
  auto store = std::make_shared<MemoryStore>();
  ThreadTracker tracker(store, loopbackClient(graph));
  webhook::Event referral = base(kPage, kUser, kT0 + 1ms);
  referral.payload = webhook::Referral{"billing", "SHORTLINK", "OPEN_THREAD", "", ""};
  REQUIRE(tracker.observe(referral));
  CHECK(tracker.state(kKey).value()->last_user_message == kT0 + 1ms);
  webhook::Event reaction = base(kPage, kUser, kT0 + 2ms);
  reaction.payload = webhook::Reaction{"m_1", webhook::ReactionAction::kReact, "love", ""};
  REQUIRE(tracker.observe(reaction));
  CHECK(tracker.state(kKey).value()->last_user_message == kT0 + 2ms);
  webhook::Event edit = base(kPage, kUser, kT0 + 3ms);
  edit.payload = webhook::MessageEdit{"m_1", "fixed", 1};
  REQUIRE(tracker.observe(edit));
  CHECK(tracker.state(kKey).value()->last_user_message == kT0 + 3ms);
  webhook::Event optin = base(kPage, kUser, kT0 + 4ms);
  optin.payload = webhook::Optin{};
  REQUIRE(tracker.observe(optin));
  CHECK(tracker.state(kKey).value()->last_user_message == kT0 + 3ms);
}
