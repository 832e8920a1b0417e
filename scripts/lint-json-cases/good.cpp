// Nothing below may be reported by scripts/lint-json.py (its self-test checks it).
void good(const nlohmann::json& j, nlohmann::json& m, std::string s) {
  auto b = nlohmann::json::parse(s, nullptr, false);
  if (j.is_string()) s = j.get<std::string>();
  m["k"] = 1;
  const auto& x = json_access::member(j, "x");
  for (auto& e : x.items()) {}
  std::string g = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto d = j["k"];  // json-ok: self-test of the allow-list comment
  auto it = j.find("k");  // at( ["k"] dump( inside a comment or "j.at(1) [\"k\"]" a string is not code
}
