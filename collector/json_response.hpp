// JSON bodies for every collector answer, errors included, so clients never parse HTML or text.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "http.hpp"

namespace touchpoint::collector {

// Sets `status` and a JSON body. Invalid UTF-8 inside strings is replaced, never thrown on.
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

// {"error":{"code":code,"message":message}}; `code` is stable and machine-readable.
void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message);

// Serialises without throwing on invalid UTF-8 (replaced by U+FFFD).
std::string dump_json(const nlohmann::json& value);

}  // namespace touchpoint::collector
