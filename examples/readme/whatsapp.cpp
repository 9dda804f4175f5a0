// README's WhatsApp snippets: a router that answers on a WhatsApp number and passes to the
// customer_service role, and the client's take with its error predicate. Run by CTest
// (readme_whatsapp_runs) against an in-process emulator with one number: the bot is the default
// entry point's primary, the desk holds customer_service, a supervisor is the escalation
// partner. Exit 0 when every call did what README says.
//
//   usage: readme_whatsapp [--help]

#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "handover/emulator/emulator.hpp"
#include "handover/webhook/parser.hpp"

// [readme:whatsapp]
#include "handover/webhook/router.hpp"

using namespace handover;
using namespace handover::webhook;

Router whatsappRouter() {
  Router router;
  router.onWhatsAppMessage([](WhatsAppContext& ctx, const WhatsAppMessage& m) -> Result<void> {
    if (m.text != "human please") {
      auto sent = ctx.sendText("Write \"human please\" to talk to a person.");
      return sent ? Result<void>{} : Result<void>(sent.error());
    }
    // A role, not an app id: whoever holds customer_service for this conversation's entry
    // point gets the thread (`ctx.passThreadControl("customer_service")` does not compile).
    auto passed = ctx.passThreadControl(wa::Role::kCustomerService, "asked for a human");
    return passed ? Result<void>{} : Result<void>(passed.error());
  });
  router.onControlTaken([](WhatsAppContext& ctx, const ControlTaken&) {
    // The escalation partner took the thread, by a take or by answering: stop replying.
    std::cout << "taken from us: " << ctx.userId() << "\n";
  });
  return router;
}
// [/readme:whatsapp]

namespace {

const std::string kNumber = "106540352242922";
const std::string kUser = "15551234567";
const std::string kBot = "500000000000001", kDesk = "500000000000002", kBoss = "500000000000003";

emulator::Config world() {
  emulator::Config c;
  for (const auto& [id, token] : {std::pair<std::string, std::string>{kBot, "bot-token"},
                                  {kDesk, "desk-token"},
                                  {kBoss, "supervisor-token"}}) {
    emulator::AppConfig a;
    a.id = id;
    a.page_tokens = {{kNumber, token}};
    c.apps.push_back(a);
  }
  emulator::WhatsAppNumberConfig n;
  n.id = kNumber;
  n.waba_id = "102290129340398";
  n.escalation_partner = kBoss;
  n.entry_points["default"] = {kBot, {{"customer_service", kDesk}}};
  c.whatsapp_numbers.push_back(n);
  return c;
}

Client client(const emulator::Emulator& emu, const std::string& token) {
  ClientOptions o;
  o.access_token = token;
  o.base_url = emu.baseUrl();
  return Client(o);
}

bool check(bool ok, const char* what) {
  std::cout << (ok ? "ok    " : "FAIL  ") << what << "\n";
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::cout << "usage: readme_whatsapp [--help]\n"
                 "Runs README's WhatsApp snippets against an in-process emulator; exit 0 when\n"
                 "each call did what README says.\n";
    return 0;
  }
  emulator::Emulator emu(world());
  if (!emu.start("127.0.0.1", 0)) return 2;
  Client supervisor_client = client(emu, "supervisor-token");
  Client bot = client(emu, "bot-token");
  if (!emu.sendWhatsAppMessage(kNumber, kUser, "hi")) return 2;  // idle: the bot's thread now
  // The webhook the bot's endpoint would get next, parsed and routed as the endpoint does.
  const std::string body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[)"
      R"({"field":"messages","value":{"messaging_product":"whatsapp","metadata":)"
      R"({"phone_number_id":"106540352242922"},"messages":[{"from":"15551234567",)"
      R"("id":"wamid.1","timestamp":"1764600000","type":"text","text":{"body":"human please"}}]}}]}]})";
  auto batch = parse(body);
  bool ok = check(batch.has_value(), "the WhatsApp body parses");
  ok &= check(batch && whatsappRouter().dispatch(*batch, bot).ok(), "the handler passed");
  ok &= check(emu.threadState(kNumber, kUser).value().owner_app_id == kDesk,
              "customer_service (the desk) owns the thread");
  {
    Client& client = bot;
    // [readme:whatsapp-take]
    auto taken =
        client.waTakeThreadControl({"106540352242922", wa::User::phone("+15551234567"), ""});
    if (!taken && taken.error().isTakeNotPermitted()) {
      // Only the number's escalation partner may take (code 100, subcode 2494191).
    }
    // [/readme:whatsapp-take]
    ok &= check(!taken && taken.error().isTakeNotPermitted(), "the bot may not take");
  }
  auto boss = supervisor_client.waTakeThreadControl({kNumber, wa::User::phone(kUser), ""});
  ok &= check(boss.has_value(), "the escalation partner takes");
  return ok ? 0 : 1;
}
