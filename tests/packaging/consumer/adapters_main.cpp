// Links handover::httplib and handover::beast from an installed package
// (find_package(handover COMPONENTS httplib beast)): an Endpoint mounted on a cpp-httplib server
// answers the subscribe handshake over loopback, and the Beast adapter refuses an unsigned POST.
#include <handover/endpoint/beast_adapter.hpp>
#include <handover/endpoint/httplib_adapter.hpp>
#include <handover/testing/fake_connection.hpp>

#include <cstdio>
#include <memory>
#include <thread>

int main() {
  handover::webhook::EndpointOptions options;
  options.app_secret = "consumer-secret";
  options.verify_token = "consumer-token";
  handover::webhook::Endpoint endpoint(
      options, handover::webhook::Router{},
      handover::Client(std::make_shared<handover::testing::FakeConnection>()));

  httplib::Server server;
  handover::webhook::mountEndpoint(server, "/webhook", endpoint);
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server.listen_after_bind(); });
  httplib::Client client("127.0.0.1", port);
  auto hello =
      client.Get("/webhook?hub.mode=subscribe&hub.verify_token=consumer-token&hub.challenge=c42");
  server.stop();
  listener.join();
  if (!hello || hello->status != 200 || hello->body != "c42") {
    std::fprintf(stderr, "adapters consumer: the handshake over cpp-httplib failed\n");
    return 1;
  }

  namespace http = boost::beast::http;
  http::request<http::string_body> post{http::verb::post, "/webhook", 11};
  post.body() = R"({"object":"page","entry":[]})";
  post.prepare_payload();
  const auto refused = handover::webhook::handleBeastRequest(endpoint, "/webhook", post);
  if (refused.result_int() != 403) {
    std::fprintf(stderr, "adapters consumer: Beast answered %u to an unsigned POST\n",
                 refused.result_int());
    return 1;
  }
  endpoint.stop();
  std::printf("adapters consumer ok\n");
  return 0;
}
