// `handover emulator`: the local Messenger Platform as a foreground process. Stops cleanly on
// SIGINT/SIGTERM, taken by sigwait in the main thread (no work inside a signal handler).

#include <signal.h>

#include <iostream>

#include "commands.hpp"
#include "handover/emulator/emulator.hpp"
#include "standalone_config.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {

bool portOption(const Args& args, int& port) {
  port = 0;
  const auto p = args.value("--port");
  if (!p) return true;
  const auto n = parseInteger(*p);
  if (!n || *n < 0 || *n > 65535) return false;
  port = static_cast<int>(*n);
  return true;
}

int cmdEmulator(const Args& args) {
  if (!args.positionals.empty()) {
    if (args.positionals[0] == "test") return cmdEmulatorTest(args);
    if (args.positionals[0] == "record") return cmdEmulatorRecord(args);
    return usageError(currentCommand(), "unknown emulator subcommand '" + args.positionals[0] +
                                            "' (known: test, record)");
  }
  for (const char* only : {"--junit", "--url", "--out"}) {
    if (args.value(only)) {
      return usageError(currentCommand(), std::string(only) +
                                              " is an option of emulator test or "
                                              "emulator record");
    }
  }
  if (args.has("--example-config")) {
    std::cout << kStandaloneConfig;
    return kExitOk;
  }
  const auto path = args.value("--config");
  int port = 0;
  if (!portOption(args, port))
    return usageError(currentCommand(), "--port must be from 0 to 65535");
  const std::string host = args.valueOr("--host", "127.0.0.1");

  // Block the signals before the emulator starts its threads so they all inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto emu =
      path ? emulator::Emulator::fromFile(*path) : emulator::Emulator::fromJson(kStandaloneConfig);
  if (!emu) {
    std::cerr << "handover: cannot load " << path.value_or("the default world") << ": "
              << emu.error().message << "\n";
    return kExitFailure;
  }
  (*emu)->setConsole(
      [](const std::string& line) { std::cerr << "handover emulator: " << line << std::endl; });
  auto bound = (*emu)->start(host, port);
  if (!bound) {
    std::cerr << "handover: cannot listen on " << host << ":" << port << ": "
              << bound.error().message << "\n";
    return kExitFailure;
  }
  // First line is machine-readable so scripts can pick the port when --port 0.
  std::cout << "handover emulator listening on " << (*emu)->baseUrl() << std::endl;
  if (const std::string token = (*emu)->controlToken(); !token.empty()) {
    // Beyond loopback anyone who reaches the machine reaches the emulator: say so loudly, and
    // hand the token only to whoever started it (this terminal).
    std::cerr << "handover emulator: WARNING: listening on " << host
              << ", beyond loopback: every host that reaches this machine can reach it. The "
                 "control API (/_emulator/...) requires this run's token as the header "
                 "X-Handover-Emulator-Token (the inspector asks for it; `emulator test --url` "
                 "and `emulator record` read HANDOVER_EMULATOR_TOKEN):\n"
              << token << std::endl;
  }
  if (!path) {
    std::cout << "no --config: the default world (handover emulator --example-config prints it "
                 "to start your own from):\n"
              << kStandaloneConfig;
  }
  std::cout << emulator::Emulator::controlApiHelp() << std::flush;
  int sig = 0;
  sigwait(&signals, &sig);
  (*emu)->stop();
  std::cout << "handover emulator stopped" << std::endl;
  return kExitOk;
}

}  // namespace cli
HANDOVER_END_NAMESPACE
