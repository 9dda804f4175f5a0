// `handover emulator`: the local Messenger Platform as a foreground process. Stops cleanly on
// SIGINT/SIGTERM, taken by sigwait in the main thread (no work inside a signal handler).

#include <signal.h>

#include <iostream>

#include "commands.hpp"
#include "handover/emulator/emulator.hpp"

namespace handover::cli {

int cmdEmulator(const Args& args) {
  const auto path = args.value("--config");
  if (!path) return usageError(currentCommand(), "--config is required");
  int port = 0;
  if (auto p = args.value("--port")) {
    auto n = parseInteger(*p);
    if (!n || *n < 0 || *n > 65535) {
      return usageError(currentCommand(), "--port must be from 0 to 65535");
    }
    port = static_cast<int>(*n);
  }
  const std::string host = args.valueOr("--host", "127.0.0.1");

  // Block the signals before the emulator starts its threads so they all inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto emu = emulator::Emulator::fromFile(*path);
  if (!emu) {
    std::cerr << "handover: cannot load " << *path << ": " << emu.error().message << "\n";
    return kExitFailure;
  }
  auto bound = (*emu)->start(host, port);
  if (!bound) {
    std::cerr << "handover: cannot listen on " << host << ":" << port << ": "
              << bound.error().message << "\n";
    return kExitFailure;
  }
  // First line is machine-readable so scripts can pick the port when --port 0.
  std::cout << "handover emulator listening on " << (*emu)->baseUrl() << std::endl;
  std::cout << emulator::Emulator::controlApiHelp() << std::flush;
  int sig = 0;
  sigwait(&signals, &sig);
  (*emu)->stop();
  std::cout << "handover emulator stopped" << std::endl;
  return kExitOk;
}

}  // namespace handover::cli
