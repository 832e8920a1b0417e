#include <doctest/doctest.h>

#include "access_policy.hpp"

namespace tc = touchpoint::collector;

TEST_CASE("access: no write keys configured means open ingestion") {
  tc::AccessPolicy open({}, "", {});
  CHECK(open.ingestion_open());
  CHECK(open.check_write_key(std::nullopt, std::nullopt) == tc::WriteKeyCheck::open);
}

TEST_CASE("access: write keys from the query win over the body; empty and unknown are refused") {
  tc::AccessPolicy p({"shop", "kiosk"}, "", {});
  CHECK(p.check_write_key(std::string("shop"), std::nullopt) == tc::WriteKeyCheck::accepted);
  CHECK(p.check_write_key(std::nullopt, std::string("kiosk")) == tc::WriteKeyCheck::accepted);
  CHECK(p.check_write_key(std::string("evil"), std::string("shop")) == tc::WriteKeyCheck::unknown);
  CHECK(p.check_write_key(std::nullopt, std::nullopt) == tc::WriteKeyCheck::missing);
  CHECK(p.check_write_key(std::string(""), std::nullopt) == tc::WriteKeyCheck::missing);
  CHECK(p.check_write_key(std::string("SHOP"), std::nullopt) == tc::WriteKeyCheck::unknown);
}

TEST_CASE("access: bearer tokens") {
  tc::AccessPolicy p({}, "0123456789abcdef", {});
  CHECK(p.admin_authorized("Bearer 0123456789abcdef"));
  CHECK(p.admin_authorized("bearer   0123456789abcdef "));
  CHECK_FALSE(p.admin_authorized(""));
  CHECK_FALSE(p.admin_authorized("Bearer 0123456789abcdeF"));
  CHECK_FALSE(p.admin_authorized("Basic 0123456789abcdef"));
  CHECK_FALSE(p.admin_authorized("Bearer"));
  CHECK_FALSE(p.admin_authorized("Bearer 0123456789abcde"));
  CHECK(tc::AccessPolicy({}, "", {}).admin_authorized(""));
  CHECK(tc::bearer_token("Bearer x").value() == "x");
  CHECK_FALSE(tc::bearer_token("Bearerx"));
}

TEST_CASE("access: origins for read APIs") {
  tc::AccessPolicy p({}, "", {"https://ops.example"});
  CHECK(p.read_origin_allowed("", "http://127.0.0.1:8787"));
  CHECK(p.read_origin_allowed("http://127.0.0.1:8787", "http://127.0.0.1:8787"));
  CHECK(p.read_origin_allowed("https://ops.example", ""));
  CHECK_FALSE(p.read_origin_allowed("https://evil.example", "http://127.0.0.1:8787"));
  CHECK_FALSE(p.read_origin_allowed("null", ""));
}

TEST_CASE("access: read API paths") {
  CHECK(tc::is_read_api_path("/v1/events"));
  CHECK(tc::is_read_api_path("/v1/users/alice"));
  CHECK(tc::is_read_api_path("/v1/stats"));
  CHECK(tc::is_read_api_path("/v1/dashboard/overview"));
  CHECK_FALSE(tc::is_read_api_path("/v1/batch"));
  CHECK_FALSE(tc::is_read_api_path("/v1/rules"));
  CHECK_FALSE(tc::is_read_api_path("/examples/h5/"));
}

TEST_CASE("access: constant-time equality") {
  CHECK(tc::constant_time_equal("abc", "abc"));
  CHECK_FALSE(tc::constant_time_equal("abc", "abd"));
  CHECK_FALSE(tc::constant_time_equal("abc", "abcd"));
}
