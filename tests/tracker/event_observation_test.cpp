// The tracker's event-to-observation mapping, a pure function: no store, no client, no clock.

#include <string>

#include <vector>

#include "catch.hpp"
#include "event_observation.hpp"
#include "fixture_file.hpp"
#include "handover/webhook/parser.hpp"

using namespace std::chrono_literals;
namespace {

using handover::fromEpochMillis;
using handover::tracker::Ownership;
using handover::tracker::detail::observationOf;

const std::string kMe = "111";

/// The one event of a body with one `messaging` (or `standby`) item.
handover::webhook::Event only(const std::string& item, bool standby = false) {
  const std::string body = std::string(R"({"object":"page","entry":[{"id":"900","time":5000,")") +
                           (standby ? "standby" : "messaging") + R"(":[)" + item + "]}]}";
  auto batch = handover::webhook::parse(body);
  REQUIRE(batch);
  REQUIRE(batch->events.size() == 1);
  return batch->events[0];
}

const std::string kUserToPage = R"("sender":{"id":"42"},"recipient":{"id":"900"},"timestamp":7000)";
const std::string kPageToUser = R"("sender":{"id":"900"},"recipient":{"id":"42"},"timestamp":7000)";

}  // namespace

TEST_CASE("observation: a user message is activity, on standby another app owns the thread") {
  const auto e = only("{" + kUserToPage + R"(,"message":{"mid":"m1","text":"hi"}})");
  auto seen = observationOf(e, kMe, fromEpochMillis(1));
  REQUIRE(seen);
  CHECK(seen->key.page_id == "900");
  CHECK(seen->key.user_id == "42");
  CHECK(seen->observation.user_message == fromEpochMillis(7000));
  CHECK_FALSE(seen->observation.standby_at);
  CHECK_FALSE(seen->moves_timer);  // messaging: our thread, the timer stays

  const auto s = only("{" + kUserToPage + R"(,"message":{"mid":"m1","text":"hi"}})", true);
  seen = observationOf(s, kMe, fromEpochMillis(1));
  REQUIRE(seen);
  CHECK(seen->observation.standby_at == fromEpochMillis(7000));
  CHECK(seen->observation.self_app_id == kMe);
  CHECK(seen->moves_timer);
}

TEST_CASE("observation: echoes tell our own messages from another app's, which owns it") {
  auto own =
      observationOf(only("{" + kPageToUser +
                         R"(,"message":{"mid":"m2","is_echo":true,"app_id":111,"text":"x"}})"),
                    kMe, fromEpochMillis(1));
  REQUIRE(own);
  CHECK(own->observation.own_message == fromEpochMillis(7000));
  CHECK_FALSE(own->observation.owner);
  auto other = observationOf(
      only("{" + kPageToUser +
           R"(,"message":{"mid":"m3","is_echo":true,"app_id":263902037430900,"text":"x"}})"),
      kMe, fromEpochMillis(1));
  REQUIRE(other);
  CHECK(other->observation.other_message == fromEpochMillis(7000));
  CHECK(other->observation.other_app_id == "263902037430900");
  REQUIRE(other->observation.owner);
  CHECK(other->observation.owner->ownership == Ownership::kApp);
  CHECK(other->observation.owner->app_id == "263902037430900");
}

TEST_CASE("observation: pass and take name the new owner, a request does not move the timer") {
  auto pass =
      observationOf(only("{" + kUserToPage +
                         R"(,"pass_thread_control":{"new_owner_app_id":"777","metadata":"m"}})"),
                    kMe, fromEpochMillis(1));
  REQUIRE(pass);
  REQUIRE(pass->observation.owner);
  CHECK(pass->observation.owner->app_id == "777");
  CHECK(pass->observation.clear_requests);
  // Without a new owner (old API versions) only the new owner got it: us.
  auto to_us =
      observationOf(only("{" + kUserToPage + R"(,"pass_thread_control":{"metadata":"m"}})"), kMe,
                    fromEpochMillis(1));
  REQUIRE(to_us);
  CHECK(to_us->observation.owner->app_id == kMe);
  auto take = observationOf(
      only("{" + kUserToPage + R"(,"take_thread_control":{"previous_owner_app_id":"111"}})"), kMe,
      fromEpochMillis(1));
  REQUIRE(take);
  CHECK(take->observation.owner->ownership == Ownership::kApp);
  CHECK(take->observation.owner->app_id.empty());  // someone else, not named
  auto request = observationOf(
      only("{" + kUserToPage +
           R"(,"request_thread_control":{"requested_owner_app_id":"555","metadata":"pls"}})"),
      kMe, fromEpochMillis(1));
  REQUIRE(request);
  CHECK_FALSE(request->moves_timer);
  REQUIRE(request->request);
  CHECK(request->request->requested_owner_app_id == "555");
  REQUIRE(request->observation.request);
  CHECK(request->observation.request->metadata == "pls");
}

TEST_CASE("observation: reads say nothing about the thread") {
  CHECK_FALSE(observationOf(only("{" + kUserToPage + R"(,"read":{"watermark":1}})"), kMe,
                            fromEpochMillis(1)));
}

namespace {

std::vector<handover::webhook::Event> whatsapp(const std::string& fixture) {
  auto batch = handover::webhook::parse(
      handover::test::readFile(std::string(HANDOVER_FIXTURES_DIR) + "/webhooks/" + fixture));
  REQUIRE(batch);
  return batch->events;
}

}  // namespace

TEST_CASE("observation: WhatsApp handovers move the owner per (number, user)") {
  const auto events = whatsapp("whatsapp_handovers.json");
  auto passed = observationOf(events[0], kMe, fromEpochMillis(1));
  REQUIRE(passed);
  CHECK(passed->key.page_id == "106540352242922");
  CHECK(passed->key.user_id == "16315551181");
  CHECK(passed->observation.platform == handover::Platform::kWhatsApp);
  // control_passed reaches the new owner: this app.
  CHECK(passed->observation.owner->isApp(kMe));
  auto taken = observationOf(events[1], kMe, fromEpochMillis(1));
  REQUIRE(taken);
  // control_taken reaches the previous owner: another responder has it now.
  CHECK(taken->observation.owner->ownership == Ownership::kApp);
  CHECK(taken->observation.owner->app_id.empty());
  CHECK(taken->observation.owner->learned_at == fromEpochMillis(1764600060000));
}

TEST_CASE("observation: WhatsApp messages are activity, echoes prove no owner, statuses nothing") {
  const auto standby = whatsapp("whatsapp_standby.json");
  auto copy = observationOf(standby[0], kMe, fromEpochMillis(1));
  REQUIRE(copy);
  CHECK(copy->observation.user_message == fromEpochMillis(1764600400000));
  CHECK(copy->observation.standby_at);
  auto echo = observationOf(standby[1], kMe, fromEpochMillis(1));
  REQUIRE(echo);
  CHECK(echo->key.user_id == "16315551181");
  CHECK(echo->observation.other_message == fromEpochMillis(1764600401000));
  CHECK_FALSE(echo->observation.owner);
  CHECK_FALSE(observationOf(standby[3], kMe, fromEpochMillis(1)));
}
