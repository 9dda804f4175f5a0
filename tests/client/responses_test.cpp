// Typed answers: every documented response shape, ids as numbers or strings, and bodies of the
// wrong shape turned into kParse errors.

#include "client_test_support.hpp"
#include "recording_server.hpp"

using namespace handover;
using handover::test::kPsid;

namespace {

struct RecordingServerFixture {
  test::RecordingServer server;
  Client client = test::guardedClient(test::testOptions(server.baseUrl(), test::kPageId));
};

}  // namespace

TEST_CASE("thread_owner: every documented shape") {
  RecordingServerFixture f;
  SECTION("owner visible, id as string, with expiration") {
    f.server.enqueueJson(
        200, R"({"data":[{"thread_owner":{"app_id":"263902037430900","expiration":1767225600}}]})");
    auto owner = f.client.getThreadOwner(kPsid);
    REQUIRE(owner);
    CHECK(owner->app_id == std::optional<std::string>("263902037430900"));
    CHECK(owner->expiration ==
          std::optional<handover::EpochSeconds>(std::chrono::seconds{1767225600}));
    CHECK(owner->isOwnedBy("263902037430900"));
    CHECK_FALSE(owner->empty());
  }
  SECTION("owner id as a number above 2^53 keeps every digit") {
    f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":9007199254740993}}]})");
    auto owner = f.client.getThreadOwner(kPsid);
    REQUIRE(owner);
    CHECK(owner->app_id == std::optional<std::string>("9007199254740993"));
    CHECK_FALSE(owner->expiration);
  }
  SECTION("expiration only: the owner is hidden") {
    f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"expiration":1767225600}}]})");
    auto owner = f.client.getThreadOwner(kPsid);
    REQUIRE(owner);
    CHECK_FALSE(owner->app_id);
    CHECK(owner->expiration ==
          std::optional<handover::EpochSeconds>(std::chrono::seconds{1767225600}));
  }
  SECTION("empty data, and an empty object, mean nothing disclosed") {
    f.server.enqueueJson(200, R"({"data":[]})");
    f.server.enqueueJson(200, R"({})");
    auto a = f.client.getThreadOwner(kPsid);
    auto b = f.client.getThreadOwner(kPsid);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->empty());
    CHECK(b->empty());
  }
  SECTION("the 2018 top-level shape") {
    f.server.enqueueJson(200, R"({"thread_owner":{"app_id":"1919718111377911"}})");
    auto owner = f.client.getThreadOwner(kPsid);
    REQUIRE(owner);
    CHECK(owner->isOwnedBy("1919718111377911"));
  }
  SECTION("wrong types are parse errors") {
    f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":1.5}}]})");
    f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"1","expiration":"soon"}}]})");
    f.server.enqueueJson(200, R"({"data":"nope"})");
    f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":-3}}]})");
    for (int i = 0; i < 4; ++i) {
      auto owner = f.client.getThreadOwner(kPsid);
      REQUIRE_FALSE(owner);
      CHECK(owner.error().category == ErrorCategory::kParse);
    }
  }
}

TEST_CASE("threadOwnership compares with the configured app id") {
  test::RecordingServer server;
  auto options = test::testOptions(server.baseUrl());
  options.app_id = "777000111222333";
  Client client = test::guardedClient(options);
  server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":777000111222333}}]})");
  server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"263902037430900"}}]})");
  server.enqueueJson(200, R"({"data":[]})");
  CHECK(client.threadOwnership(kPsid).value() == ThreadOwnership::kThisApp);
  CHECK(client.threadOwnership(kPsid).value() == ThreadOwnership::kAnotherApp);
  CHECK(client.threadOwnership(kPsid).value() == ThreadOwnership::kUndisclosed);

  options.app_id.clear();
  Client anonymous = test::guardedClient(options);
  auto r = anonymous.threadOwnership(kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kInvalidArgument);
}

TEST_CASE("take_thread_control: success flag or the new owner") {
  RecordingServerFixture f;
  f.server.enqueueJson(200, R"({"success":true})");
  auto plain = f.client.takeThreadControl(kPsid);
  REQUIRE(plain);
  CHECK_FALSE(plain->new_owner_app_id);

  f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"42","expiration":99}}]})");
  auto owner = f.client.takeThreadControl(kPsid);
  REQUIRE(owner);
  CHECK(owner->new_owner_app_id == std::optional<std::string>("42"));
  CHECK(owner->expiration == std::optional<handover::EpochSeconds>(std::chrono::seconds{99}));

  f.server.enqueueJson(200, R"({"success":false})");
  auto refused = f.client.takeThreadControl(kPsid);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().category == ErrorCategory::kApi);
}

TEST_CASE("success bodies are checked, not assumed") {
  RecordingServerFixture f;
  f.server.enqueueJson(200, R"({"success":"yes"})");
  f.server.enqueueJson(200, R"({"result":"ok"})");
  f.server.enqueueJson(200, R"([true])");
  for (int i = 0; i < 3; ++i) {
    auto r = f.client.passThreadControlToPageInbox(kPsid);
    REQUIRE_FALSE(r);
    CHECK(r.error().category == ErrorCategory::kParse);
  }
}

TEST_CASE("request_thread_control success is typed as 'delivered'") {
  RecordingServerFixture f;
  Result<RequestDelivered> r = f.client.requestThreadControl(kPsid);
  REQUIRE(r);
  static_assert(std::is_same_v<decltype(r)::value_type, RequestDelivered>);
}

TEST_CASE("secondary_receivers and personas follow paging cursors") {
  RecordingServerFixture f;
  f.server.enqueueJson(200, R"({"data":[{"id":263902037430900,"name":"Page Inbox"},
    {"id":"1217981644879628","name":"IG Inbox"}],
    "paging":{"cursors":{"before":"B","after":"AFTER1"},"next":"https://graph/next"}})");
  auto page1 = f.client.getSecondaryReceivers();
  REQUIRE(page1);
  REQUIRE(page1->apps.size() == 2);
  CHECK(page1->apps[0].id == "263902037430900");
  CHECK(page1->apps[0].name == "Page Inbox");
  CHECK(page1->apps[1].id == "1217981644879628");
  CHECK(page1->next_cursor == "AFTER1");

  f.server.enqueueJson(200, R"({"data":[{"id":"9","name":"p","profile_picture_url":"u"}],
    "paging":{"cursors":{"before":"B","after":"LAST"}}})");
  ListPersonasRequest req;
  req.after = "AFTER1";
  auto personas = f.client.listPersonas(req);
  REQUIRE(personas);
  REQUIRE(personas->personas.size() == 1);
  CHECK(personas->personas[0].id == "9");
  CHECK(personas->personas[0].profile_picture_url == "u");
  // No `next`: this was the last page even though a cursor is present.
  CHECK(personas->next_cursor.empty());
  CHECK(f.server.last().param("after") == "AFTER1");
}

TEST_CASE("messaging_feature_status is read field by field") {
  RecordingServerFixture f;
  f.server.enqueueJson(200, R"({"messaging_feature_status":{"hop_v2":true,"msgr_multi_app":true,
    "ig_multi_app":false},"id":112233445566778})");
  auto status = f.client.getMessagingFeatureStatus();
  REQUIRE(status);
  CHECK(status->page_id == "112233445566778");
  CHECK(status->hop_v2);
  CHECK(status->msgr_multi_app);
  CHECK_FALSE(status->ig_multi_app);

  f.server.enqueueJson(200, R"({"messaging_feature_status":{"hop_v2":"true"},"id":"1"})");
  auto bad = f.client.getMessagingFeatureStatus();
  REQUIRE_FALSE(bad);
  CHECK(bad.error().category == ErrorCategory::kParse);
}

TEST_CASE("a 200 wrapping a Graph error is an API error") {
  RecordingServerFixture f;
  f.server.enqueueJson(200, R"({"error":{"message":"(#2) Service temporarily unavailable",
    "type":"OAuthException","code":2,"fbtrace_id":"T1"}})");
  auto r = f.client.releaseThreadControl(kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kApi);
  CHECK(r.error().code == 2);
}
