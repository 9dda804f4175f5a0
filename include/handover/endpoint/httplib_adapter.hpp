#pragma once
/// @file
/// Mounts an `Endpoint` on a cpp-httplib `httplib::Server` in one call. Header-only; needs
/// cpp-httplib (Debian: `libcpp-httplib-dev`). Built with handover (add_subdirectory,
/// FetchContent), link the CMake target `handover::httplib`, which adds it; against an
/// installed handover, `find_package(handover CONFIG REQUIRED COMPONENTS httplib)` gives the
/// same target (it finds cpp-httplib through `pkg-config cpp-httplib`: its compile definitions
/// must match the library's). Programs that do not include this header never depend on
/// cpp-httplib.
///
/// @code
///   httplib::Server server;
///   handover::webhook::Endpoint endpoint(options, std::move(router), client);
///   handover::webhook::mountEndpoint(server, "/webhook", endpoint);
///   server.listen("127.0.0.1", 8080);
/// @endcode

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "handover/core/export.hpp"
#include "handover/endpoint/endpoint.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// Settings of `mountEndpoint`.
/// The body cap is the endpoint's own (`Endpoint::maxBodyBytes()`): a body above it is answered
/// 413 as soon as the excess arrives, whatever the framing (`Content-Length` or chunked).
struct HttplibMountOptions {
  /// Per-`recv`/`send` timeouts of the server (cpp-httplib has no whole-request bound: put a
  /// reverse proxy with one in front against slow clients, see README).
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds write_timeout{5};  ///< Per-`send` timeout.
};

namespace detail {

/// Copies an endpoint answer into cpp-httplib's response.
inline void send(const EndpointResponse& answer, httplib::Response& res) {
  res.status = answer.status;
  for (const auto& [name, value] : answer.headers) res.set_header(name, value);
  res.set_content(answer.body, answer.content_type);
}

}  // namespace detail

/// Serves the handshake (GET) and deliveries (POST) of `path` through `endpoint`, and sets the
/// server options a webhook needs: `TCP_NODELAY` (keep-alive acknowledgements are not held
/// back by Nagle's algorithm against delayed ACKs) and the timeouts.
///
/// The POST handler reads the body itself, so the size cap holds for every framing, and it
/// refuses any `Content-Encoding` but identity with 415 before reading: Meta sends none, and a
/// body must never be inflated before its signature is checked over the bytes on the wire.
/// Every header reaches the signature check, repeated ones too (two signature headers are
/// refused). `endpoint` must outlive the server's listening.
inline void mountEndpoint(httplib::Server& server, const std::string& path, Endpoint& endpoint,
                          const HttplibMountOptions& options = {}) {
  server.set_tcp_nodelay(true);
  server.set_read_timeout(static_cast<time_t>(options.read_timeout.count()), 0);
  server.set_write_timeout(static_cast<time_t>(options.write_timeout.count()), 0);
  server.Get(path, [&endpoint](const httplib::Request& req, httplib::Response& res) {
    detail::send(
        endpoint.handleGet(req.get_param_value("hub.mode"), req.get_param_value("hub.verify_token"),
                           req.get_param_value("hub.challenge")),
        res);
  });
  const std::size_t cap = endpoint.maxBodyBytes();
  server.Post(path, [&endpoint, cap](const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& read) {
    HttpHeaders headers;
    headers.reserve(req.headers.size());
    for (const auto& [name, value] : req.headers) headers.emplace_back(name, value);
    // Before reading: cpp-httplib would inflate an encoded body while reading it.
    if (auto refused = endpoint.refuseBeforeBody(headers)) {
      res.set_header("Connection", "close");
      detail::send(*refused, res);
      return;
    }
    std::string body;
    bool too_large = false;
    read([&](const char* data, std::size_t n) {
      // One byte past the cap is enough for the endpoint to answer 413 (and count it).
      const std::size_t room = cap + 1 - body.size();
      body.append(data, n < room ? n : room);
      too_large = body.size() > cap;
      return !too_large;
    });
    if (too_large) res.set_header("Connection", "close");
    detail::send(endpoint.handlePost(headers, body), res);
  });
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
