// README's short form of a webhook server: `webhook::Endpoint` mounted on cpp-httplib. Run by
// CTest (readme_endpoint_server_runs): it serves on a free loopback port, posts a signed
// sample body to itself, and exits 0 once the handler ran.
//
//   usage: readme_endpoint_server [--help]

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "handover/testing/fake_connection.hpp"

// [readme:endpoint]
#include "handover/endpoint/endpoint.hpp"
#include "handover/endpoint/httplib_adapter.hpp"

using namespace handover::webhook;

// Answers the handshake, checks signatures, answers 200 once a body is queued, and runs the
// router on the endpoint's worker threads. Never returns while the server runs.
void serve(httplib::Server& server, Router router, const handover::Client& client,
           const std::string& app_secret, const std::string& verify_token, int port) {
  EndpointOptions options;
  options.app_secret = app_secret;
  options.verify_token = verify_token;
  options.on_event = [](const EndpointEvent& e) { std::cerr << e.message << "\n"; };
  Endpoint endpoint(options, std::move(router), client);  // MemoryQueue: see "Durability"
  mountEndpoint(server, "/webhook", endpoint);
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(endpoint.metricsText(), "text/plain; version=0.0.4");
  });
  server.listen("127.0.0.1", port);
  endpoint.stop();  // drains what is queued
}
// [/readme:endpoint]

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::cout << "usage: readme_endpoint_server [--help]\n"
                 "README's Endpoint snippet, run against itself on loopback: posts a signed\n"
                 "sample body, waits for the handler, exits 0 (1 on any other outcome).\n";
    return EXIT_SUCCESS;
  }
  const std::string secret = "readme-secret";
  const std::string body =
      R"({"object":"page","entry":[{"id":"106500000000001","time":1763770000000,"messaging":[)"
      R"({"sender":{"id":"7000000000000001"},"recipient":{"id":"106500000000001"},)"
      R"("timestamp":1763769999900,"message":{"mid":"m_1","text":"hello"}}]}]})";
  std::atomic<bool> handled{false};
  Router router;
  router.onMessage([&](Context&, const Message& m) { handled = m.text == "hello"; });
  const handover::Client client(std::make_shared<handover::testing::FakeConnection>());

  // A free port: bind one with a plain socket, close it, serve on it. (An httplib probe server
  // would keep listening with SO_REUSEPORT and take half the connections, unanswered.)
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::cerr << "no free loopback port\n";
      return EXIT_FAILURE;
    }
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  httplib::Server server;
  std::thread runner([&] { serve(server, std::move(router), client, secret, "vt", port); });
  int status = 0;
  {
    // Closed before the server stops: an open keep-alive connection would hold stop() until
    // the server's read timeout.
    httplib::Client http("127.0.0.1", port);
    http.set_keep_alive(false);
    for (int i = 0; i < 200 && status == 0; ++i) {
      auto res =
          http.Post("/webhook", {{"X-Hub-Signature-256", signatureHeaderValue(body, secret)}}, body,
                    "application/json");
      if (res) status = res->status;
      if (!res) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  for (int i = 0; i < 500 && !handled; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  server.stop();
  runner.join();
  std::cout << "POST answered " << status << ", handler ran: " << (handled ? "yes" : "no") << "\n";
  return status == 200 && handled ? EXIT_SUCCESS : EXIT_FAILURE;
}
