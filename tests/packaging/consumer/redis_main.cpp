// Links handover::redis from an installed package (find_package(handover COMPONENTS redis)):
// hiredis must come through the package. RedisStore connects lazily, so nothing needs to run.
#include <handover/redis/redis_store.hpp>

#include <cstdio>

int main() {
  handover::redis::RedisOptions options;
  options.port = 1;  // nothing listens there, and nothing is sent before the first call
  handover::redis::RedisStore store(options);
  std::printf("redis consumer ok\n");
  return 0;
}
