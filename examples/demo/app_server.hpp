#pragma once
// The plumbing both demo apps share: a loopback webhook server (`webhook::Endpoint` on
// cpp-httplib: signature check, queue, one worker running the Router) and one Client per Page.
// Built only from handover's public headers and cpp-httplib, like a user's own app would be.
//
// Command line of an app:   --port N  --app-id ID  [--graph-url URL | --graph-url -]
// Environment:              HANDOVER_APP_SECRET   the app secret (signatures, appsecret_proof)
//                           HANDOVER_PAGE_TOKENS  "PAGE_ID=TOKEN,PAGE_ID=TOKEN"
// With `--graph-url -` the app is supervised: it prints "listening on URL", reads the Graph base
// URL from the first line of stdin, and stops when stdin closes (its parent went away).

#include <functional>
#include <string>

#include "handover/webhook/router.hpp"

namespace demo {

/// What an app knows about itself, for its handlers.
struct AppInfo {
  std::string name;         ///< "bot" or "agent", prefixes log lines.
  std::string app_id;       ///< This app's id.
  std::string peer_app_id;  ///< The other demo app's id (--peer-app-id), may be empty.
};

/// Prints one log line "[name] text" (thread-safe, flushed).
void say(const AppInfo& app, const std::string& text);

/// Parses the command line and environment, builds the router with `make_router`, serves until
/// stopped. Returns the process exit code.
int runApp(int argc, char** argv, const std::string& name,
           const std::function<handover::webhook::Router(const AppInfo&)>& make_router);

/// True when `text` contains `word` (ASCII case-insensitive).
bool mentions(const std::string& text, const std::string& word);

}  // namespace demo
