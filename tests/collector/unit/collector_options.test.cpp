#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "collector_options.hpp"

namespace tc = touchpoint::collector;

namespace {
std::optional<tc::CollectorOptions> parse(std::vector<std::string> args, std::string* message = nullptr,
                                          int* code = nullptr) {
  args.insert(args.begin(), "touchpoint-collector");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::string m;
  int c = -1;
  auto r = tc::parse_collector_options(static_cast<int>(argv.size()), argv.data(), &m, &c);
  if (message) *message = m;
  if (code) *code = c;
  return r;
}
}  // namespace

TEST_CASE("options: defaults are a loopback development server") {
  auto o = parse({});
  REQUIRE(o);
  CHECK(o->host == "127.0.0.1");
  CHECK(o->port == 8787);
  CHECK(o->write_keys.empty());
  CHECK(o->admin_token.empty());
  CHECK(o->max_batch_events == 2000);
}

TEST_CASE("options: repeatable write keys and origins, both flag forms") {
  auto o = parse({"--write-key", "k1", "--write-key=k2", "--allow-origin", "https://shop.example",
                  "--allow-origin=http://127.0.0.1:8080", "--admin-token", "0123456789abcdef"});
  REQUIRE(o);
  CHECK(o->write_keys == std::vector<std::string>{"k1", "k2"});
  CHECK(o->allowed_origins == std::vector<std::string>{"https://shop.example", "http://127.0.0.1:8080"});
  CHECK(o->admin_token == "0123456789abcdef");
}

TEST_CASE("options: refuses weak secrets, bad origins and bad numbers with exit code 2") {
  std::string message;
  int code = 0;
  CHECK_FALSE(parse({"--admin-token", "short"}, &message, &code));
  CHECK(code == 2);
  CHECK(message.find("16 characters") != std::string::npos);
  CHECK_FALSE(parse({"--identity-secret", "short"}));
  CHECK_FALSE(parse({"--allow-origin", "https://shop.example/path"}));
  CHECK_FALSE(parse({"--allow-origin", "shop.example"}));
  CHECK_FALSE(parse({"--allow-origin", "ftp://shop.example"}));
  CHECK_FALSE(parse({"--write-key", ""}));
  CHECK_FALSE(parse({"--max-events", "0"}));
  CHECK_FALSE(parse({"--port", "65536"}));
  CHECK_FALSE(parse({"--bogus"}, &message, &code));
  CHECK(message.find("unknown argument") != std::string::npos);
}

TEST_CASE("options: --help prints usage with exit code 0") {
  std::string message;
  int code = -1;
  CHECK_FALSE(parse({"--help"}, &message, &code));
  CHECK(code == 0);
  CHECK(message.find("--write-key") != std::string::npos);
}

TEST_CASE("options: secrets from the environment unless a flag set them") {
  tc::CollectorOptions o;
  CHECK_FALSE(tc::apply_secret_environment(&o, "env-token-0123456789", nullptr));
  CHECK(o.admin_token == "env-token-0123456789");
  o.admin_token = "flag-token-0123456789";
  CHECK_FALSE(tc::apply_secret_environment(&o, "env-token-0123456789", "env-secret-0123456789"));
  CHECK(o.admin_token == "flag-token-0123456789");
  CHECK(o.identity_secret == "env-secret-0123456789");
  tc::CollectorOptions weak;
  CHECK(tc::apply_secret_environment(&weak, "short", nullptr));
}
