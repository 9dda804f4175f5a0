// Uses handover::emulator from an installed package (find_package(handover COMPONENTS emulator)
// or pkg-config handover-emulator): starts the in-process emulator, passes a thread from the bot
// to the agent app and reads the owner back through the SDK's client.
#include <handover/client/client.hpp>
#include <handover/emulator/emulator.hpp>

#include <cstdio>
#include <string>

namespace {

constexpr const char* kWorld = R"({
  "pages": [{"id": "100000000000001", "name": "Consumer Shop", "platform": "messenger",
             "era": "legacy"}],
  "apps": [{"id": "500000000000001", "name": "Bot", "role": "primary",
            "page_access_token": "bot-token", "app_secret": "bot-secret"},
           {"id": "500000000000002", "name": "Agent", "role": "secondary",
            "page_access_token": "agent-token", "app_secret": "agent-secret"}]
})";

int fail(const char* what, const std::string& why) {
  std::fprintf(stderr, "emulator consumer: %s: %s\n", what, why.c_str());
  return 1;
}

}  // namespace

int main() {
  auto emulator = handover::emulator::Emulator::fromJson(kWorld);
  if (!emulator) return fail("config", emulator.error().toString());
  if (auto port = (*emulator)->start("127.0.0.1", 0); !port) {
    return fail("start", port.error().toString());
  }
  handover::ClientOptions options;
  options.base_url = (*emulator)->baseUrl();
  options.access_token = "bot-token";
  options.app_id = "500000000000001";
  handover::Client bot(options);
  const std::string user = "6543210987654321";
  handover::emulator::UserMessage hello;
  hello.page_id = "100000000000001";
  hello.user_id = user;
  hello.text = "hello";
  if (auto sent = (*emulator)->sendUserMessage(hello); !sent) {
    return fail("user message", sent.error().toString());
  }
  if (auto passed = bot.passThreadControl(user, "500000000000002", "to a human"); !passed) {
    return fail("pass_thread_control", passed.error().toString());
  }
  auto owner = bot.getThreadOwner(user);
  if (!owner) return fail("thread_owner", owner.error().toString());
  if (!owner->isOwnedBy("500000000000002")) {
    return fail("thread_owner", "owner is " + owner->app_id.value_or("not disclosed"));
  }
  (*emulator)->stop();
  std::printf("emulator consumer ok: the agent app owns the thread\n");
  return 0;
}
