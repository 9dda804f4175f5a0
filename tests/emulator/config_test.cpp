#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "catch.hpp"
#include "config_keys.hpp"
#include "faults_json.hpp"
#include "handover/emulator/config.hpp"
#include "handover/emulator/emulator.hpp"

using namespace handover;
using namespace handover::emulator;

TEST_CASE("config: the example file loads and builds a runnable emulator") {
  auto config = loadConfigFile(std::string(HANDOVER_SOURCE_DIR) + "/examples/emulator/config.json");
  REQUIRE(config);
  REQUIRE(config->pages.size() == 2);
  CHECK(config->pages[0].era == Era::kLegacy);
  CHECK(config->pages[1].era == Era::kRouting);
  CHECK_FALSE(config->pages[1].default_app_id.empty());
  REQUIRE(config->apps.size() == 2);
  CHECK(config->apps[0].role == Role::kPrimary);
  Emulator emu(*config);
  auto port = emu.start();
  REQUIRE(port);
  CHECK(*port > 0);
  CHECK(emu.baseUrl() == "http://127.0.0.1:" + std::to_string(*port));
  emu.stop();
}

TEST_CASE("config: ids may be JSON numbers and are kept exactly") {
  auto config = parseConfig(R"({"pages":[{"id":9007199254740993,"era":"routing"}],
    "apps":[{"id":263902037430901,"page_access_token":"t"}]})");
  REQUIRE(config);
  CHECK(config->pages[0].id == "9007199254740993");
  CHECK(config->apps[0].id == "263902037430901");
  CHECK(config->pages[0].platform == Platform::kMessenger);
}

TEST_CASE("config: mistakes are clear parse errors") {
  auto expectError = [](const char* json, const char* fragment) {
    auto r = parseConfig(json);
    REQUIRE_FALSE(r);
    CHECK(r.error().category == ErrorCategory::kParse);
    INFO(r.error().message);
    CHECK(r.error().message.find(fragment) != std::string::npos);
  };
  expectError(R"({"pages":[)", "invalid JSON");
  expectError(R"({"apps":[{"id":"1","subscribed_feilds":[]}]})", "subscribed_feilds");
  expectError(R"({"pages":[{"id":"1"},{"id":"1"}]})", "duplicate page id");
  expectError(R"({"pages":[{"id":"1","era":"v3"}]})", "era");
  expectError(R"({"pages":[{"id":"1","era":"legacy","default_app_id":"2"}],"apps":[{"id":"2"}]})",
              "legacy");
  expectError(R"({"pages":[{"id":"1","default_app_id":"9"}]})", "not installed");
  expectError(R"({"pages":[{"id":"1","era":"legacy"}],
                  "apps":[{"id":"2","role":"primary"},{"id":"3","role":"primary"}]})",
              "more than one primary");
  expectError(R"({"apps":[{"id":"2","webhook_url":"http://x/y"}]})", "no app_secret");
  expectError(
      R"({"apps":[{"id":"2","page_access_token":"same"},{"id":"3","page_access_token":"same"}]})",
      "reuses an access token");
  expectError(R"({"apps":[{"id":"2","role":"boss"}]})", "boss");
  expectError(R"({"delivery":{"max_batch":0}})", "max_batch");
  auto missing = loadConfigFile("/nonexistent/emulator.json");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().category == ErrorCategory::kInvalidArgument);
}

TEST_CASE("config: Emulator::fromJson reports errors instead of throwing") {
  auto bad = Emulator::fromJson("[]");
  REQUIRE_FALSE(bad);
  auto good = Emulator::fromJson(R"({"pages":[{"id":"1"}]})");
  REQUIRE(good);
  CHECK((*good)->port() == 0);
  CHECK_THROWS_AS(Emulator(Config{{PageConfig{"1", "", Platform::kMessenger, Era::kRouting, "404"}},
                                  {},
                                  {},
                                  std::nullopt,
                                  {},
                                  {}}),
                  handover::Exception);
}

TEST_CASE("config: a busy port is an error not a crash") {
  auto a = Emulator::fromJson(R"({"pages":[{"id":"1"}]})").value();
  const int port = a->start().value();
  auto b = Emulator::fromJson(R"({"pages":[{"id":"1"}]})").value();
  auto r = b->start("127.0.0.1", port);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTransport);
  auto again = a->start();
  REQUIRE_FALSE(again);
  std::thread stopper([&] { a->stop(); });
  a->wait();  // returns once stopped
  stopper.join();
}

TEST_CASE("config: the emulator page lists exactly the keys the loader accepts") {
  std::ifstream in(std::string(HANDOVER_SOURCE_DIR) + "/examples/emulator/README.md");
  REQUIRE(in);
  std::map<std::string, std::set<std::string>> documented;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## Emulator configuration (JSON)", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind("## ", 0) == 0) break;  // the next section
    // | object | `key` | type | default | meaning |
    if (line.rfind("| ", 0) != 0 || line.find("| `", 1) == std::string::npos) continue;
    const auto second = line.find('|', 1);
    const std::string object = line.substr(2, line.find(" |") - 2);
    const auto k0 = line.find('`', second) + 1;
    const auto k1 = line.find('`', k0);
    documented[object].insert(line.substr(k0, k1 - k0));
  }
  auto set = [](const auto& keys) { return std::set<std::string>(keys.begin(), keys.end()); };
  CHECK(documented["top level"] == set(handover::emulator::detail::kConfigKeys));
  CHECK(documented["`pages[]`"] == set(handover::emulator::detail::kPageKeys));
  CHECK(documented["`apps[]`"] == set(handover::emulator::detail::kAppKeys));
  CHECK(documented["`delivery`"] == set(handover::emulator::detail::kDeliveryKeys));
  CHECK(documented["`whatsapp_numbers[]`"] == set(handover::emulator::detail::kWhatsAppNumberKeys));
  CHECK(documented["`entry_points.*`"] == set(handover::emulator::detail::kEntryPointKeys));
  using namespace handover::emulator::detail;
  CHECK(documented["`faults`"] == set(kFaultKeys));
  CHECK(documented["`faults.delivery`"] == set(kFaultDeliveryKeys));
  CHECK(documented["`faults.graph[]`"] == set(kGraphFaultKeys));
  CHECK(documented["`faults.rate_limits[]`"] == set(kRateLimitKeys));
  CHECK(documented["`faults.lead_gen[]`"] == set(kLeadGenKeys));
  // And the loader refuses a key outside the list, naming where it stood.
  auto bad = handover::emulator::parseConfig(R"({"apps":[{"id":"1","webhook":"x"}]})");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("unknown key \"webhook\" in apps[0]") != std::string::npos);
}
