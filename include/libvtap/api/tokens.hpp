#pragma once
/// @file
/// Who is asking: bearer tokens mapped to tenants (docs/api.md, "Tokens and tenants").
///
/// A token file is one JSON object, token to tenant name, `"*"` for an administrator:
/// `{"s3cr3t-admin": "*", "tok-a": "tenant-a"}`. Tokens are compared in constant time and
/// never appear in an error message or a log.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "libvtap/service/controller.hpp"

namespace vtap::api {

class TokenTable {
 public:
  /// No tokens: every request over TCP is refused (the unix socket still works).
  TokenTable() = default;
  /// Reads a token file. Throws ParseError naming the file and the offending entry (by its
  /// tenant and position, never by the token).
  static TokenTable load(const std::filesystem::path& file);
  /// The same from a parsed JSON object; errors name `where`.
  static TokenTable from_json(const nlohmann::json& j, const std::string& where = "tokens");

  /// The caller a token stands for, or nullopt for an unknown token.
  std::optional<Caller> find(std::string_view token) const;
  /// The caller of an `Authorization: Bearer TOKEN` header value or an `X-Auth-Token`
  /// value (OpenStack's), whichever is given.
  std::optional<Caller> authenticate(std::string_view authorization, std::string_view auth_token) const;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, Caller>> entries_;
};

}  // namespace vtap::api
