#include "libvtap/api/tokens.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "libvtap/model/error.hpp"

namespace vtap::api {
namespace {

// Equal without an early exit on the first difference: the time taken says nothing about
// how much of a token a guess got right.
bool same(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

TokenTable TokenTable::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw ParseError(where + ": must be an object mapping each token to a tenant (\"*\": administrator)");
  TokenTable t;
  std::size_t position = 0;
  for (const auto& [token, tenant] : j.items()) {
    ++position;
    const std::string entry = where + ": entry " + std::to_string(position);
    if (!tenant.is_string() || tenant.get<std::string>().empty())
      throw ParseError(entry + ": the tenant must be a non-empty string");
    const auto name = tenant.get<std::string>();
    if (token.size() < 8) throw ParseError(entry + " (tenant \"" + name + "\"): a token needs at least 8 characters");
    if (token.find_first_of(" \t\r\n") != std::string::npos)
      throw ParseError(entry + " (tenant \"" + name + "\"): a token cannot contain white space");
    t.entries_.emplace_back(token, name == "*" ? Caller::administrator() : Caller::of_tenant(name));
  }
  return t;
}

TokenTable TokenTable::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw ParseError(file.string() + ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error&) {
    throw ParseError(file.string() + ": invalid JSON");  // the parser's message may quote a token
  }
  return from_json(j, file.string());
}

std::optional<Caller> TokenTable::find(std::string_view token) const {
  std::optional<Caller> found;
  for (const auto& [t, caller] : entries_)
    if (same(t, token) && !found) found = caller;  // every entry is compared, found or not
  return found;
}

std::optional<Caller> TokenTable::authenticate(std::string_view authorization, std::string_view auth_token) const {
  authorization = trim(authorization);
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.size() > bearer.size()) {
    std::string scheme(authorization.substr(0, bearer.size()));
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "bearer ") return find(trim(authorization.substr(bearer.size())));
    return std::nullopt;
  }
  if (!authorization.empty()) return std::nullopt;
  auth_token = trim(auth_token);
  if (auth_token.empty()) return std::nullopt;
  return find(auth_token);
}

}  // namespace vtap::api
