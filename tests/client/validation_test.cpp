// Bad input is refused with kInvalidArgument before anything is sent.

#include "client_test_support.hpp"
#include "handover/testing/fake_transport.hpp"

using namespace handover;
using namespace std::chrono_literals;
using testing::FakeTransport;

namespace {

struct FakeTransportFixture {
  std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
  ClientOptions options;
  FakeTransportFixture() {
    options.access_token = test::kToken;
    options.transport = fake;
    fake->setFallback(
        [](const HttpRequest&) -> Result<HttpResponse> { return FakeTransport::json(200, "{}"); });
  }
  Client client() { return test::guardedClient(options); }
};

template <typename T>
void expectInvalid(const Result<T>& r, const std::string& fragment) {
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kInvalidArgument);
  CHECK(r.error().message.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("an empty recipient is refused by every call that takes one") {
  FakeTransportFixture f;
  Client c = f.client();
  expectInvalid(c.passThreadControl("", "1"), "recipient");
  expectInvalid(c.passThreadControlToPageInbox(""), "recipient");
  expectInvalid(c.takeThreadControl(""), "recipient");
  expectInvalid(c.requestThreadControl(""), "recipient");
  expectInvalid(c.releaseThreadControl(""), "recipient");
  expectInvalid(c.extendThreadControl("", 60s), "recipient");
  expectInvalid(c.getThreadOwner(""), "recipient");
  expectInvalid(c.sendText("", "hi"), "recipient");
  expectInvalid(c.sendSenderAction({}), "recipient");
  CHECK(f.fake->requestCount() == 0);
}

TEST_CASE("extend duration must be 1 s to 7 days") {
  FakeTransportFixture f;
  Client c = f.client();
  expectInvalid(c.extendThreadControl(test::kPsid, 0s), "duration");
  expectInvalid(c.extendThreadControl(test::kPsid, -5s), "duration");
  expectInvalid(c.extendThreadControl(test::kPsid, std::chrono::seconds(604801)), "duration");
  CHECK(f.fake->requestCount() == 0);
  f.fake->enqueueJson(200, R"({"success":true})");
  f.fake->enqueueJson(200, R"({"success":true})");
  CHECK(c.extendThreadControl(test::kPsid, std::chrono::seconds(604800)));
  CHECK(c.extendThreadControl(test::kPsid, 1s));
  CHECK(f.fake->requestCount() == 2);
}

TEST_CASE("Send API and persona input is checked") {
  FakeTransportFixture f;
  Client c = f.client();
  expectInvalid(c.sendText(test::kPsid, ""), "text");
  SendTextRequest tagless;
  tagless.recipient = test::kPsid;
  tagless.text = "x";
  tagless.messaging_type = MessagingType::kMessageTag;
  expectInvalid(c.sendText(tagless), "tag");
  SendTextRequest stray_tag = tagless;
  stray_tag.messaging_type = MessagingType::kUpdate;
  stray_tag.tag = "HUMAN_AGENT";
  expectInvalid(c.sendText(stray_tag), "tag");
  SendTextRequest release_with_app;
  release_with_app.recipient = test::kPsid;
  release_with_app.text = "x";
  release_with_app.thread_control = ThreadControl{ThreadControl::Type::kRelease, "123"};
  expectInvalid(c.sendText(release_with_app), "release");
  expectInvalid(c.createPersona({"", "https://x/p.png"}), "name");
  expectInvalid(c.createPersona({"Ada", ""}), "profile_picture_url");
  expectInvalid(c.getPersona({""}), "persona_id");
  expectInvalid(c.deletePersona({""}), "persona_id");
  ListPersonasRequest negative;
  negative.limit = -1;
  expectInvalid(c.listPersonas(negative), "limit");
  GetSecondaryReceiversRequest bad_fields;
  bad_fields.fields = {"id,name"};
  expectInvalid(c.getSecondaryReceivers(bad_fields), "field");
  CHECK(f.fake->requestCount() == 0);
}

TEST_CASE("missing client options are reported, not sent") {
  FakeTransportFixture f;
  f.options.access_token.clear();
  expectInvalid(f.client().releaseThreadControl(test::kPsid), "access_token");
  f.options.access_token = test::kToken;
  f.options.page_id.clear();
  expectInvalid(f.client().releaseThreadControl(test::kPsid), "page_id");
  CHECK(f.fake->requestCount() == 0);
}

TEST_CASE("the default API version is current and ids stay strings") {
  ClientOptions defaults;
  CHECK(defaults.api_version >= std::string("v25.0"));
  CHECK(defaults.page_id == "me");
  FakeTransportFixture f;
  f.fake->enqueueJson(200, R"({"success":true})");
  REQUIRE(f.client().passThreadControl("98765432109876543210", "18446744073709551615"));
  const auto req = f.fake->lastRequest();
  CHECK(req.url.rfind("https://graph.facebook.com/" + defaults.api_version + "/me/", 0) == 0);
  CHECK(req.body.find(R"("id":"98765432109876543210")") != std::string::npos);
  CHECK(req.body.find(R"("target_app_id":"18446744073709551615")") != std::string::npos);
}
