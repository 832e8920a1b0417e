// Each line below must be reported by scripts/lint-json.py (its self-test counts them).
void bad(const nlohmann::json& j, nlohmann::json& m, std::string s) {
  auto a = j.at("k");
  auto b = nlohmann::json::parse(s);
  for (auto& e : make_json().items()) {}
  for (auto& e : m["x"].items()) {}
  int c = j.value("n", 0);
  auto d = j["k"];
  int e = m.get<int>();
  auto f = *j.get_ptr<const std::string*>();
  std::string g = j.dump();
  int h = std::stoi(s);
}
