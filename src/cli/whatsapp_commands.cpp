// `handover wa pass|take|release USER --phone-number-id ID`: WhatsApp Conversation Routing's
// `thread_control`, with the Messenger commands' credentials, options and exit codes. The
// contract (issue #21, examples/cli.md) checks everything it can before any request: the
// action, the user's form, the number, the role's form and where it is allowed, the metadata.

#include <iostream>
#include <string>

#include "commands.hpp"
#include "graph_client.hpp"
#include "json_line.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {
namespace {

int printAnswer(const wa::ThreadControlResponse& r) {
  JsonLine line;
  line.boolean("success", true).optStr("request_id", r.request_id);
  std::cout << line.finish() << std::endl;
  return kExitOk;
}

}  // namespace

int cmdWhatsApp(const Args& args) {
  const std::string& action = args.positionals.at(0);
  if (action != "pass" && action != "take" && action != "release") {
    return usageError(currentCommand(), "the action must be pass, take or release");
  }
  auto user = wa::User::fromId(args.positionals.at(1));
  if (!user) {
    return usageError(currentCommand(),
                      "USER must be a phone number or wa_id (digits, an optional leading +) or a "
                      "business-scoped user id (CC.[ENT.]id, e.g. US.13491208655302741)");
  }
  const auto number = args.value("--phone-number-id");
  if (!number) return usageError(currentCommand(), "--phone-number-id is required");
  if (!wa::isPhoneNumberId(*number))
    return usageError(currentCommand(), "--phone-number-id must be digits");
  std::optional<wa::RoleName> role;
  if (auto r = args.value("--role")) {
    if (action != "pass") {
      return usageError(currentCommand(),
                        "--role applies to pass only (take and release have no "
                        "target)");
    }
    if (!wa::isRoleName(*r)) {
      return usageError(currentCommand(), "--role must be a lowercase word ([a-z_]+)");
    }
    role = wa::RoleName::fromWire(*r);
  }
  // The client refuses metadata that is not UTF-8 or is over 2000 characters before sending:
  // a local refusal, exit 2, like the checks above.
  std::string metadata = args.valueOr("--metadata", "");
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  Result<wa::ThreadControlResponse> r =
      action == "pass" ? client->waPassThreadControl(
                             {*number, std::move(*user), std::move(role), std::move(metadata)})
      : action == "take"
          ? client->waTakeThreadControl({*number, std::move(*user), std::move(metadata)})
          : client->waReleaseThreadControl({*number, std::move(*user), std::move(metadata)});
  if (!r) return reportError(r.error());
  return printAnswer(*r);
}

}  // namespace cli
HANDOVER_END_NAMESPACE
