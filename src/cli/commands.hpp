#pragma once
// The `handover` CLI's commands. Each returns the process exit code (see `ExitCode`).

#include <string>
#include <vector>

#include "args.hpp"
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {

/// The CLI's exit-code contract (README "CLI reference").
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,    ///< Graph API error, invalid signature, unreadable webhook body.
  kExitUsage = 2,      ///< Bad arguments or missing environment.
  kExitTransport = 3,  ///< The request did not complete (connect, timeout, TLS).
};

/// One subcommand: its name, spec, usage line, help text and implementation.
struct Command {
  const char* name;
  ArgSpec spec;
  const char* usage;  ///< After "handover ".
  const char* help;   ///< Description shown by `--help`.
  int (*run)(const Args& args);
};

/// Every command, in `--help` order.
const std::vector<Command>& commands();

int cmdPass(const Args& args);
int cmdPassToInbox(const Args& args);
int cmdTake(const Args& args);
int cmdRequest(const Args& args);
int cmdRelease(const Args& args);
int cmdExtend(const Args& args);
int cmdOwner(const Args& args);
int cmdReceivers(const Args& args);
int cmdFeatureStatus(const Args& args);
int cmdWhatsApp(const Args& args);  ///< `wa pass|take|release` (whatsapp_commands.cpp).
int cmdParse(const Args& args);
int cmdVerify(const Args& args);
int cmdEmulator(const Args& args);
int cmdEmulatorTest(const Args& args);    ///< `emulator test SCENARIO` (scenario_commands.cpp).
int cmdEmulatorRecord(const Args& args);  ///< `emulator record` (scenario_commands.cpp).

/// `--port` (0 to 65535; absent: 0) into `port`; false when it is out of range or not a number.
bool portOption(const Args& args, int& port);

/// Prints "usage: handover <usage>" and a hint to stderr; returns kExitUsage.
int usageError(const Command& command, const std::string& problem);
/// The command currently running (set by main before `run`), for usage errors inside commands.
const Command& currentCommand();
void setCurrentCommand(const Command& command);

}  // namespace cli
HANDOVER_END_NAMESPACE
