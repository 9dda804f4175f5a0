// Every call against a loopback recording server: method, path, query, headers and the JSON
// body field by field, for a numeric page id and for `me`.

#include <rapidjson/document.h>

#include "client_test_support.hpp"
#include "recording_server.hpp"

using namespace handover;
using handover::test::kPsid;
using handover::test::kToken;

namespace {

rapidjson::Document parseBody(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  return doc;
}

std::string str(const rapidjson::Value& v, const char* name) {
  REQUIRE(v.HasMember(name));
  REQUIRE(v[name].IsString());
  return v[name].GetString();
}

void checkRecipient(const rapidjson::Document& doc) {
  REQUIRE(doc.HasMember("recipient"));
  REQUIRE(doc["recipient"].IsObject());
  CHECK(doc["recipient"].MemberCount() == 1);
  CHECK(str(doc["recipient"], "id") == kPsid);
}

/// Checks shared by every call: auth header, proof in the query, no token in the URL.
void checkCommon(const test::RecordedRequest& r, const std::string& method,
                 const std::string& path) {
  CHECK(r.method == method);
  CHECK(r.path == path);
  CHECK(r.header("Authorization") == "Bearer " + kToken);
  CHECK(r.param("appsecret_proof") == test::expectedProof());
  CHECK(r.params.count("appsecret_proof") == 1);
  CHECK_FALSE(r.hasParam("access_token"));
  CHECK(r.target.find(kToken) == std::string::npos);
  CHECK(r.header("Accept") == "application/json");
  if (method == "POST") {
    CHECK(r.header("Content-Type") == "application/json");
  } else {
    CHECK(r.body.empty());
  }
}

}  // namespace

TEST_CASE("thread-control POSTs have the documented shape") {
  test::RecordingServer server;
  const std::string page = GENERATE(std::string("me"), test::kPageId);
  Client client = test::guardedClient(test::testOptions(server.baseUrl(), page));
  const std::string base = "/v26.0/" + page + "/";

  SECTION("pass to an app with metadata") {
    REQUIRE(client.passThreadControl(kPsid, "123456789012345", "escalate:billing"));
    const auto r = server.last();
    checkCommon(r, "POST", base + "pass_thread_control");
    CHECK(r.raw_query == "appsecret_proof=" + test::expectedProof());
    const auto doc = parseBody(r.body);
    checkRecipient(doc);
    CHECK(str(doc, "target_app_id") == "123456789012345");
    CHECK(str(doc, "metadata") == "escalate:billing");
    CHECK(doc.MemberCount() == 3);
  }
  SECTION("pass to the Page Inbox") {
    REQUIRE(client.passThreadControlToPageInbox(kPsid));
    const auto r = server.last();
    checkCommon(r, "POST", base + "pass_thread_control");
    const auto doc = parseBody(r.body);
    checkRecipient(doc);
    CHECK(str(doc, "target_app_id") == "263902037430900");
    CHECK_FALSE(doc.HasMember("metadata"));
  }
  SECTION("pass to the Instagram Inbox") {
    REQUIRE(client.passThreadControlToInstagramInbox(kPsid, "ig"));
    const auto doc = parseBody(server.last().body);
    CHECK(str(doc, "target_app_id") == "1217981644879628");
    CHECK(str(doc, "metadata") == "ig");
  }
  SECTION("pass to the default app omits target_app_id") {
    REQUIRE(client.passThreadControl(kPsid, ""));
    const auto doc = parseBody(server.last().body);
    checkRecipient(doc);
    CHECK(doc.MemberCount() == 1);
  }
  SECTION("take") {
    REQUIRE(client.takeThreadControl(kPsid, "bot resumes"));
    const auto r = server.last();
    checkCommon(r, "POST", base + "take_thread_control");
    const auto doc = parseBody(r.body);
    checkRecipient(doc);
    CHECK(str(doc, "metadata") == "bot resumes");
    CHECK(doc.MemberCount() == 2);
  }
  SECTION("request") {
    auto delivered = client.requestThreadControl(kPsid, "need control");
    REQUIRE(delivered);
    const auto r = server.last();
    checkCommon(r, "POST", base + "request_thread_control");
    const auto doc = parseBody(r.body);
    checkRecipient(doc);
    CHECK(str(doc, "metadata") == "need control");
  }
  SECTION("release") {
    REQUIRE(client.releaseThreadControl(kPsid));
    const auto r = server.last();
    checkCommon(r, "POST", base + "release_thread_control");
    const auto doc = parseBody(r.body);
    checkRecipient(doc);
    CHECK(doc.MemberCount() == 1);
  }
  SECTION("extend") {
    REQUIRE(client.extendThreadControl(kPsid, std::chrono::hours(48)));
    const auto r = server.last();
    checkCommon(r, "POST", base + "extend_thread_control");
    const auto doc = parseBody(r.body);
    checkRecipient(doc);
    REQUIRE(doc["duration"].IsInt64());
    CHECK(doc["duration"].GetInt64() == 172800);
  }
  CHECK(server.requestCount() == 1);
}

TEST_CASE("GET calls put their parameters in the query string") {
  test::RecordingServer server;
  const std::string page = GENERATE(std::string("me"), test::kPageId);
  Client client = test::guardedClient(test::testOptions(server.baseUrl(), page));
  const std::string base = "/v26.0/" + page;

  SECTION("thread_owner") {
    server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"263902037430900"}}]})");
    REQUIRE(client.getThreadOwner(kPsid));
    const auto r = server.last();
    checkCommon(r, "GET", base + "/thread_owner");
    CHECK(r.param("recipient") == kPsid);
    CHECK(r.params.size() == 2);
  }
  SECTION("secondary_receivers with fields, platform and paging") {
    server.enqueueJson(200, R"({"data":[]})");
    GetSecondaryReceiversRequest req;
    req.platform = Platform::kInstagram;
    req.after = "QVFI+cursor/=";
    req.limit = 25;
    REQUIRE(client.getSecondaryReceivers(req));
    const auto r = server.last();
    checkCommon(r, "GET", base + "/secondary_receivers");
    CHECK(r.param("fields") == "id,name");
    CHECK(r.param("platform") == "INSTAGRAM");
    CHECK(r.param("after") == "QVFI+cursor/=");
    CHECK(r.param("limit") == "25");
    // Reserved characters are percent-encoded on the wire.
    CHECK(r.raw_query.find("after=QVFI%2Bcursor%2F%3D") != std::string::npos);
  }
  SECTION("messaging_feature_status") {
    server.enqueueJson(200, R"({"messaging_feature_status":{"hop_v2":true},"id":"1"})");
    REQUIRE(client.getMessagingFeatureStatus());
    const auto r = server.last();
    checkCommon(r, "GET", base);
    CHECK(r.param("fields") == "messaging_feature_status");
  }
  SECTION("list personas") {
    server.enqueueJson(200, R"({"data":[]})");
    ListPersonasRequest req;
    req.limit = 10;
    REQUIRE(client.listPersonas(req));
    const auto r = server.last();
    checkCommon(r, "GET", base + "/personas");
    CHECK(r.param("limit") == "10");
    CHECK_FALSE(r.hasParam("after"));
  }
}

TEST_CASE("Send API bodies carry messaging_type, persona and thread_control") {
  test::RecordingServer server;
  const std::string page = GENERATE(std::string("me"), test::kPageId);
  Client client = test::guardedClient(test::testOptions(server.baseUrl(), page));
  const std::string path = "/v26.0/" + page + "/messages";

  SECTION("text with persona and pass to the inbox") {
    server.enqueueJson(200, R"({"recipient_id":"6543210987654321","message_id":"m_1"})");
    SendTextRequest req;
    req.recipient = kPsid;
    req.text = "Connecting you to an agent \xE2\x9C\x93 \"quoted\"";
    req.persona_id = "998877";
    req.metadata = "handoff";
    req.thread_control = ThreadControl{ThreadControl::Type::kPass, "263902037430900"};
    auto sent = client.sendText(req);
    REQUIRE(sent);
    CHECK(sent->message_id == "m_1");
    CHECK(sent->recipient_id == kPsid);
    const auto r = server.last();
    checkCommon(r, "POST", path);
    const auto doc = parseBody(r.body);
    checkRecipient(doc);
    CHECK(str(doc, "messaging_type") == "RESPONSE");
    CHECK(str(doc["message"], "text") == req.text);
    CHECK(str(doc["message"], "metadata") == "handoff");
    CHECK(str(doc, "persona_id") == "998877");
    CHECK(str(doc["thread_control"], "control_type") == "pass");
    CHECK(str(doc["thread_control"], "app_id") == "263902037430900");
    CHECK_FALSE(doc.HasMember("tag"));
  }
  SECTION("message tag and release") {
    server.enqueueJson(200, R"({"recipient_id":"6543210987654321","message_id":"m_2"})");
    SendTextRequest req;
    req.recipient = kPsid;
    req.text = "update";
    req.messaging_type = MessagingType::kMessageTag;
    req.tag = "HUMAN_AGENT";
    req.thread_control = ThreadControl{ThreadControl::Type::kRelease, ""};
    REQUIRE(client.sendText(req));
    const auto doc = parseBody(server.last().body);
    CHECK(str(doc, "messaging_type") == "MESSAGE_TAG");
    CHECK(str(doc, "tag") == "HUMAN_AGENT");
    CHECK(str(doc["thread_control"], "control_type") == "release");
    CHECK_FALSE(doc["thread_control"].HasMember("app_id"));
    CHECK_FALSE(doc.HasMember("persona_id"));
  }
  SECTION("sender action") {
    server.enqueueJson(200, R"({"recipient_id":"6543210987654321"})");
    SendSenderActionRequest req;
    req.recipient = kPsid;
    req.action = SenderAction::kMarkSeen;
    REQUIRE(client.sendSenderAction(req));
    const auto r = server.last();
    checkCommon(r, "POST", path);
    const auto doc = parseBody(r.body);
    checkRecipient(doc);
    CHECK(str(doc, "sender_action") == "mark_seen");
    CHECK_FALSE(doc.HasMember("message"));
  }
}

TEST_CASE("persona calls use the page edge and the persona node") {
  test::RecordingServer server;
  const std::string page = GENERATE(std::string("me"), test::kPageId);
  Client client = test::guardedClient(test::testOptions(server.baseUrl(), page));

  server.enqueueJson(200, R"({"id":"31415926535"})");
  auto created = client.createPersona({"Agent Ada", "https://example.com/ada.png"});
  REQUIRE(created);
  CHECK(created->id == "31415926535");
  CHECK(created->name == "Agent Ada");
  auto r = server.last();
  checkCommon(r, "POST", "/v26.0/" + page + "/personas");
  auto doc = parseBody(r.body);
  CHECK(str(doc, "name") == "Agent Ada");
  CHECK(str(doc, "profile_picture_url") == "https://example.com/ada.png");
  CHECK(doc.MemberCount() == 2);

  server.enqueueJson(200, R"({"id":"31415926535","name":"Agent Ada","profile_picture_url":"u"})");
  REQUIRE(client.getPersona({"31415926535"}));
  r = server.last();
  checkCommon(r, "GET", "/v26.0/31415926535");
  CHECK(r.param("fields") == "id,name,profile_picture_url");

  REQUIRE(client.deletePersona({"31415926535"}));
  r = server.last();
  checkCommon(r, "DELETE", "/v26.0/31415926535");
}

TEST_CASE("without an app secret no appsecret_proof is sent - version and base URL apply") {
  test::RecordingServer server;
  auto options = test::testOptions(server.baseUrl() + "/", test::kPageId, /*with_secret=*/false);
  options.api_version = "v25.0";
  Client client = test::guardedClient(options);
  REQUIRE(client.releaseThreadControl(kPsid));
  const auto r = server.last();
  CHECK(r.target == "/v25.0/" + test::kPageId + "/release_thread_control");
  CHECK(r.raw_query.empty());
  CHECK(r.header("Authorization") == "Bearer " + kToken);
}

TEST_CASE("recipients and page ids with reserved characters are encoded, not injected") {
  test::RecordingServer server;
  server.enqueueJson(200, R"({"data":[]})");
  Client client = test::guardedClient(test::testOptions(server.baseUrl(), "me"));
  REQUIRE(client.getThreadOwner("12&access_token=x#y"));
  const auto r = server.last();
  CHECK(r.param("recipient") == "12&access_token=x#y");
  CHECK_FALSE(r.hasParam("access_token"));
}
