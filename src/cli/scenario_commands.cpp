// `handover emulator test SCENARIO.json` and `handover emulator record`: scenario tests for
// users' CI, over an emulator this process starts (or one already running, with --url).

#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "handover/emulator/emulator.hpp"
#include "handover/emulator/scenario.hpp"
#include "standalone_config.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {
namespace {

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out.flush());
}

}  // namespace

int cmdEmulatorTest(const Args& args) {
  if (args.positionals.size() != 2) {
    return usageError(currentCommand(), "emulator test needs one SCENARIO file");
  }
  const std::string& file = args.positionals[1];
  const auto url = args.value("--url");
  if (url && (args.value("--config") || args.value("--port") || args.value("--host"))) {
    return usageError(currentCommand(),
                      "--url runs against a running emulator: --config, --port and --host are "
                      "for the one this command starts");
  }
  int port = 0;
  if (!portOption(args, port))
    return usageError(currentCommand(), "--port must be from 0 to 65535");
  auto scenario = emulator::loadScenarioFile(file);
  if (!scenario) {
    std::cerr << "handover emulator test: " << scenario.error().message << "\n";
    return kExitUsage;
  }
  std::unique_ptr<emulator::Emulator> emu;
  std::string base_url = url.value_or("");
  if (!url) {
    Result<emulator::Config> config = handover::detail::invalidArgument("no config");
    if (auto path = args.value("--config")) {
      config = emulator::loadConfigFile(*path);
    } else if (scenario->config) {
      config = *scenario->config;
    } else {
      config = emulator::parseConfig(kStandaloneConfig);
    }
    if (!config) {
      std::cerr << "handover emulator test: " << config.error().message << "\n";
      return kExitUsage;
    }
    emu = std::make_unique<emulator::Emulator>(std::move(*config));
    emu->setConsole(
        [](const std::string& line) { std::cerr << "handover emulator: " << line << std::endl; });
    auto bound = emu->start(args.valueOr("--host", "127.0.0.1"), port);
    if (!bound) {
      // Where to run is an argument: a busy port is the caller's to change (exit 2).
      std::cerr << "handover emulator test: " << bound.error().message
                << "; choose another with --port, or run against it with --url\n";
      return kExitUsage;
    }
    base_url = emu->baseUrl();
    std::cout << "handover emulator listening on " << base_url << std::endl;
  }
  const auto report = emulator::runScenario(*scenario, base_url, &std::cout);
  std::cout << std::flush;
  if (emu) emu->stop();
  if (auto junit = args.value("--junit")) {
    if (!writeFile(*junit, report.junitXml())) {
      std::cerr << "handover emulator test: cannot write " << *junit << "\n";
      return kExitFailure;
    }
  }
  return report.passed() ? kExitOk : kExitFailure;
}

int cmdEmulatorRecord(const Args& args) {
  if (args.positionals.size() != 1) {
    return usageError(currentCommand(), "emulator record takes no file; use --out FILE");
  }
  const std::string url = args.valueOr("--url", "http://127.0.0.1:8080");
  auto skeleton = emulator::recordScenario(url);
  if (!skeleton) {
    std::cerr << "handover emulator record: " << skeleton.error().message << "\n";
    return skeleton.error().category == ErrorCategory::kTransport ? kExitTransport : kExitFailure;
  }
  if (auto out = args.value("--out")) {
    if (!writeFile(*out, *skeleton)) {
      std::cerr << "handover emulator record: cannot write " << *out << "\n";
      return kExitFailure;
    }
    std::cerr << "handover emulator record: wrote " << *out << "\n";
    return kExitOk;
  }
  std::cout << *skeleton;
  return kExitOk;
}

}  // namespace cli
HANDOVER_END_NAMESPACE
