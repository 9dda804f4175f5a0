#pragma once
// What every Graph command shares: the client from the environment and the Graph options, and
// the exit code and stderr line of a failed call (the CLI's exit-code contract).

#include <optional>

#include "args.hpp"
#include "handover/client/client.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {

/// The client (HANDOVER_ACCESS_TOKEN, HANDOVER_APP_SECRET, --page, --base-url, --api-version),
/// or nullopt with `exit_code` set after printing the usage problem.
std::optional<Client> makeClient(const Args& args, int& exit_code);

/// Prints a failed call's error and returns its exit code: 2 for a local refusal, 3 when the
/// request did not complete (or was redirected), 1 for a Graph or HTTP error.
int reportError(const Error& e);

}  // namespace cli
HANDOVER_END_NAMESPACE
