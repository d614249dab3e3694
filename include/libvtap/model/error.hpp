#pragma once
/// @file
/// The exception hierarchy of libvtap. Every error names what is wrong.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace vtap {

/// Root of every error libvtap throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Text that does not parse: an address, a match, a JSON document.
class ParseError : public Error {
 public:
  using Error::Error;
};

/// Text that does not parse, in one named field of a document, e.g. `sender.mac` of a
/// policy's JSON: field() is that key path, also the start of what().
class FieldError : public ParseError {
 public:
  FieldError(std::string field, const std::string& message)
      : ParseError(field.empty() ? message : field + ": " + message), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

/// A topology that is inconsistent (duplicate names, dangling links, unknown switch).
class TopologyError : public Error {
 public:
  using Error::Error;
};

/// A policy that cannot be translated. Carries the policy id and the offending field
/// ("sender", "filter", ...), both also part of what().
class PolicyError : public Error {
 public:
  PolicyError(std::uint32_t policy_id, std::string field, const std::string& message)
      : Error("policy " + std::to_string(policy_id) + ": " + field + ": " + message),
        policy_id_(policy_id), field_(std::move(field)) {}
  std::uint32_t policy_id() const noexcept { return policy_id_; }
  const std::string& field() const noexcept { return field_; }

 private:
  std::uint32_t policy_id_;
  std::string field_;
};

/// A policy that names what its caller may not touch: another tenant's policy or VM.
/// field() names the part (`tenant`, `sender`, `receiver` or `monitor`).
class AccessError : public PolicyError {
 public:
  using PolicyError::PolicyError;
};

/// A policy (or other object) looked up by id that does not exist, or is not the caller's.
class NotFoundError : public Error {
 public:
  using Error::Error;
};

/// What cannot be done now but may succeed later: the database is unreachable, another
/// change of the same policy is still in progress, nodes did not acknowledge in time.
class UnavailableError : public Error {
 public:
  using Error::Error;
};

}  // namespace vtap
