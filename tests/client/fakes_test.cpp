// The public test doubles behave as documented.

#include "client_test_support.hpp"
#include "handover/client/async_client.hpp"
#include "handover/testing/fake_async_connection.hpp"
#include "handover/testing/fake_connection.hpp"
#include "handover/testing/fake_transport.hpp"

using namespace handover;
using testing::FakeConnection;
using testing::FakeTransport;

TEST_CASE("FakeTransport records requests and replays its script in order") {
  auto fake = std::make_shared<FakeTransport>();
  ClientOptions options;
  options.access_token = test::kToken;
  options.app_secret = test::kSecret;
  options.page_id = test::kPageId;
  options.transport = fake;
  Client client(options);

  fake->enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"263902037430900"}}]})");
  fake->enqueueJson(200, R"({"success":true})");
  auto owner = client.getThreadOwner(test::kPsid);
  REQUIRE(owner);
  CHECK(owner->isOwnedBy("263902037430900"));
  REQUIRE(client.releaseThreadControl(test::kPsid));
  CHECK(fake->pending() == 0);

  const auto requests = fake->requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == HttpMethod::kGet);
  CHECK(requests[0].url == "https://graph.facebook.com/v26.0/" + test::kPageId +
                               "/thread_owner?recipient=" + test::kPsid +
                               "&appsecret_proof=" + test::expectedProof());
  CHECK(*findHeader(requests[0].headers, "authorization") == "Bearer " + test::kToken);
  CHECK(requests[1].method == HttpMethod::kPost);
  CHECK(requests[1].body == R"({"recipient":{"id":")" + test::kPsid + R"("}})");

  // An exhausted script is a clear error, not a hang or a crash.
  auto none = client.releaseThreadControl(test::kPsid);
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("no scripted response") != std::string::npos);
  CHECK(none.error().message.find(test::expectedProof()) == std::string::npos);
}

TEST_CASE("FakeConnection runs one callable per call and records call names") {
  auto fake = std::make_shared<FakeConnection>();
  fake->fake_options.app_id = "42";
  std::string seen_target;
  fake->on_pass_thread_control = [&](const PassThreadControlRequest& r) -> Result<void> {
    seen_target = r.target_app_id;
    return {};
  };
  fake->on_get_thread_owner = [](const GetThreadOwnerRequest&) {
    return Result<ThreadOwner>(
        ThreadOwner{std::string("42"), EpochSeconds{std::chrono::seconds{1767225600}}});
  };
  fake->on_take_thread_control = [](const TakeThreadControlRequest&) {
    Error e;
    e.category = ErrorCategory::kApi;
    e.code = 27;
    return Result<TakeThreadControlResponse>(e);
  };
  Client client(fake);
  REQUIRE(client.passThreadControlToInstagramInbox("igsid"));
  CHECK(seen_target == "1217981644879628");
  CHECK(client.threadOwnership("igsid").value() == ThreadOwnership::kThisApp);
  auto take = client.takeThreadControl("igsid");
  REQUIRE_FALSE(take);
  CHECK(take.error().isTakeNotSupportedWithoutDefaultApp());
  auto unset = client.releaseThreadControl("igsid");
  REQUIRE_FALSE(unset);
  CHECK(unset.error().message.find("releaseThreadControl") != std::string::npos);
  CHECK(fake->calls() == std::vector<std::string>{"passThreadControl", "getThreadOwner",
                                                  "takeThreadControl", "releaseThreadControl"});
  CHECK(fake->callCount("getThreadOwner") == 1);
}

TEST_CASE("FakeAsyncConnection settles future and callback alike, and records calls") {
  auto fake = std::make_shared<testing::FakeAsyncConnection>();
  fake->on_get_thread_owner = [](const GetThreadOwnerRequest& r) {
    CHECK(r.recipient == test::kPsid);
    return Result<ThreadOwner>(ThreadOwner{"42", {}});
  };
  AsyncClient client(fake);
  AsyncClient copy = client;  // a value: copies share the connection
  int callbacks = 0;
  auto owner = copy.getThreadOwner({test::kPsid}, [&](const Result<ThreadOwner>& r) {
    CHECK(r->isOwnedBy("42"));
    ++callbacks;
  });
  REQUIRE(owner.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
  CHECK(owner.get()->isOwnedBy("42"));
  CHECK(callbacks == 1);
  // An unset handler names the call; every call of the table exists on the async client.
  auto persona = client.deletePersona({"9001"}).get();
  REQUIRE(!persona);
  CHECK(persona.error().message.find("deletePersona") != std::string::npos);
  CHECK(fake->calls() == std::vector<std::string>{"getThreadOwner", "deletePersona"});
  client.shutdown();
  auto after = client.getThreadOwner({test::kPsid}).get();
  REQUIRE(!after);
  CHECK(after.error().request_not_sent);
  CHECK(fake->callCount("getThreadOwner") == 2);
}

TEST_CASE("Result::value() throws handover::Exception carrying the error") {
  auto fake = std::make_shared<FakeConnection>();
  Client client(fake);
  try {
    client.getThreadOwner("x").value();
    FAIL("value() did not throw");
  } catch (const Exception& e) {
    CHECK(e.error().category == ErrorCategory::kTransport);
    CHECK(std::string(e.what()).find("getThreadOwner") != std::string::npos);
  }
}
