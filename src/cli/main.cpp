// `handover`: thread control from the shell, webhook debugging and the local emulator.
// Exit codes: 0 ok, 1 Graph error / invalid signature / bad body, 2 usage, 3 transport.

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "handover/core/version.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {
namespace {

ArgSpec graphSpec(std::size_t positionals, const std::set<std::string>& valued = {},
                  const std::set<std::string>& flags = {}) {
  ArgSpec s;
  s.valued = {"--page", "--base-url", "--api-version"};
  s.valued.insert(valued.begin(), valued.end());
  s.flags = flags;
  s.min_positionals = positionals;
  s.max_positionals = positionals;
  return s;
}

ArgSpec fileSpec(std::set<std::string> valued, std::set<std::string> flags = {}) {
  ArgSpec s;
  s.valued = std::move(valued);
  s.flags = std::move(flags);
  s.min_positionals = 0;
  s.max_positionals = 1;
  return s;
}

constexpr const char* kGraphOptions =
    "\nGraph options:\n"
    "  --page ID             Page id, or me (default: me; with a Page token me is the Page)\n"
    "  --base-url URL        Graph API base URL (default https://graph.facebook.com;\n"
    "                        point it at `handover emulator` to test)\n"
    "  --api-version vNN.N   Graph API version (default: the SDK's pinned version)\n"
    "Environment: HANDOVER_ACCESS_TOKEN (Page access token, required),\n"
    "  HANDOVER_APP_SECRET (optional: adds appsecret_proof). Never pass them as arguments.\n"
    "Output: one JSON object on stdout. Exit: 0 ok, 1 Graph error (code and subcode on\n"
    "  stderr), 2 bad arguments, 3 transport error.\n";

constexpr const char* kWhatsAppOptions =
    "\nOptions:\n"
    "  --phone-number-id ID  The business number's id (digits; required)\n"
    "  --base-url URL        Graph API base URL (default https://graph.facebook.com)\n"
    "  --api-version vNN.N   Graph API version (default: the SDK's pinned version)\n"
    "Environment: HANDOVER_ACCESS_TOKEN (a token with whatsapp_business_messaging, required),\n"
    "  HANDOVER_APP_SECRET (optional: adds appsecret_proof). Never pass them as arguments.\n"
    "Output: {\"success\":true,\"request_id\":S|null}. Exit: 0 ok, 1 Graph error (code and\n"
    "  subcode on stderr; take by a non-escalation partner: 100/2494191), 2 bad arguments\n"
    "  (nothing sent), 3 transport error. Thread control is not idempotent: a request that\n"
    "  may have reached Meta (5xx, timeout, connection lost) is never sent again.\n";

const Command* g_current = nullptr;

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"pass", graphSpec(2, {"--metadata"}), "pass RECIPIENT TARGET_APP_ID [--metadata TEXT]",
       "Pass thread control of the conversation with RECIPIENT (PSID/IGSID) to an app.", cmdPass},
      {"pass-to-inbox", graphSpec(1, {"--metadata"}, {"--instagram"}),
       "pass-to-inbox RECIPIENT [--instagram] [--metadata TEXT]",
       "Pass control to the Page Inbox (263902037430900), or with --instagram to the\n"
       "Instagram Inbox (1217981644879628), so a human answers.",
       cmdPassToInbox},
      {"take", graphSpec(1, {"--metadata"}), "take RECIPIENT [--metadata TEXT]",
       "Take thread control (legacy: Primary Receiver; Conversation Routing: needs a default\n"
       "app, else Graph error 27).",
       cmdTake},
      {"request", graphSpec(1, {"--metadata"}), "request RECIPIENT [--metadata TEXT]",
       "Request thread control from the owner. Success means the request was delivered,\n"
       "not that control was gained.",
       cmdRequest},
      {"release", graphSpec(1), "release RECIPIENT",
       "Release thread control: the thread becomes idle (no webhook is sent).", cmdRelease},
      {"extend", graphSpec(2), "extend RECIPIENT SECONDS",
       "Extend this app's control of the thread by SECONDS (1..604800).", cmdExtend},
      {"owner", graphSpec(1), "owner RECIPIENT",
       "Show the thread owner (app_id null: idle, or hidden from this app).", cmdOwner},
      {"receivers", graphSpec(0, {"--platform"}), "receivers [--platform messenger|instagram]",
       "List the Page's secondary receivers (all pages of results).", cmdReceivers},
      {"feature-status", graphSpec(0), "feature-status",
       "Show messaging_feature_status (hop_v2, msgr_multi_app, ig_multi_app).", cmdFeatureStatus},
      {"wa",
       [] {
         ArgSpec s;
         s.valued = {"--phone-number-id", "--role", "--metadata", "--base-url", "--api-version"};
         s.min_positionals = 2;
         s.max_positionals = 2;
         return s;
       }(),
       "wa pass|take|release USER --phone-number-id ID [--role ROLE] [--metadata TEXT]",
       "WhatsApp Conversation Routing: POST /{api-version}/{ID}/thread_control.\n"
       "  handover wa pass USER --phone-number-id ID [--role ROLE] [--metadata TEXT]\n"
       "  handover wa take USER --phone-number-id ID [--metadata TEXT]\n"
       "  handover wa release USER --phone-number-id ID [--metadata TEXT]\n"
       "USER is a phone number or wa_id (digits, an optional leading +, sent as given in\n"
       "`to`) or a business-scoped user id (US.13491208655302741, sent in `recipient`).\n"
       "pass hands the thread to the responder holding ROLE for its entry point; without\n"
       "--role, to the escalation partner. ROLE is any lowercase word, sent as given; the\n"
       "known ones: customer_service, marketing, utility, ctwa, ai_agent, escalation.\n"
       "take: only the escalation partner may. release: the thread goes idle, no webhook.\n"
       "--metadata (at most 2000 characters, UTF-8) reaches the new owner; empty: not sent.",
       cmdWhatsApp},
      {"parse", fileSpec({}, {"--flat"}), "parse [FILE|-] [--flat]",
       "Print each event of a webhook body (FILE, or stdin) as one JSON line, in order:\n"
       "  {\"kind\":K,\"standby\":B,\"platform\":\"messenger\"|\"instagram\",\"page_id\":S,\n"
       "   \"sender_id\":S|null,\"recipient_id\":S|null,\"timestamp\":N,\"data\":{...}}\n"
       "data is the event's own wire object (message, read, pass_thread_control...) with\n"
       "every integer id as a string; for kind unknown, the event's members but sender,\n"
       "recipient and timestamp. --flat prints the payload's fields beside the envelope\n"
       "instead (and dashboard changes[] items). Exit 0 ok, 1 when the file, the body or\n"
       "one of its events cannot be read (reasons on stderr), 2 bad arguments.",
       cmdParse},
      {"verify", fileSpec({"--signature"}), "verify --signature HEADER_VALUE [FILE|-]",
       "Check a body (FILE, or stdin) against an X-Hub-Signature-256 (sha256=...) or\n"
       "X-Hub-Signature (sha1=...) value with the secret in HANDOVER_APP_SECRET.\n"
       "Exit 0 valid, 1 invalid or unreadable (reason on stderr), 2 bad arguments.",
       cmdVerify},
      {"emulator",
       [] {
         ArgSpec s;
         s.valued = {"--config", "--port", "--host", "--junit", "--url", "--out"};
         s.flags = {"--example-config"};
         s.max_positionals = 2;
         return s;
       }(),
       "emulator [--config FILE] [--port N] [--host 127.0.0.1] | emulator --example-config |\n"
       "                   emulator test SCENARIO.json [--junit FILE] [--config FILE] [--port N]\n"
       "                   [--url URL] | emulator record [--url URL] [--out FILE]",
       "Run the local Messenger Platform emulator until SIGINT/SIGTERM. The first line says\n"
       "where it listens. Without --config it runs a default world (a legacy and a routing\n"
       "Messenger Page, an Instagram account, a bot and an agent app, no webhook URLs) and\n"
       "prints it; --example-config prints that config to start your own from: add each\n"
       "app's webhook_url and subscribed_fields. The control API (/_emulator/help) acts as\n"
       "the user or an inbox human and reads the timeline.\n\n"
       "emulator test SCENARIO.json runs a scripted conversation (README \"Scenario\n"
       "reference\") against the apps whose webhook URLs the config names: it starts an\n"
       "emulator with --config, else the scenario's config or world, else the default world,\n"
       "on --port (0: any; give your apps' Graph URL's port), or uses the one at --url. It\n"
       "prints a line per step and, at the first failed expectation, what was expected and\n"
       "what was found. --junit FILE writes JUnit XML. Exit 0 passed, 1 a step failed, 2 bad\n"
       "arguments or a malformed scenario or config (the message names the file and the\n"
       "path inside it).\n\n"
       "emulator record prints the session of the emulator at --url (default\n"
       "http://127.0.0.1:8080) as a scenario skeleton, or writes it to --out FILE: each\n"
       "user, inbox or clock action a step, what followed it expectations. Exit 0, 3 when\n"
       "the emulator does not answer.",
       cmdEmulator},
  };
  return list;
}

const Command& currentCommand() {
  return *g_current;
}
void setCurrentCommand(const Command& command) {
  g_current = &command;
}

int usageError(const Command& command, const std::string& problem) {
  std::cerr << "handover " << command.name << ": " << problem << "\n"
            << "usage: handover " << command.usage << "\n"
            << "Try 'handover " << command.name << " --help'.\n";
  return kExitUsage;
}

namespace {

bool isGraphCommand(const Command& c) {
  return c.spec.valued.count("--base-url") != 0;
}

void printCommandHelp(const Command& c) {
  std::cout << "usage: handover " << c.usage << "\n\n" << c.help << "\n";
  if (std::strcmp(c.name, "wa") == 0) {
    std::cout << kWhatsAppOptions;
  } else if (isGraphCommand(c)) {
    std::cout << kGraphOptions;
  }
}

void printHelp(std::ostream& out) {
  out << "handover " << HANDOVER_VERSION_STRING
      << ": Messenger, Instagram and WhatsApp thread control (Handover Protocol,\n"
         "Conversation Routing)\n\n"
         "usage: handover COMMAND [ARGS] [OPTIONS]\n\nCommands:\n";
  for (const auto& c : commands()) out << "  handover " << c.usage << "\n";
  out << kGraphOptions << "\nRun 'handover COMMAND --help' for details.\n";
}

}  // namespace
}  // namespace cli
HANDOVER_END_NAMESPACE

int main(int argc, char** argv) {
  using namespace handover::cli;
  if (argc < 2) {
    printHelp(std::cerr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printHelp(std::cout);
    return kExitOk;
  }
  if (name == "--version") {
    std::cout << HANDOVER_VERSION_STRING << "\n";
    return kExitOk;
  }
  for (const auto& c : commands()) {
    if (name != c.name) continue;
    setCurrentCommand(c);
    std::string problem;
    auto args = parseArgs(argc, argv, 2, c.spec, problem);
    if (!args) return usageError(c, problem);
    if (args->help) {
      printCommandHelp(c);
      return kExitOk;
    }
    try {
      return c.run(*args);
    } catch (const std::exception& e) {
      std::cerr << "handover " << c.name << ": " << e.what() << "\n";
      return kExitFailure;
    }
  }
  std::cerr << "handover: unknown command '" << name << "'\n"
            << "usage: handover COMMAND [ARGS] [OPTIONS]  (see 'handover --help')\n";
  return kExitUsage;
}
