// The rule core without HTTP: a fake clock, events read from the outbox.
#include "world.hpp"
#include "catch.hpp"

using namespace handover;
using namespace handover::emulator;
using handover::emulator::detail::Caller;
using handover::emulator::detail::World;

namespace {

struct Core {
  std::int64_t now = 1'700'000'000'000;
  World world;

  explicit Core(Era era, std::string default_app = "1")
      : world(makeConfig(era, std::move(default_app)), [this] { return now; }) {}

  static Config makeConfig(Era era, std::string default_app) {
    Config c;
    c.pages.push_back(
        {"10", "P", Platform::kMessenger, era, era == Era::kRouting ? default_app : ""});
    for (const char* id : {"1", "2", "3"}) {
      AppConfig a;
      a.id = id;
      a.role = std::string(id) == "1" ? Role::kPrimary : Role::kSecondary;
      a.page_access_token = std::string("t") + id;
      a.app_secret = "s";
      a.webhook_url = "http://127.0.0.1:1/hook";
      a.subscribed_fields = {"messages", "standby", "messaging_handovers", "messaging_postbacks"};
      c.apps.push_back(a);
    }
    return c;
  }
  Caller as(const char* app) { return Caller{app, "10"}; }
};

}  // namespace

TEST_CASE("world: routing expiry is exactly 24 h after the last activity") {
  Core c(Era::kRouting);
  REQUIRE(c.world.pass(c.as("1"), "u", "2", ""));
  c.now += 24LL * 3600 * 1000 - 1;
  CHECK(c.world.threadState("10", "u").value().owner_app_id == "2");
  c.now += 1;
  CHECK(c.world.threadState("10", "u").value().owner_app_id.empty());
}

TEST_CASE("world: routing pass notifies every subscribed app - take only the loser") {
  Core c(Era::kRouting);
  REQUIRE(c.world.pass(c.as("1"), "u", "2", "m"));
  auto out = c.world.drainOutbox();
  REQUIRE(out.size() == 3);
  for (const auto& o : out) {
    CHECK_FALSE(o.standby);
    CHECK(o.event_json.find("\"pass_thread_control\":{\"previous_owner_app_id\":null,"
                            "\"new_owner_app_id\":\"2\",\"metadata\":\"m\"}") != std::string::npos);
  }
  REQUIRE(c.world.take(c.as("3"), "u", ""));
  out = c.world.drainOutbox();
  REQUIRE(out.size() == 1);
  CHECK(out[0].app_id == "2");
  CHECK(out[0].event_json.find("take_thread_control") != std::string::npos);
  // Take from idle sends nothing.
  REQUIRE(c.world.release(c.as("3"), "u"));
  REQUIRE(c.world.take(c.as("2"), "u", ""));
  CHECK(c.world.drainOutbox().empty());
}

TEST_CASE("world: a pass to yourself is refused except on an idle zero-config thread") {
  Core routed(Era::kRouting);
  auto self = routed.world.pass(routed.as("2"), "u", "2", "");
  REQUIRE_FALSE(self);
  CHECK(self.error().code == 100);
  Core zero(Era::kRouting, "");
  REQUIRE(zero.world.pass(zero.as("2"), "u", "2", ""));
  CHECK(zero.world.threadState("10", "u").value().owner_app_id == "2");
  auto again = zero.world.pass(zero.as("2"), "u", "2", "");
  REQUIRE_FALSE(again);
}

TEST_CASE("world: legacy user events go to the owner as messaging others as standby") {
  Core c(Era::kLegacy);
  REQUIRE(c.world.userPostback("10", "7", "Buy", "BUY"));
  auto out = c.world.drainOutbox();
  REQUIRE(out.size() == 3);
  CHECK(out[0].app_id == "1");
  CHECK_FALSE(out[0].standby);
  CHECK(out[0].event_json.find("\"payload\":\"BUY\"") != std::string::npos);
  CHECK(out[1].standby);
  CHECK(out[1].event_json.find("payload") == std::string::npos);
  CHECK(out[0].timestamp == out[1].timestamp);
}

TEST_CASE("world: timestamps strictly increase even when the clock stands still") {
  Core c(Era::kRouting);
  auto a = c.world.userMessage({"10", "7", "a", ""});
  auto b = c.world.userMessage({"10", "7", "b", ""});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(b->timestamp > a->timestamp);
  CHECK(a->mid != b->mid);
}

TEST_CASE("world: legacy extend and expiry return the thread to the primary") {
  Core c(Era::kLegacy);
  REQUIRE(c.world.pass(c.as("1"), "u", "3", ""));
  REQUIRE(c.world.extend(c.as("3"), "u", 3 * 24 * 3600));
  c.now += 3LL * 24 * 3600 * 1000 - 1;
  CHECK(c.world.threadState("10", "u").value().owner_app_id == "3");
  c.now += 1;
  CHECK(c.world.threadState("10", "u").value().owner_app_id == "1");
  // Requests go to the primary in legacy.
  c.world.drainOutbox();
  REQUIRE(c.world.request(c.as("2"), "u", ""));
  auto out = c.world.drainOutbox();
  REQUIRE(out.size() == 1);
  CHECK(out[0].app_id == "1");
  CHECK(out[0].event_json.find("\"requested_owner_app_id\":2") != std::string::npos);
}

TEST_CASE("world: a thread keeps its newest 500 chat lines and counts the ones it dropped") {
  Core c(Era::kRouting);
  for (int i = 0; i < 503; ++i) {
    UserMessage m;
    m.page_id = "10";
    m.user_id = "7001";
    m.text = "m" + std::to_string(i);
    REQUIRE(c.world.userMessage(m));
  }
  const auto all = c.world.conversations();
  REQUIRE(all.size() == 1);
  REQUIRE(all[0].chat->size() == 500);
  CHECK(all[0].chat_dropped == 3);
  CHECK(all[0].chat->front().text == "m3");
  CHECK(all[0].chat->back().text == "m502");
}

TEST_CASE("world: conversations since a version holds only what changed, lapses included") {
  Core c(Era::kRouting);
  REQUIRE(c.world.pass(c.as("1"), "u", "2", ""));
  REQUIRE(c.world.pass(c.as("1"), "v", "3", ""));
  const std::uint64_t v1 = c.world.version();
  const std::int64_t t1 = c.now;
  CHECK(c.world.conversations(v1, t1).empty());
  CHECK(c.world.conversations().size() == 2);

  REQUIRE(c.world.pass(c.as("2"), "u", "1", ""));
  auto changed = c.world.conversations(v1, t1);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].user_id == "u");
  CHECK(changed[0].owner == "1");

  // v's control lapses with time alone: shown once, in the first answer after the lapse.
  const std::uint64_t v2 = c.world.version();
  c.now += 25LL * 3600 * 1000;
  changed = c.world.conversations(v2, t1);
  bool has_v = false;
  for (const auto& view : changed) has_v = has_v || (view.user_id == "v" && view.owner.empty());
  CHECK(has_v);
  CHECK(c.world.conversations(v2, c.now).empty());
}
