#pragma once
/// @file
/// Answers a Boost.Beast request through an `Endpoint`. Header-only; needs Boost.Beast
/// (Debian: `libboost-dev`); link the CMake target `handover::beast` (build tree, or an
/// installed handover with `find_package(handover CONFIG REQUIRED COMPONENTS beast)`). Programs
/// that do not include this header never depend on Boost.
///
/// @code
///   http::request_parser<http::string_body> parser;
///   parser.body_limit(endpoint.maxBodyBytes() + 1);  // every framing
///   http::read(stream, buffer, parser);
///   auto res = handover::webhook::handleBeastRequest(endpoint, "/webhook", parser.get());
///   http::write(stream, res);
/// @endcode
///
/// With Beast the server owns the connection: give each one a deadline for the whole request
/// (`beast::tcp_stream::expires_after`) so slow clients cannot hold it, as
/// `examples/beast_webhook_server.cpp` does. That is why it is the recommended adapter where
/// the server faces the Internet without a reverse proxy.

#include <boost/beast/http.hpp>

#include <string>
#include <string_view>

#include "handover/core/export.hpp"
#include "handover/endpoint/endpoint.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {
namespace detail {

/// `%XX` and `+` decoded (a query value); malformed escapes are kept as written.
inline std::string decodeQueryValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '+') {
      out += ' ';
    } else if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
      out += static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2]));
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}

/// The decoded value of `name` in the query of `target` ("" when absent).
inline std::string queryValue(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    if (decodeQueryValue(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : decodeQueryValue(pair.substr(eq + 1));
    }
  }
  return {};
}

}  // namespace detail

/// The answer to `req` for an endpoint mounted at `path`: GET the handshake, POST a delivery
/// (the endpoint answers 415 for any `Content-Encoding` but identity; Beast never inflates), 404
/// for another path, 405 for another method. Every header, repeated ones too, reaches the signature
/// check. Set the parser's `body_limit` to the endpoint's cap.
template <class Fields>
boost::beast::http::response<boost::beast::http::string_body> handleBeastRequest(
    Endpoint& endpoint, std::string_view path,
    const boost::beast::http::request<boost::beast::http::string_body, Fields>& req) {
  namespace http = boost::beast::http;
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view route = target.substr(0, target.find('?'));
  auto plain = [&](http::status status, const char* text) {
    res.result(status);
    res.set(http::field::content_type, "text/plain");
    res.body() = text;
    res.prepare_payload();
    return res;
  };
  if (route != path) return plain(http::status::not_found, "not found");
  EndpointResponse answer;
  if (req.method() == http::verb::get) {
    answer = endpoint.handleGet(detail::queryValue(target, "hub.mode"),
                                detail::queryValue(target, "hub.verify_token"),
                                detail::queryValue(target, "hub.challenge"));
  } else if (req.method() == http::verb::post) {
    HttpHeaders headers;
    for (const auto& field : req) {
      const std::string name(field.name_string().data(), field.name_string().size());
      const std::string value(field.value().data(), field.value().size());
      headers.emplace_back(name, value);
    }
    answer = endpoint.handlePost(headers, req.body());
  } else {
    res.set(http::field::allow, "GET, POST");
    return plain(http::status::method_not_allowed, "method not allowed");
  }
  res.result(static_cast<http::status>(answer.status));
  res.set(http::field::content_type, answer.content_type);
  for (const auto& [name, value] : answer.headers) res.set(name, value);
  res.body() = std::move(answer.body);
  res.prepare_payload();
  return res;
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
