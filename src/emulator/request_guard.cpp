// Part of Emulator::Impl (emulator_impl.hpp): who may drive the control API. People leave the
// emulator running while they browse, so a web page on another origin must not be able to
// drive it: state-changing requests must be JSON (a form or an image cannot send that without a
// CORS preflight, which the emulator never grants) from no origin or the emulator's own, the
// Host must be the address it serves (DNS rebinding), and beyond loopback every control request
// carries the per-run token. The Graph API keeps its own authentication (tokens, proofs).

#include <openssl/rand.h>

#include <string>
#include <string_view>

#include "../core/crypto.hpp"
#include "emulator_impl.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool isLoopbackName(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
}

// "name:port" or "[v6]:port" into (name, port text); the port is empty when absent.
std::pair<std::string, std::string> splitHostPort(std::string_view value) {
  if (!value.empty() && value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string_view::npos) return {std::string(value), ""};
    const std::string name(value.substr(0, close + 1));
    if (close + 1 < value.size() && value[close + 1] == ':') {
      return {name, std::string(value.substr(close + 2))};
    }
    return {name, ""};
  }
  const auto colon = value.rfind(':');
  if (colon == std::string_view::npos) return {std::string(value), ""};
  return {std::string(value.substr(0, colon)), std::string(value.substr(colon + 1))};
}

void refuse(httplib::Response& res, int status, const std::string& why) {
  res.status = status;
  res.set_content(errorBody(handover::detail::invalidArgument("emulator control API: " + why)),
                  "application/json");
}

}  // namespace

bool Emulator::Impl::servesBeyondLoopback() const {
  return !isLoopbackName(host);
}

std::string Emulator::Impl::newControlToken() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw Exception(
        handover::detail::invalidArgument("emulator: no random bytes for the control API token"));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

// The Host a request names is one this emulator serves: a loopback name (or the configured host)
// with its port. Beyond loopback any name may reach it: the token guards it there.
bool Emulator::Impl::hostAllowed(const httplib::Request& req) const {
  const auto it = req.headers.find("Host");
  if (it == req.headers.end()) return false;
  const auto [name, port_text] = splitHostPort(lower(it->second));
  if (!port_text.empty() && port_text != std::to_string(port)) return false;
  if (servesBeyondLoopback()) return true;
  return isLoopbackName(name) || name == lower(host);
}

bool Emulator::Impl::guardControl(const httplib::Request& req, httplib::Response& res) {
  if (req.path.rfind("/_emulator", 0) != 0) return true;  // the Graph API authenticates itself
  if (!hostAllowed(req)) {
    refuse(res, 403, "the Host header is not an address this emulator serves");
    return false;
  }
  const bool reads = req.method == "GET" || req.method == "HEAD";
  if (!reads) {
    // A form or a script's "simple" request can POST cross-site without asking; JSON cannot.
    // Other methods (DELETE...) need a preflight the emulator never answers.
    const std::string type = lower(req.get_header_value("Content-Type"));
    if (req.method == "POST" && type.substr(0, type.find(';')) != "application/json") {
      refuse(res, 415, "a POST must be Content-Type: application/json");
      return false;
    }
    const auto origin = req.headers.find("Origin");
    if (origin != req.headers.end()) {
      const std::string own_host = lower(req.get_header_value("Host"));
      if (lower(origin->second) != "http://" + own_host) {
        refuse(res, 403, "requests from another origin may not drive the emulator");
        return false;
      }
    }
  }
  // The inspector's page and scripts are public; what they read and change is not.
  const bool static_ui = reads && req.path.rfind("/_emulator/ui", 0) == 0;
  if (!control_token.empty() && !static_ui) {
    std::string given = req.get_header_value("X-Handover-Emulator-Token");
    if (given.empty()) {
      const std::string auth = req.get_header_value("Authorization");
      if (auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
    }
    if (!handover::detail::constantTimeEquals(given, control_token)) {
      refuse(res, 401, "bound beyond loopback: send the run's token as X-Handover-Emulator-Token");
      return false;
    }
  }
  return true;
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
