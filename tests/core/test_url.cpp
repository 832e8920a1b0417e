#include <doctest/doctest.h>

#include "touchpoint/url.hpp"

using namespace touchpoint;

TEST_CASE("url::split takes scheme, host, path, query and fragment apart") {
  auto p = url::split("HTTPS://user:pw@WWW.Example.COM.:8443/a/b?x=1&y=2#/route?z=3");
  CHECK(p.scheme == "https");
  CHECK(p.host == "www.example.com");
  CHECK(p.path == "/a/b");
  CHECK(p.query == "x=1&y=2");
  CHECK(p.fragment == "/route?z=3");

  auto rel = url::split("/only/path?q#frag");
  CHECK(rel.scheme.empty());
  CHECK(rel.host.empty());
  CHECK(rel.path == "/only/path");
  CHECK(rel.query == "q");
  CHECK(rel.fragment == "frag");

  CHECK(url::split("//cdn.example.com/x").host == "cdn.example.com");
  CHECK(url::split("android-app://com.tencent.mm/").host == "com.tencent.mm");
  CHECK(url::split("http://[::1]:80/").host == "[::1]");
  CHECK(url::split("a#b?c").query.empty());  // '?' after '#' belongs to the fragment
  CHECK(url::split("").host.empty());
  CHECK(url::split("http://a\xFF" "b.com/").host == "a\xEF\xBF\xBD" "b.com");  // safe to put into JSON
  CHECK(url::split(std::string(20000, 'a')).path.size() == url::kMaxUrlBytes);
}

TEST_CASE("url::decode keeps invalid escapes and repairs UTF-8") {
  CHECK(url::decode("a%20b+c", true) == "a b c");
  CHECK(url::decode("a%20b+c", false) == "a b+c");
  CHECK(url::decode("%E6%98%A5%E5%AD%A3", true) == "\xE6\x98\xA5\xE5\xAD\xA3");  // 春季
  CHECK(url::decode("100%", true) == "100%");
  CHECK(url::decode("%4", true) == "%4");
  CHECK(url::decode("%zz%4g", true) == "%zz%4g");
  CHECK(url::decode("%2B", true) == "+");
  CHECK(url::decode("%25", true) == "%");
  CHECK(url::decode("%FF", true) == "\xEF\xBF\xBD");          // lone byte -> U+FFFD
  CHECK(url::decode("%E6%98", true) == "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut sequence
}

TEST_CASE("url::encode_component keeps only unreserved characters") {
  CHECK(url::encode_component("aZ9-._~") == "aZ9-._~");
  CHECK(url::encode_component("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
  CHECK(url::decode(url::encode_component("x y+z%"), true) == "x y+z%");
}

TEST_CASE("url::parse_query and fragment queries") {
  auto q = url::parse_query("a=1&b&&c=&d=x=y&a=2");
  REQUIRE(q.size() == 5);
  CHECK(q[0] == std::pair<std::string, std::string>{"a", "1"});
  CHECK(q[1] == std::pair<std::string, std::string>{"b", ""});
  CHECK(q[2] == std::pair<std::string, std::string>{"c", ""});
  CHECK(q[3] == std::pair<std::string, std::string>{"d", "x=y"});
  CHECK(*url::find(q, "a") == "1");  // first wins
  CHECK(url::find(q, "A") == nullptr);

  CHECK(url::fragment_query("/route?x=1") == "x=1");
  CHECK(url::fragment_query("!/p?x=1") == "x=1");
  CHECK(url::fragment_query("x=1&y=2") == "x=1&y=2");
  CHECK(url::fragment_query("section") == "");
  CHECK(url::fragment_query("/route") == "");
  CHECK(url::fragment_query("/a=b") == "");

  auto all = url::params("https://h/p?a=1#/r?b=2&a=3");
  REQUIRE(all.size() == 3);
  CHECK(*url::find(all, "a") == "1");
  CHECK(*url::find(all, "b") == "2");

  std::string many = "?";
  for (int i = 0; i < 1500; ++i) many += "k" + std::to_string(i) + "=v&";
  CHECK(url::params(many).size() == url::kMaxQueryParams);
}

TEST_CASE("url::remove_params and append_params keep the rest byte for byte") {
  CHECK(url::remove_params("https://h/p?a=1&tp_ref=x&b=%20#f", {"tp_ref"}) == "https://h/p?a=1&b=%20#f");
  CHECK(url::remove_params("https://h/p?tp_ref=x", {"tp_ref"}) == "https://h/p");
  CHECK(url::remove_params("https://h/p?tp%5Fref=x&k=1", {"tp_ref"}) == "https://h/p?k=1");  // decoded key
  CHECK(url::remove_params("https://h/#/r?tp_ref=x&k=1", {"tp_ref"}) == "https://h/#/r?k=1");
  CHECK(url::remove_params("https://h/#/r?tp_ref=x", {"tp_ref"}) == "https://h/#/r");
  CHECK(url::remove_params("https://h/#tp_ref=x", {"tp_ref"}) == "https://h/");
  CHECK(url::remove_params("https://h/#tp_ref=x&k=1", {"tp_ref"}) == "https://h/#k=1");
  CHECK(url::remove_params("https://h/#", {"tp_ref"}) == "https://h/#");
  CHECK(url::remove_params("https://h/#section", {"tp_ref"}) == "https://h/#section");

  CHECK(url::append_params("https://h/p", {{"a", "1"}}) == "https://h/p?a=1");
  CHECK(url::append_params("https://h/p?", {{"a", "1"}}) == "https://h/p?a=1");
  CHECK(url::append_params("https://h/p?x=1", {{"a", "b c"}, {"d", "&"}}) == "https://h/p?x=1&a=b%20c&d=%26");
  CHECK(url::append_params("https://h/p?x=1&#/r?y", {{"a", "1"}}) == "https://h/p?x=1&a=1#/r?y");
}

TEST_CASE("url::truncate_utf8 and host_is_under") {
  std::string s = "ab\xE6\x98\xA5";  // "ab春"
  url::truncate_utf8(s, 4);
  CHECK(s == "ab");
  std::string t = "abc";
  url::truncate_utf8(t, 10);
  CHECK(t == "abc");

  CHECK(url::host_is_under("m.baidu.com", "baidu.com"));
  CHECK(url::host_is_under("baidu.com", "baidu.com"));
  CHECK_FALSE(url::host_is_under("notbaidu.com", "baidu.com"));
  CHECK_FALSE(url::host_is_under("baidu.com.evil.cn", "baidu.com"));
  CHECK_FALSE(url::host_is_under("", "baidu.com"));
}
