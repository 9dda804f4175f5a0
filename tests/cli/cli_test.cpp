// The `handover` CLI as users run it: the built binary in a subprocess, credentials in its
// environment, against the emulator started in this process on a loopback port.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>

#include <dirent.h>
#include <atomic>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

#include "catch.hpp"
#include "core/crypto.hpp"
#include "handover/client/options.hpp"
#include "handover/emulator/emulator.hpp"
#include "process.hpp"
#include "recording_server.hpp"

using namespace handover;
using namespace handover::emulator;
using handover::cli::test::Process;
using handover::cli::test::Run;
using handover::cli::test::runCli;
using handover::detail::appSecretProof;

namespace {

const std::string kLegacy = "100100100";
const std::string kRouting = "200200200";
const std::string kZero = "300300300";
const std::string kInsta = "400400400";
const std::string kBot = "1111111111";
const std::string kAgent = "2222222222";
const std::string kUser = "6543210987654321";
const std::string kAgentSecret = "agent-secret-value";

struct World {
  std::unique_ptr<Emulator> emu;
  std::string url;

  World() {
    Config c;
    c.pages.push_back({kLegacy, "Legacy", Platform::kMessenger, Era::kLegacy, ""});
    c.pages.push_back({kRouting, "Routing", Platform::kMessenger, Era::kRouting, kBot});
    c.pages.push_back({kZero, "Zero-config", Platform::kMessenger, Era::kRouting, ""});
    c.pages.push_back({kInsta, "Insta", Platform::kInstagram, Era::kRouting, kBot});
    AppConfig bot;
    bot.id = kBot;
    bot.name = "Bot";
    bot.role = Role::kPrimary;
    bot.page_tokens = {{kLegacy, "bot-legacy-token"},
                       {kRouting, "bot-routing-token"},
                       {kZero, "bot-zero-token"},
                       {kInsta, "bot-insta-token"}};
    bot.app_secret = "bot-secret";
    AppConfig agent;
    agent.id = kAgent;
    agent.name = "Agent Desk";
    agent.role = Role::kSecondary;
    agent.page_tokens = {{kLegacy, "agent-legacy-token"}, {kRouting, "agent-routing-token"}};
    agent.app_secret = kAgentSecret;
    agent.require_appsecret_proof = true;
    agent.pages = {kLegacy, kRouting};
    c.apps = {bot, agent};
    emu = std::make_unique<Emulator>(c);
    emu->start("127.0.0.1", 0).value();
    url = emu->baseUrl();
  }

  std::string owner(const std::string& page, const std::string& user = kUser) const {
    return emu->threadState(page, user).value().owner_app_id;
  }

  // `handover ARGS --base-url URL` with the given Page token (and app secret).
  Run run(std::vector<std::string> args, const std::string& token,
          const std::string& secret = "") const {
    args.push_back("--base-url");
    args.push_back(url);
    std::map<std::string, std::string> env{{"HANDOVER_ACCESS_TOKEN", token}};
    if (!secret.empty()) env["HANDOVER_APP_SECRET"] = secret;
    return runCli(args, env);
  }
};

rapidjson::Document json(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string str(const rapidjson::Value& v, const char* key) {
  REQUIRE(v.HasMember(key));
  REQUIRE(v[key].IsString());
  return v[key].GetString();
}

void requireUsage(const Run& r) {
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("usage: handover") != std::string::npos);
}

std::string fixture(const std::string& name) {
  return std::string(HANDOVER_FIXTURES_DIR) + "/webhooks/" + name;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("cli: pass prints one JSON object and moves the thread") {
  World w;
  REQUIRE(w.owner(kLegacy) == kBot);
  Run r = w.run({"pass", kUser, kAgent, "--metadata", "escalate:billing"}, "bot-legacy-token");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  REQUIRE(lines(r.out).size() == 1);
  auto d = json(r.out);
  CHECK(d["success"].GetBool());
  CHECK(str(d, "action") == "pass");
  CHECK(str(d, "recipient") == kUser);
  CHECK(str(d, "target_app_id") == kAgent);
  CHECK(w.owner(kLegacy) == kAgent);
  // The metadata went on the wire.
  CHECK(w.emu->timelineJson().find("\"metadata\":\"escalate:billing\"") != std::string::npos);

  // Passing again as the bot: it is no longer the owner.
  Run again = w.run({"pass", kUser, kAgent}, "bot-legacy-token");
  CHECK(again.exit_code == 1);
  CHECK(again.out.empty());
  CHECK(again.err.find("code 100") != std::string::npos);
  CHECK(again.err.find("subcode 2534037") != std::string::npos);
}

TEST_CASE("cli: pass-to-inbox targets the Page Inbox or with --instagram the Instagram Inbox") {
  World w;
  Run r = w.run({"pass-to-inbox", kUser, "--metadata", "human please"}, "bot-legacy-token");
  REQUIRE(r.exit_code == 0);
  CHECK(str(json(r.out), "target_app_id") == std::string(kPageInboxAppId));
  CHECK(w.owner(kLegacy) == std::string(kPageInboxAppId));

  Run ig = w.run({"pass-to-inbox", kUser, "--instagram"}, "bot-insta-token");
  REQUIRE(ig.exit_code == 0);
  CHECK(str(json(ig.out), "target_app_id") == std::string(kInstagramInboxAppId));
  CHECK(w.owner(kInsta) == std::string(kInstagramInboxAppId));

  // The Instagram Inbox is not an app of a Messenger Page.
  Run wrong = w.run({"pass-to-inbox", "777", "--instagram"}, "bot-routing-token");
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.err.find("subcode 2018164") != std::string::npos);
}

TEST_CASE("cli: take and the Conversation Routing error 27 without a default app") {
  World w;
  REQUIRE(w.run({"pass", kUser, kAgent}, "bot-routing-token").exit_code == 0);
  REQUIRE(w.owner(kRouting) == kAgent);
  Run r = w.run({"take", kUser, "--metadata", "bot resumes"}, "bot-routing-token");
  REQUIRE(r.exit_code == 0);
  auto d = json(r.out);
  CHECK(d["success"].GetBool());
  CHECK(str(d, "action") == "take");
  CHECK(w.owner(kRouting) == kBot);

  Run zero = w.run({"take", kUser}, "bot-zero-token");
  CHECK(zero.exit_code == 1);
  CHECK(zero.out.empty());
  CHECK(zero.err.find("code 27 subcode 0") != std::string::npos);
}

TEST_CASE("cli: request says delivered and the owner keeps the thread") {
  World w;
  Run r = w.run({"request", kUser, "--metadata", "need it"}, "agent-legacy-token", kAgentSecret);
  REQUIRE(r.exit_code == 0);
  auto d = json(r.out);
  CHECK(d["delivered"].GetBool());
  CHECK(w.owner(kLegacy) == kBot);

  // The agent app requires appsecret_proof: without the secret the call is refused.
  Run no_proof = w.run({"request", kUser}, "agent-legacy-token");
  CHECK(no_proof.exit_code == 1);
  CHECK(no_proof.err.find("code 100") != std::string::npos);

  // Zero-config idle thread: request gives control at once.
  Run idle = w.run({"request", "42"}, "bot-zero-token");
  REQUIRE(idle.exit_code == 0);
  CHECK(w.owner(kZero, "42") == kBot);
}

TEST_CASE("cli: extend and release by the owner and refusals for others and bad durations") {
  World w;
  REQUIRE(w.run({"pass", kUser, kAgent}, "bot-routing-token").exit_code == 0);
  const auto before = w.emu->threadState(kRouting, kUser).value().expiration.value();

  Run ext = w.run({"extend", kUser, "172800"}, "agent-routing-token", kAgentSecret);
  REQUIRE(ext.exit_code == 0);
  CHECK(json(ext.out)["duration"].GetInt64() == 172800);
  CHECK(w.emu->threadState(kRouting, kUser).value().expiration.value() >
        before + std::chrono::seconds(86000));

  Run not_owner = w.run({"extend", kUser, "60"}, "bot-routing-token");
  CHECK(not_owner.exit_code == 1);
  CHECK(not_owner.err.find("subcode 2534037") != std::string::npos);

  requireUsage(w.run({"extend", kUser, "0"}, "agent-routing-token", kAgentSecret));
  requireUsage(w.run({"extend", kUser, "604801"}, "agent-routing-token", kAgentSecret));
  requireUsage(w.run({"extend", kUser, "12abc"}, "agent-routing-token", kAgentSecret));

  Run rel = w.run({"release", kUser}, "agent-routing-token", kAgentSecret);
  REQUIRE(rel.exit_code == 0);
  CHECK(str(json(rel.out), "action") == "release");
  CHECK(w.owner(kRouting).empty());

  Run again = w.run({"release", kUser}, "agent-routing-token", kAgentSecret);
  CHECK(again.exit_code == 1);
}

TEST_CASE("cli: owner discloses or hides the owner or reports idle") {
  World w;
  Run idle = w.run({"owner", kUser}, "bot-routing-token");
  REQUIRE(idle.exit_code == 0);
  auto d = json(idle.out);
  CHECK(d["app_id"].IsNull());
  CHECK(d["expiration"].IsNull());
  CHECK_FALSE(d["disclosed"].GetBool());

  REQUIRE(w.run({"pass", kUser, kAgent}, "bot-routing-token").exit_code == 0);
  Run bot_view = w.run({"owner", kUser}, "bot-routing-token");
  REQUIRE(bot_view.exit_code == 0);
  auto b = json(bot_view.out);
  CHECK(str(b, "app_id") == kAgent);  // the default app sees the owner
  CHECK(b["expiration"].IsInt64());
  CHECK(b["disclosed"].GetBool());

  Run legacy = w.run({"owner", kUser}, "bot-legacy-token");
  REQUIRE(legacy.exit_code == 0);
  CHECK(str(json(legacy.out), "app_id") == kBot);
}

TEST_CASE("cli: receivers lists the secondary receivers for the primary only") {
  World w;
  Run r = w.run({"receivers"}, "bot-legacy-token");
  REQUIRE(r.exit_code == 0);
  auto d = json(r.out);
  REQUIRE(d["data"].IsArray());
  std::set<std::string> ids;
  for (const auto& a : d["data"].GetArray()) ids.insert(a["id"].GetString());
  CHECK(ids.count(kAgent) == 1);
  CHECK(ids.count(std::string(kPageInboxAppId)) == 1);
  CHECK(ids.count(kBot) == 0);

  CHECK(w.run({"receivers", "--platform", "messenger"}, "bot-legacy-token").exit_code == 0);
  CHECK(w.run({"receivers", "--platform=instagram"}, "bot-legacy-token").exit_code == 0);
  requireUsage(w.run({"receivers", "--platform", "whatsapp"}, "bot-legacy-token"));

  Run secondary = w.run({"receivers"}, "agent-legacy-token", kAgentSecret);
  CHECK(secondary.exit_code == 1);
  CHECK(secondary.err.find("code 10") != std::string::npos);
}

TEST_CASE("cli: feature-status tells the eras apart") {
  World w;
  Run legacy = w.run({"feature-status"}, "bot-legacy-token");
  REQUIRE(legacy.exit_code == 0);
  auto l = json(legacy.out);
  CHECK(str(l, "page_id") == kLegacy);
  CHECK_FALSE(l["msgr_multi_app"].GetBool());
  Run routing = w.run({"feature-status"}, "bot-routing-token");
  REQUIRE(routing.exit_code == 0);
  auto r = json(routing.out);
  CHECK(str(r, "page_id") == kRouting);
  CHECK(r["msgr_multi_app"].GetBool());
}

TEST_CASE("cli: --page and --api-version reach the request path") {
  World w;
  Run r = w.run({"owner", kUser, "--page", kLegacy, "--api-version", "v23.0"}, "bot-legacy-token");
  REQUIRE(r.exit_code == 0);
  const std::string timeline = w.emu->timelineJson();
  CHECK(timeline.find("/v23.0/" + kLegacy + "/thread_owner") != std::string::npos);

  // A page-scoped token cannot address another page: a Graph error, not a usage error.
  Run other = w.run({"owner", kUser, "--page", kRouting}, "bot-legacy-token");
  CHECK(other.exit_code == 1);
  CHECK(other.err.find("code 100 subcode 33") != std::string::npos);

  requireUsage(w.run({"owner", kUser, "--api-version", "26"}, "bot-legacy-token"));
  requireUsage(runCli({"owner", kUser, "--base-url", "ftp://x"},
                      {{"HANDOVER_ACCESS_TOKEN", "bot-legacy-token"}}));
}

TEST_CASE("cli: bad arguments exit 2 with a usage line") {
  World w;
  requireUsage(runCli({"owner", kUser, "--base-url", w.url}));  // no HANDOVER_ACCESS_TOKEN
  requireUsage(w.run({"owner"}, "bot-legacy-token"));
  requireUsage(w.run({"owner", kUser, "extra"}, "bot-legacy-token"));
  requireUsage(w.run({"pass", kUser}, "bot-legacy-token"));
  requireUsage(w.run({"owner", kUser, "--frobnicate"}, "bot-legacy-token"));
  requireUsage(w.run({"pass", kUser, kAgent, "--metadata"}, "bot-legacy-token"));
  requireUsage(w.run({"release", kUser, "--instagram"}, "bot-legacy-token"));
  requireUsage(runCli({"verify", fixture("messenger_text.json")},
                      {{"HANDOVER_APP_SECRET", "x"}}));  // no --signature
  // A credential as an argument is refused with where it belongs instead.
  Run token_arg = w.run({"owner", kUser, "--access-token", "bot-legacy-token"}, "bot-legacy-token");
  CHECK(token_arg.exit_code == 2);
  CHECK(token_arg.err.find("HANDOVER_ACCESS_TOKEN") != std::string::npos);
  CHECK(token_arg.err.find("shell history") != std::string::npos);
  Run unknown = runCli({"frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown command") != std::string::npos);
  CHECK(runCli({}).exit_code == 2);
  // Nothing happened to the thread.
  CHECK(w.owner(kLegacy) == kBot);
}

TEST_CASE("cli: a token of another Page gets a hint when --page names a Page") {
  World w;
  // The bot's routing token, used on the agent-only legacy page id: Graph's 100/33.
  Run other = w.run({"owner", kUser, "--page", kLegacy}, "bot-routing-token");
  CHECK(other.exit_code == 1);
  CHECK(other.err.find("code 100 subcode 33") != std::string::npos);
  CHECK(other.err.find("hint: a Page access token reaches only its own Page") != std::string::npos);
  CHECK(other.err.find("bot-routing-token") == std::string::npos);
  // Without --page (me) there is no Page to mix up: no hint.
  Run mine = w.run({"owner", kUser}, "bot-routing-token");
  CHECK(mine.err.find("hint:") == std::string::npos);
}

TEST_CASE("cli: a transport failure exits 3") {
  // A bound socket that never listens: connections to it are refused.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  Run r = runCli({"owner", kUser, "--base-url", url}, {{"HANDOVER_ACCESS_TOKEN", "tok-123"}});
  close(fd);
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  CHECK(r.err.find("transport") != std::string::npos);
}

TEST_CASE("cli: a 3xx answer is a redirect error: exit 3, not followed, not retried") {
  handover::test::RecordingServer server;
  server.setHandler([](const handover::test::RecordedRequest&) {
    return handover::test::jsonResponse(
        302, "", {{"Location", "https://user:pw@elsewhere.example/v1?token=tok-123&x=1"}});
  });
  Run r = runCli({"owner", kUser, "--base-url", server.baseUrl()},
                 {{"HANDOVER_ACCESS_TOKEN", "tok-123"}});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("redirect") != std::string::npos);
  CHECK(r.err.find("HTTP 302") != std::string::npos);
  CHECK(r.err.find("https://elsewhere.example") != std::string::npos);
  CHECK(r.err.find("tok-123") == std::string::npos);
  CHECK(r.err.find("pw@") == std::string::npos);
  CHECK(server.requestCount() == 1);
}

TEST_CASE("cli: a GET makes RetryOptions' default number of attempts (4)") {
  handover::test::RecordingServer server;
  server.setHandler([](const handover::test::RecordedRequest&) {
    return handover::test::jsonResponse(503, R"({"error":{"message":"busy","code":2}})");
  });
  Run r = runCli({"owner", kUser, "--base-url", server.baseUrl()},
                 {{"HANDOVER_ACCESS_TOKEN", "tok-123"}});
  CHECK(r.exit_code == 1);
  CHECK(server.requestCount() == static_cast<std::size_t>(handover::RetryOptions{}.max_attempts));
}

TEST_CASE("cli: tokens and secrets never appear in any output") {
  World w;
  std::vector<Run> runs = {
      w.run({"owner", kUser}, "agent-legacy-token", kAgentSecret),
      w.run({"pass", kUser, "999"}, "agent-legacy-token", kAgentSecret),  // Graph error
      w.run({"receivers"}, "agent-legacy-token", kAgentSecret),           // Graph error
      runCli({"owner", kUser, "--base-url", "http://127.0.0.1:1"},
             {{"HANDOVER_ACCESS_TOKEN", "agent-legacy-token"},
              {"HANDOVER_APP_SECRET", kAgentSecret}}),  // transport
  };
  const std::string proof = appSecretProof("agent-legacy-token", kAgentSecret);
  for (const Run& r : runs) {
    for (const std::string& secret : {std::string("agent-legacy-token"), kAgentSecret, proof}) {
      CHECK(r.out.find(secret) == std::string::npos);
      CHECK(r.err.find(secret) == std::string::npos);
    }
  }
  CHECK(runs[0].exit_code == 0);
  CHECK(runs[1].exit_code == 1);
  CHECK(runs[3].exit_code == 3);
}

TEST_CASE("cli: --help everywhere") {
  Run top = runCli({"--help"});
  CHECK(top.exit_code == 0);
  for (const char* name : {"pass", "pass-to-inbox", "take", "request", "release", "extend", "owner",
                           "receivers", "feature-status", "parse", "verify", "emulator"}) {
    const std::string listed = std::string("  handover ") + name;
    CHECK((top.out.find(listed + " ") != std::string::npos ||
           top.out.find(listed + "\n") != std::string::npos));
    Run one = runCli({name, "--help"});
    CHECK(one.exit_code == 0);
    CHECK(one.out.rfind(std::string("usage: handover ") + name, 0) == 0);
  }
  CHECK(runCli({"--version"}).exit_code == 0);
}

// Golden files: `<fixture>.parse.jsonl` next to each fixture, produced by
// tests/cli/parse_contract.py (the contract written again from README, in Python) and checked
// against it by the `cli_parse_contract_oracle` test; malformed_events' and whatsapp_malformed's
// are written by hand.
TEST_CASE("cli: parse prints exactly the documented contract for every fixture") {
  DIR* dir = opendir((std::string(HANDOVER_FIXTURES_DIR) + "/webhooks").c_str());
  REQUIRE(dir != nullptr);
  std::vector<std::string> stems;
  while (dirent* e = readdir(dir)) {
    const std::string n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".json")
      stems.push_back(n.substr(0, n.size() - 5));
  }
  closedir(dir);
  REQUIRE(stems.size() >= 19);
  std::size_t lines_compared = 0;
  for (const auto& stem : stems) {
    INFO(stem);
    const std::string golden = readFile(fixture(stem + ".parse.jsonl"));
    Run r = runCli({"parse", fixture(stem + ".json")});
    CHECK(r.out == golden);
    lines_compared += lines(golden).size();
    const bool has_errors = stem == "malformed_events" || stem == "whatsapp_malformed";
    CHECK(r.exit_code == (has_errors ? 1 : 0));
    if (stem != "dashboard_test") CHECK(r.err.empty() != has_errors);
    // stdin gives the same bytes.
    Run piped = runCli({"parse", "-"}, {}, readFile(fixture(stem + ".json")));
    CHECK(piped.out == r.out);
    CHECK(piped.exit_code == r.exit_code);
  }
  CHECK(lines_compared >= 50);  // the golden files are not empty
}

TEST_CASE("cli: parse keeps every kind inside the contract's list") {
  const std::set<std::string> kinds = {"message",
                                       "echo",
                                       "read",
                                       "delivery",
                                       "postback",
                                       "pass_thread_control",
                                       "take_thread_control",
                                       "request_thread_control",
                                       "app_roles",
                                       "reaction",
                                       "referral",
                                       "optin",
                                       "message_edit",
                                       "unknown"};
  const std::vector<std::string> keys = {"kind",      "standby",      "platform",  "page_id",
                                         "sender_id", "recipient_id", "timestamp", "data"};
  std::size_t seen = 0;
  for (const char* name : {"handover_mixed", "new_kinds", "unknown_kinds", "echoes",
                           "read_delivery", "postbacks", "instagram_events"}) {
    Run r = runCli({"parse", fixture(std::string(name) + ".json")});
    REQUIRE(r.exit_code == 0);
    for (const auto& l : lines(r.out)) {
      auto d = json(l);
      REQUIRE(d.IsObject());
      CHECK(kinds.count(str(d, "kind")) == 1);
      // Exactly the eight keys, in the documented order.
      std::vector<std::string> got;
      for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it)
        got.emplace_back(it->name.GetString());
      CHECK(got == keys);
      CHECK(d["data"].IsObject());
      ++seen;
    }
  }
  CHECK(seen >= 30);
  // The App Dashboard's test payload: no line on stdout, a note on stderr, exit 0.
  Run dashboard = runCli({"parse", fixture("dashboard_test.json")});
  CHECK(dashboard.exit_code == 0);
  CHECK(dashboard.out.empty());
  CHECK(dashboard.err.find("dashboard test payload") != std::string::npos);
}

TEST_CASE("cli: parse --flat keeps the older shape") {
  Run r = runCli({"parse", "--flat", fixture("handover_mixed.json")});
  REQUIRE(r.exit_code == 0);
  auto out = lines(r.out);
  REQUIRE(out.size() == 6);
  CHECK(out[1] ==
        R"({"kind":"pass_thread_control","platform":"messenger","page":"106500000000001",)"
        R"("user":"7000000000000001","standby":false,"timestamp":1763770003910,)"
        R"("entry_time":1763770004000,"sender":"7000000000000001",)"
        R"("recipient":"106500000000001","previous_owner_app_id":null,)"
        R"("new_owner_app_id":"1517776481860111","metadata":"from idle"})");
  Run dashboard = runCli({"parse", "--flat", fixture("dashboard_test.json")});
  CHECK(dashboard.exit_code == 0);
  REQUIRE(lines(dashboard.out).size() == 1);
  CHECK(str(json(lines(dashboard.out)[0]), "kind") == "change");
  Run kinds = runCli({"parse", "--flat", fixture("new_kinds.json")});
  REQUIRE(kinds.exit_code == 0);
  REQUIRE(lines(kinds.out).size() == 9);
  CHECK(str(json(lines(kinds.out)[1]), "action") == "unreact");
}

TEST_CASE("cli: parse refuses what is not a webhook body, saying why") {
  Run bad = runCli({"parse", "-"}, {}, "{\"object\":\"page\",\"entry\":[");
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK(bad.err ==
        "handover: not a webhook body: the body ended before its JSON value did (Invalid "
        "value.) (at byte 26)\n");
  Run trailing =
      runCli({"parse", "-"}, {},
             std::string("{\"object\":\"page\",\"entry\":[]}") + '\0' + "{\"entry\":[]}");
  CHECK(trailing.exit_code == 1);
  CHECK(trailing.err.find("bytes after the JSON value") != std::string::npos);
  CHECK(trailing.err.find("(at byte 28)") != std::string::npos);
  Run malformed = runCli({"parse", fixture("malformed_events.json")});
  CHECK(malformed.exit_code == 1);
  CHECK(lines(malformed.out).size() == 2);  // the good events are still printed
  CHECK(lines(malformed.err).size() == 7);  // one line per unreadable event
  CHECK(malformed.err.find("wrong JSON type") != std::string::npos);
  // An unreadable file is a failure to read a body (exit 1), with the system's reason.
  Run missing = runCli({"parse", "/nonexistent/body.json"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err == "handover: cannot read /nonexistent/body.json: No such file or directory\n");
  Run dir_as_file = runCli({"parse", HANDOVER_FIXTURES_DIR});
  CHECK(dir_as_file.exit_code == 1);
  CHECK(dir_as_file.err.find("cannot read") != std::string::npos);
  CHECK(dir_as_file.err.find("Is a directory") != std::string::npos);
}

// #23: parse and verify read all of their input before the 1 MiB cap applied (500 MB in, 988 MB
// of memory). /dev/zero never ends: only a reader that stops past the cap returns at all.
TEST_CASE("cli: parse and verify stop reading one byte past the webhook body cap") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"parse", "/dev/zero"},
        std::vector<std::string>{"verify", "--signature", "sha256=00", "/dev/zero"}}) {
    Run r = runCli(args, {{"HANDOVER_APP_SECRET", "s3cret"}});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err ==
          "handover: /dev/zero holds more than 1048576 bytes, the largest webhook body "
          "accepted: not read further\n");
  }
  Run piped = runCli({"parse", "-"}, {}, std::string(3u << 20, ' '));
  CHECK(piped.exit_code == 1);
  CHECK(piped.err.find("standard input holds more than 1048576 bytes") != std::string::npos);
  // Exactly at the cap is read whole, then judged as a body.
  Run at_cap = runCli({"parse", "-"}, {}, std::string(1u << 20, ' '));
  CHECK(at_cap.exit_code == 1);
  CHECK(at_cap.err.find("not a webhook body") != std::string::npos);
}

TEST_CASE("cli: verify checks sha256 and sha1 values of the fixtures") {
  std::ifstream in(fixture("signatures.txt"));
  std::string file, secret, sha256, sha1;
  int checked = 0;
  while (in >> file >> secret >> sha256 >> sha1) {
    INFO(file);
    const std::map<std::string, std::string> env{{"HANDOVER_APP_SECRET", secret}};
    Run ok = runCli({"verify", "--signature", "sha256=" + sha256, fixture(file)}, env);
    CHECK(ok.exit_code == 0);
    CHECK(str(json(ok.out), "algorithm") == "sha256");
    Run ok1 = runCli({"verify", "--signature=sha1=" + sha1, fixture(file)}, env);
    CHECK(ok1.exit_code == 0);
    CHECK(str(json(ok1.out), "algorithm") == "sha1");
    Run piped = runCli({"verify", "--signature", "sha256=" + sha256}, env, readFile(fixture(file)));
    CHECK(piped.exit_code == 0);

    std::string tampered = sha256;
    tampered[0] = tampered[0] == '0' ? '1' : '0';
    Run bad = runCli({"verify", "--signature", "sha256=" + tampered, fixture(file)}, env);
    CHECK(bad.exit_code == 1);
    CHECK(str(json(bad.out), "reason") == "mismatch");
    CHECK(bad.err.find("mismatch") != std::string::npos);
    CHECK(bad.err.find(secret) == std::string::npos);
    Run other_secret = runCli({"verify", "--signature", "sha256=" + sha256, fixture(file)},
                              {{"HANDOVER_APP_SECRET", secret + "x"}});
    CHECK(other_secret.exit_code == 1);
    ++checked;
  }
  CHECK(checked >= 3);
  const std::map<std::string, std::string> env{{"HANDOVER_APP_SECRET", "s"}};
  const std::string body = fixture("messenger_text.json");
  Run malformed = runCli({"verify", "--signature", "sha256=zz", body}, env);
  CHECK(malformed.exit_code == 1);
  CHECK(malformed.err.find("malformed_header") != std::string::npos);
  Run short_digest = runCli({"verify", "--signature", "sha256=abcd", body}, env);
  CHECK(short_digest.exit_code == 1);
  CHECK(short_digest.err.find("wrong_length") != std::string::npos);
  requireUsage(runCli({"verify", "--signature", "sha256=abcd", body}));  // no secret
}

TEST_CASE("cli: emulator serves the Graph API until SIGTERM") {
  Process emu({"emulator", "--config",
               std::string(HANDOVER_SOURCE_DIR) + "/examples/emulator/config.json", "--port", "0"},
              {});
  const std::string first = emu.readLine(std::chrono::seconds(10));
  const std::string marker = "listening on ";
  REQUIRE(first.find(marker) != std::string::npos);
  const std::string url = first.substr(first.find(marker) + marker.size());
  Run owner = runCli({"owner", "42", "--base-url", url},
                     {{"HANDOVER_ACCESS_TOKEN", "bot-legacy-page-token"}});
  REQUIRE(owner.exit_code == 0);
  CHECK(str(json(owner.out), "app_id") == "500000000000001");
  emu.sendSignal(SIGTERM);
  Run done = emu.finish();
  CHECK(done.exit_code == 0);

  const std::string bad_config =
      std::string(HANDOVER_FIXTURES_DIR) + "/webhooks/messenger_text.json";
  Run bad = runCli({"emulator", "--config", bad_config, "--port", "0"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("cannot load") != std::string::npos);
  requireUsage(runCli({"emulator", "--config", bad_config, "--port", "70000"}));
}

TEST_CASE("cli: emulator without a config runs the default world it prints") {
  Run example = runCli({"emulator", "--example-config"});
  REQUIRE(example.exit_code == 0);
  CHECK(json(example.out).IsObject());
  // The compiled-in world is the shipped file, byte for byte.
  CHECK(example.out ==
        readFile(std::string(HANDOVER_SOURCE_DIR) + "/examples/emulator/standalone.json"));

  Process emu({"emulator", "--port", "0"}, {});
  const std::string first = emu.readLine(std::chrono::seconds(10));
  const std::string marker = "listening on ";
  REQUIRE(first.find(marker) != std::string::npos);
  const std::string url = first.substr(first.find(marker) + marker.size());
  CHECK(emu.readLine(std::chrono::seconds(10)).find("the default world") != std::string::npos);
  // The routing page's default app is the bot: it sees itself as owner of an idle thread it
  // answers, and a pass to the Page Inbox works.
  Run pass = runCli({"pass-to-inbox", "42", "--base-url", url},
                    {{"HANDOVER_ACCESS_TOKEN", "bot-routing-page-token"}});
  CHECK(pass.exit_code == 0);
  Run owner = runCli({"owner", "42", "--base-url", url},
                     {{"HANDOVER_ACCESS_TOKEN", "bot-routing-page-token"}});
  REQUIRE(owner.exit_code == 0);
  CHECK(str(json(owner.out), "app_id") == "263902037430900");
  emu.sendSignal(SIGTERM);
  CHECK(emu.finish().exit_code == 0);
}

TEST_CASE("cli: emulator test and record refuse bad arguments and say why") {
  requireUsage(runCli({"emulator", "tset", "s.json"}));
  requireUsage(runCli({"emulator", "test"}));
  requireUsage(runCli({"emulator", "--junit", "x.xml"}));
  requireUsage(runCli({"emulator", "record", "extra.json"}));
  requireUsage(
      runCli({"emulator", "test", "s.json", "--url", "http://127.0.0.1:1", "--port", "9"}));
  requireUsage(runCli({"emulator", "test", "s.json", "--port", "70000"}));
  Run missing = runCli({"emulator", "test", "/nonexistent/s.json"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("scenario: cannot open /nonexistent/s.json") != std::string::npos);
  // Nothing listens on port 1: a transport failure, exit 3.
  Run record = runCli({"emulator", "record", "--url", "http://127.0.0.1:1"});
  CHECK(record.exit_code == 3);
  CHECK(record.err.find("did not answer") != std::string::npos);
  // A scenario against an in-process world: passes with exit 0 and writes JUnit.
  const std::string dir = std::string(HANDOVER_BINARY_DIR_FOR_TESTS);
  const std::string file = dir + "/cli_scenario.json";
  {
    std::ofstream out(file);
    out << R"({"world":{"pages":[{"id":"1001"}]},"page_id":"1001","user_id":"42",)"
        << R"("steps":[{"user_says":"hi"},{"expect_owner":{"app_id":null}}]})";
  }
  Run ok = runCli({"emulator", "test", file, "--junit", dir + "/cli_scenario.xml"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("PASSED: 2/2 steps") != std::string::npos);
  CHECK(readFile(dir + "/cli_scenario.xml").find("tests=\"2\" failures=\"0\"") !=
        std::string::npos);

  // #23: a busy port named, exit 2 (it said "cannot listen" and exited 1).
  auto other = emulator::Emulator::fromJson(R"({"pages":[{"id":"1001"}]})").value();
  const int busy = other->start("127.0.0.1", 0).value();
  Run taken = runCli({"emulator", "test", file, "--port", std::to_string(busy)});
  CHECK(taken.exit_code == 2);
  CHECK(taken.err.find("port " + std::to_string(busy) + " is in use") != std::string::npos);
  other->stop();
}

// --- handover wa: WhatsApp thread_control (the contract in examples/cli.md) -----------------

namespace {

const std::string kNumber = "106540352242922";

Run wa(const handover::test::RecordingServer& server, std::vector<std::string> args,
       const std::string& secret = "") {
  args.insert(args.begin(), "wa");
  args.push_back("--base-url");
  args.push_back(server.baseUrl());
  std::map<std::string, std::string> env{{"HANDOVER_ACCESS_TOKEN", "wa-token-123"}};
  if (!secret.empty()) env["HANDOVER_APP_SECRET"] = secret;
  return runCli(args, env);
}

}  // namespace

TEST_CASE("cli: wa pass, take and release send the documented body and print two keys") {
  handover::test::RecordingServer server;
  server.enqueue(
      handover::test::jsonResponse(200, R"({"messaging_product":"whatsapp","request_id":"rq-1"})"));
  Run pass = wa(server,
                {"pass", "+16315551181", "--phone-number-id", kNumber, "--role", "customer_service",
                 "--metadata", "asked for a human"},
                "wa-secret");
  CHECK(pass.exit_code == 0);
  CHECK(pass.out == "{\"success\":true,\"request_id\":\"rq-1\"}\n");
  auto req = server.last();
  CHECK(req.method == "POST");
  CHECK(req.path == "/v26.0/" + kNumber + "/thread_control");
  CHECK(req.body ==
        R"({"messaging_product":"whatsapp","to":"+16315551181","action":"pass",)"
        R"("metadata":"asked for a human","control_pass":{"target_role":"customer_service"}})");
  CHECK(req.header("Authorization") == "Bearer wa-token-123");
  CHECK(req.param("appsecret_proof") == appSecretProof("wa-token-123", "wa-secret"));

  // No request_id in the answer: null. A BSUID goes in `recipient`; empty metadata is not sent.
  server.enqueue(handover::test::jsonResponse(200, R"({"messaging_product":"whatsapp"})"));
  Run take = wa(server, {"take", "US.13491208655302741", "--phone-number-id", kNumber, "--metadata",
                         "", "--api-version", "v25.0"});
  CHECK(take.exit_code == 0);
  CHECK(take.out == "{\"success\":true,\"request_id\":null}\n");
  CHECK(server.last().path == "/v25.0/" + kNumber + "/thread_control");
  CHECK(server.last().body ==
        R"({"messaging_product":"whatsapp","recipient":"US.13491208655302741","action":"take"})");

  // Any 2xx JSON object is a success; a role Meta added later is sent as given.
  server.enqueue(handover::test::jsonResponse(201, R"({"anything":[1]})"));
  Run release = wa(server, {"release", "16315551181", "--phone-number-id", kNumber});
  CHECK(release.exit_code == 0);
  CHECK(release.out == "{\"success\":true,\"request_id\":null}\n");
  CHECK(server.last().body ==
        R"({"messaging_product":"whatsapp","to":"16315551181","action":"release"})");
  Run new_role = wa(server, {"pass", "1", "--phone-number-id", kNumber, "--role", "sales_lead"});
  CHECK(new_role.exit_code == 0);
  CHECK(server.last().body.find(R"("control_pass":{"target_role":"sales_lead"})") !=
        std::string::npos);
}

TEST_CASE("cli: wa refuses bad input with exit 2 and sends nothing") {
  handover::test::RecordingServer server;
  const std::string long_text(2001, 'x');
  const std::string invalid_utf8 = "caf\xC3";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"pass", "16315551181"},                                // no number
           {"pass", "16315551181", "--phone-number-id", "12ab"},   // number not digits
           {"pass", "16315551181", "--phone-number-id", ""},       // empty number
           {"pass", "hello", "--phone-number-id", kNumber},        // neither form
           {"pass", "+", "--phone-number-id", kNumber},            // a lone +
           {"pass", "us.1234", "--phone-number-id", kNumber},      // not a BSUID
           {"move", "16315551181", "--phone-number-id", kNumber},  // unknown action
           {"take", "16315551181", "--phone-number-id", kNumber, "--role", "marketing"},
           {"release", "16315551181", "--phone-number-id", kNumber, "--role", "marketing"},
           {"pass", "16315551181", "--phone-number-id", kNumber, "--role", "Marketing"},
           {"pass", "16315551181", "--phone-number-id", kNumber, "--role", "ai-agent"},
           {"pass", "16315551181", "--phone-number-id", kNumber, "--metadata", long_text},
           {"take", "16315551181", "--phone-number-id", kNumber, "--metadata", invalid_utf8},
           {"pass", "16315551181", "--phone-number-id", kNumber, "extra"},
       }) {
    INFO(args.front() << " " << args.size());
    requireUsage(wa(server, args));
  }
  // 2000 characters of two bytes each are allowed: characters, not bytes.
  std::string two_thousand;
  for (int i = 0; i < 2000; ++i) two_thousand += "\xC3\xA9";
  CHECK(server.requestCount() == 0);
  CHECK(wa(server, {"pass", "1", "--phone-number-id", kNumber, "--metadata", two_thousand})
            .exit_code == 0);
  CHECK(server.requestCount() == 1);
  // Without a token: exit 2, nothing sent.
  Run no_token =
      runCli({"wa", "take", "1", "--phone-number-id", kNumber, "--base-url", server.baseUrl()});
  requireUsage(no_token);
  CHECK(server.requestCount() == 1);
}

TEST_CASE("cli: wa errors: Graph 1, redirect and transport 3, never sent twice") {
  handover::test::RecordingServer server;
  SECTION("take by a responder that is not the escalation partner") {
    server.enqueue(handover::test::jsonResponse(
        400, R"({"error":{"message":"(#100) Take thread control not permitted","type":)"
             R"("OAuthException","code":100,"error_subcode":2494191,"fbtrace_id":"T9"}})"));
    Run r = wa(server, {"take", "1", "--phone-number-id", kNumber});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("code 100 subcode 2494191") != std::string::npos);
  }
  SECTION("a 5xx is not retried") {
    server.setHandler([](const handover::test::RecordedRequest&) {
      return handover::test::jsonResponse(503, R"({"error":{"message":"busy","code":2}})");
    });
    Run r = wa(server, {"pass", "1", "--phone-number-id", kNumber});
    CHECK(r.exit_code == 1);
    CHECK(server.requestCount() == 1);
  }
  SECTION("a 3xx is a transport error") {
    server.setHandler([](const handover::test::RecordedRequest&) {
      return handover::test::jsonResponse(307, "", {{"Location", "http://127.0.0.1:1/x"}});
    });
    Run r = wa(server, {"release", "1", "--phone-number-id", kNumber});
    CHECK(r.exit_code == 3);
    CHECK(server.requestCount() == 1);
  }
  SECTION("a connection lost after the request was sent is not retried") {
    std::atomic<int> requests{0};
    handover::test::RawServer raw([&requests](int, const std::string& request) {
      if (request.find("/thread_control") != std::string::npos) ++requests;
      return true;  // closes without answering
    });
    Run r = runCli({"wa", "take", "1", "--phone-number-id", kNumber, "--base-url", raw.baseUrl()},
                   {{"HANDOVER_ACCESS_TOKEN", "wa-token-123"}});
    CHECK(r.exit_code == 3);
    CHECK(raw.connections() == 1);
    CHECK(requests == 1);
    CHECK(r.err.find("wa-token-123") == std::string::npos);
  }
}

TEST_CASE("cli: wa --help lists the known roles and the top-level help lists wa") {
  Run help = runCli({"wa", "--help"});
  CHECK(help.exit_code == 0);
  for (const char* role :
       {"customer_service", "marketing", "utility", "ctwa", "ai_agent", "escalation"}) {
    CHECK(help.out.find(role) != std::string::npos);
  }
  CHECK(runCli({"--help"}).out.find("  handover wa pass|take|release") != std::string::npos);
}

TEST_CASE("cli: parse prints WhatsApp events with the same eight keys and their own kinds") {
  const std::set<std::string> kinds = {"control_passed", "control_taken", "message",
                                       "echo",           "status",        "unknown"};
  const std::vector<std::string> keys = {"kind",      "standby",      "platform",  "page_id",
                                         "sender_id", "recipient_id", "timestamp", "data"};
  std::set<std::string> seen;
  for (const char* name : {"whatsapp_handovers", "whatsapp_handovers_observed", "whatsapp_messages",
                           "whatsapp_standby", "whatsapp_unknown_fields"}) {
    Run r = runCli({"parse", fixture(std::string(name) + ".json")});
    REQUIRE(r.exit_code == 0);
    for (const auto& l : lines(r.out)) {
      auto d = json(l);
      seen.insert(str(d, "kind"));
      CHECK(kinds.count(str(d, "kind")) == 1);
      CHECK(str(d, "platform") == "whatsapp");
      std::vector<std::string> got;
      for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it)
        got.emplace_back(it->name.GetString());
      CHECK(got == keys);
    }
  }
  CHECK(seen == kinds);
  Run bad = runCli({"parse", fixture("whatsapp_malformed.json")});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("entry[0].changes[0].value.messages[0]") != std::string::npos);
}

// examples/cli.md shows `$ handover parse FILE | head -N` with the lines it prints: they are the
// CLI's output, byte for byte.
TEST_CASE("cli: the parse examples of examples/cli.md are its output") {
  std::istringstream page(readFile(std::string(HANDOVER_SOURCE_DIR) + "/examples/cli.md"));
  std::vector<std::string> all;
  for (std::string l; std::getline(page, l);) all.push_back(l);
  std::size_t examples = 0;
  const std::string prefix = "$ handover parse ";
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].rfind(prefix, 0) != 0) continue;
    const std::string rest = all[i].substr(prefix.size());
    const std::string file = rest.substr(0, rest.find(' '));
    const auto head = rest.find("| head -");
    REQUIRE(head != std::string::npos);
    const std::size_t n = std::stoul(rest.substr(head + 8));
    Run r = runCli({"parse", std::string(HANDOVER_SOURCE_DIR) + "/" + file});
    const auto out = lines(r.out);
    REQUIRE(out.size() >= n);
    for (std::size_t k = 0; k < n; ++k) CHECK(all.at(i + 1 + k) == out[k]);
    ++examples;
  }
  CHECK(examples >= 2);
}
