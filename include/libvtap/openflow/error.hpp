#pragma once
/// @file
/// OpenFlow error codes (OpenFlow 1.5.1 §7.5.4) and the exception every decoder throws.
///
/// A decoder that meets bytes it cannot accept throws DecodeError carrying the
/// (`ofp_error_msg.type`, `ofp_error_msg.code`) pair a switch would answer with, e.g.
/// OFPET_BAD_ACTION/OFPBAC_BAD_LEN, so a controller can reply with a typed error and a
/// test can say precisely which check fired.

#include <cstdint>
#include <string>
#include <string_view>

#include "libvtap/error.hpp"

namespace vtap::openflow {

/// One OpenFlow error: `type` is an OFPET_* value, `code` the type-specific OFP*C_* value.
struct ErrorCode {
  std::uint16_t type = 0;
  std::uint16_t code = 0;
  friend constexpr bool operator==(ErrorCode, ErrorCode) = default;
};

/// OFPET_* error types used by libvtap.
namespace error_type {
inline constexpr std::uint16_t bad_request = 1;       ///< OFPET_BAD_REQUEST
inline constexpr std::uint16_t bad_action = 2;        ///< OFPET_BAD_ACTION
inline constexpr std::uint16_t bad_instruction = 3;   ///< OFPET_BAD_INSTRUCTION
inline constexpr std::uint16_t bad_match = 4;         ///< OFPET_BAD_MATCH
inline constexpr std::uint16_t meter_mod_failed = 12; ///< OFPET_METER_MOD_FAILED
}  // namespace error_type

/// The error codes libvtap's decoders produce. Names follow the spec without the prefix:
/// `bac_bad_len` is OFPET_BAD_ACTION/OFPBAC_BAD_LEN.
namespace errors {
// OFPET_BAD_REQUEST
inline constexpr ErrorCode brc_bad_version{error_type::bad_request, 0};
inline constexpr ErrorCode brc_bad_type{error_type::bad_request, 1};
inline constexpr ErrorCode brc_bad_len{error_type::bad_request, 6};
// OFPET_BAD_ACTION
inline constexpr ErrorCode bac_bad_type{error_type::bad_action, 0};
inline constexpr ErrorCode bac_bad_len{error_type::bad_action, 1};
inline constexpr ErrorCode bac_bad_experimenter{error_type::bad_action, 2};
inline constexpr ErrorCode bac_bad_exp_type{error_type::bad_action, 3};
inline constexpr ErrorCode bac_bad_out_port{error_type::bad_action, 4};
inline constexpr ErrorCode bac_bad_argument{error_type::bad_action, 5};
inline constexpr ErrorCode bac_bad_set_type{error_type::bad_action, 13};
inline constexpr ErrorCode bac_bad_set_len{error_type::bad_action, 14};
inline constexpr ErrorCode bac_bad_set_argument{error_type::bad_action, 15};
/// OpenFlow 1.5 code; OpenFlow 1.3/1.4 carry it as ONF experimenter error 4250.
inline constexpr ErrorCode bac_bad_set_mask{error_type::bad_action, 16};
/// OpenFlow 1.5: invalid meter id in OFPAT_METER.
inline constexpr ErrorCode bac_bad_meter{error_type::bad_action, 17};
// OFPET_BAD_INSTRUCTION
inline constexpr ErrorCode bic_unknown_inst{error_type::bad_instruction, 0};
inline constexpr ErrorCode bic_unsup_inst{error_type::bad_instruction, 1};
inline constexpr ErrorCode bic_bad_experimenter{error_type::bad_instruction, 5};
inline constexpr ErrorCode bic_bad_len{error_type::bad_instruction, 7};
inline constexpr ErrorCode bic_dup_inst{error_type::bad_instruction, 9};
// OFPET_BAD_MATCH
inline constexpr ErrorCode bmc_bad_type{error_type::bad_match, 0};
inline constexpr ErrorCode bmc_bad_len{error_type::bad_match, 1};
inline constexpr ErrorCode bmc_bad_wildcards{error_type::bad_match, 5};
inline constexpr ErrorCode bmc_bad_field{error_type::bad_match, 6};
inline constexpr ErrorCode bmc_bad_value{error_type::bad_match, 7};
inline constexpr ErrorCode bmc_bad_mask{error_type::bad_match, 8};
inline constexpr ErrorCode bmc_bad_prereq{error_type::bad_match, 9};
inline constexpr ErrorCode bmc_dup_field{error_type::bad_match, 10};
// OFPET_METER_MOD_FAILED
inline constexpr ErrorCode mmfc_invalid_meter{error_type::meter_mod_failed, 2};
}  // namespace errors

/// The spec name of `e`, such as "OFPBAC_BAD_LEN"; "OFPERR_UNKNOWN" for codes libvtap
/// does not name.
constexpr std::string_view error_name(ErrorCode e) noexcept {
  constexpr struct {
    ErrorCode code;
    std::string_view name;
  } kNames[] = {
      {errors::brc_bad_version, "OFPBRC_BAD_VERSION"},
      {errors::brc_bad_type, "OFPBRC_BAD_TYPE"},
      {errors::brc_bad_len, "OFPBRC_BAD_LEN"},
      {errors::bac_bad_type, "OFPBAC_BAD_TYPE"},
      {errors::bac_bad_len, "OFPBAC_BAD_LEN"},
      {errors::bac_bad_experimenter, "OFPBAC_BAD_EXPERIMENTER"},
      {errors::bac_bad_exp_type, "OFPBAC_BAD_EXP_TYPE"},
      {errors::bac_bad_out_port, "OFPBAC_BAD_OUT_PORT"},
      {errors::bac_bad_argument, "OFPBAC_BAD_ARGUMENT"},
      {errors::bac_bad_set_type, "OFPBAC_BAD_SET_TYPE"},
      {errors::bac_bad_set_len, "OFPBAC_BAD_SET_LEN"},
      {errors::bac_bad_set_argument, "OFPBAC_BAD_SET_ARGUMENT"},
      {errors::bac_bad_set_mask, "OFPBAC_BAD_SET_MASK"},
      {errors::bac_bad_meter, "OFPBAC_BAD_METER"},
      {errors::bic_unknown_inst, "OFPBIC_UNKNOWN_INST"},
      {errors::bic_unsup_inst, "OFPBIC_UNSUP_INST"},
      {errors::bic_bad_experimenter, "OFPBIC_BAD_EXPERIMENTER"},
      {errors::bic_bad_len, "OFPBIC_BAD_LEN"},
      {errors::bic_dup_inst, "OFPBIC_DUP_INST"},
      {errors::bmc_bad_type, "OFPBMC_BAD_TYPE"},
      {errors::bmc_bad_len, "OFPBMC_BAD_LEN"},
      {errors::bmc_bad_wildcards, "OFPBMC_BAD_WILDCARDS"},
      {errors::bmc_bad_field, "OFPBMC_BAD_FIELD"},
      {errors::bmc_bad_value, "OFPBMC_BAD_VALUE"},
      {errors::bmc_bad_mask, "OFPBMC_BAD_MASK"},
      {errors::bmc_bad_prereq, "OFPBMC_BAD_PREREQ"},
      {errors::bmc_dup_field, "OFPBMC_DUP_FIELD"},
      {errors::mmfc_invalid_meter, "OFPMMFC_INVALID_METER"},
  };
  for (const auto& entry : kNames) {
    if (entry.code == e) return entry.name;
  }
  return "OFPERR_UNKNOWN";
}

/// Bytes from the wire that a decoder rejects. what() is "NAME: detail", e.g.
/// "OFPBAC_BAD_LEN: action at offset 16 has length 12, not a multiple of 8".
class DecodeError : public Error {
 public:
  DecodeError(ErrorCode error, std::string_view detail)
      : Error(std::string(error_name(error)) + ": " + std::string(detail)), error_(error) {}

  /// The OpenFlow error a switch would answer with.
  ErrorCode error() const noexcept { return error_; }
  /// The OFPET_* type.
  std::uint16_t type() const noexcept { return error_.type; }
  /// The type-specific code.
  std::uint16_t code() const noexcept { return error_.code; }
  /// The spec name, e.g. "OFPBMC_DUP_FIELD".
  std::string_view name() const noexcept { return error_name(error_); }

 private:
  ErrorCode error_;
};

}  // namespace vtap::openflow
