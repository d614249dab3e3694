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

#include "libvtap/model/error.hpp"

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
inline constexpr std::uint16_t flow_mod_failed = 5;   ///< OFPET_FLOW_MOD_FAILED
inline constexpr std::uint16_t group_mod_failed = 6;  ///< OFPET_GROUP_MOD_FAILED
inline constexpr std::uint16_t meter_mod_failed = 12; ///< OFPET_METER_MOD_FAILED
inline constexpr std::uint16_t bundle_failed = 17;    ///< OFPET_BUNDLE_FAILED (OpenFlow 1.4+)
/// OFPET_EXPERIMENTER: the code is an experimenter-defined exp_code.
inline constexpr std::uint16_t experimenter = 0xffff;
}  // namespace error_type

/// The error codes libvtap's decoders produce. Names follow the spec without the prefix:
/// `bac_bad_len` is OFPET_BAD_ACTION/OFPBAC_BAD_LEN.
namespace errors {
// OFPET_BAD_REQUEST
inline constexpr ErrorCode brc_bad_version{error_type::bad_request, 0};
inline constexpr ErrorCode brc_bad_type{error_type::bad_request, 1};
inline constexpr ErrorCode brc_bad_multipart{error_type::bad_request, 2};
inline constexpr ErrorCode brc_bad_experimenter{error_type::bad_request, 3};
inline constexpr ErrorCode brc_bad_exp_type{error_type::bad_request, 4};
inline constexpr ErrorCode brc_bad_len{error_type::bad_request, 6};
inline constexpr ErrorCode brc_buffer_unknown{error_type::bad_request, 8};
inline constexpr ErrorCode brc_bad_port{error_type::bad_request, 11};
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
// OFPET_FLOW_MOD_FAILED
inline constexpr ErrorCode fmfc_bad_table_id{error_type::flow_mod_failed, 2};
inline constexpr ErrorCode fmfc_bad_command{error_type::flow_mod_failed, 6};
// OFPET_GROUP_MOD_FAILED
inline constexpr ErrorCode gmfc_group_exists{error_type::group_mod_failed, 0};
inline constexpr ErrorCode gmfc_invalid_group{error_type::group_mod_failed, 1};
inline constexpr ErrorCode gmfc_bad_type{error_type::group_mod_failed, 10};
inline constexpr ErrorCode gmfc_bad_command{error_type::group_mod_failed, 11};
inline constexpr ErrorCode gmfc_bad_bucket{error_type::group_mod_failed, 12};
/// OpenFlow 1.5: a bucket id used twice in one group.
inline constexpr ErrorCode gmfc_bucket_exists{error_type::group_mod_failed, 16};
// OFPET_METER_MOD_FAILED
inline constexpr ErrorCode mmfc_invalid_meter{error_type::meter_mod_failed, 2};
inline constexpr ErrorCode mmfc_bad_command{error_type::meter_mod_failed, 4};
inline constexpr ErrorCode mmfc_bad_flags{error_type::meter_mod_failed, 5};
inline constexpr ErrorCode mmfc_bad_band{error_type::meter_mod_failed, 8};
// OFPET_BUNDLE_FAILED (OpenFlow 1.4+; ONF experimenter errors 2300-2315 in OpenFlow 1.3)
inline constexpr ErrorCode bfc_bad_type{error_type::bundle_failed, 6};
inline constexpr ErrorCode bfc_bad_flags{error_type::bundle_failed, 7};
inline constexpr ErrorCode bfc_msg_bad_len{error_type::bundle_failed, 8};
inline constexpr ErrorCode bfc_msg_bad_xid{error_type::bundle_failed, 9};
inline constexpr ErrorCode bfc_msg_unsup{error_type::bundle_failed, 10};
inline constexpr ErrorCode bfc_msg_failed{error_type::bundle_failed, 13};
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
      {errors::brc_bad_multipart, "OFPBRC_BAD_MULTIPART"},
      {errors::brc_bad_experimenter, "OFPBRC_BAD_EXPERIMENTER"},
      {errors::brc_bad_exp_type, "OFPBRC_BAD_EXP_TYPE"},
      {errors::brc_bad_len, "OFPBRC_BAD_LEN"},
      {errors::brc_buffer_unknown, "OFPBRC_BUFFER_UNKNOWN"},
      {errors::brc_bad_port, "OFPBRC_BAD_PORT"},
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
      {errors::fmfc_bad_table_id, "OFPFMFC_BAD_TABLE_ID"},
      {errors::fmfc_bad_command, "OFPFMFC_BAD_COMMAND"},
      {errors::gmfc_group_exists, "OFPGMFC_GROUP_EXISTS"},
      {errors::gmfc_invalid_group, "OFPGMFC_INVALID_GROUP"},
      {errors::gmfc_bad_type, "OFPGMFC_BAD_TYPE"},
      {errors::gmfc_bad_command, "OFPGMFC_BAD_COMMAND"},
      {errors::gmfc_bad_bucket, "OFPGMFC_BAD_BUCKET"},
      {errors::gmfc_bucket_exists, "OFPGMFC_BUCKET_EXISTS"},
      {errors::mmfc_invalid_meter, "OFPMMFC_INVALID_METER"},
      {errors::mmfc_bad_command, "OFPMMFC_BAD_COMMAND"},
      {errors::mmfc_bad_flags, "OFPMMFC_BAD_FLAGS"},
      {errors::mmfc_bad_band, "OFPMMFC_BAD_BAND"},
      {errors::bfc_bad_type, "OFPBFC_BAD_TYPE"},
      {errors::bfc_bad_flags, "OFPBFC_BAD_FLAGS"},
      {errors::bfc_msg_bad_len, "OFPBFC_MSG_BAD_LEN"},
      {errors::bfc_msg_bad_xid, "OFPBFC_MSG_BAD_XID"},
      {errors::bfc_msg_unsup, "OFPBFC_MSG_UNSUP"},
      {errors::bfc_msg_failed, "OFPBFC_MSG_FAILED"},
      // Errors only a switch sends (libvtap's decoders never produce them).
      {ErrorCode{0, 0}, "OFPHFC_INCOMPATIBLE"},
      {ErrorCode{0, 1}, "OFPHFC_EPERM"},
      {ErrorCode{5, 0}, "OFPFMFC_UNKNOWN"},
      {ErrorCode{5, 1}, "OFPFMFC_TABLE_FULL"},
      {ErrorCode{5, 3}, "OFPFMFC_OVERLAP"},
      {ErrorCode{5, 4}, "OFPFMFC_EPERM"},
      {ErrorCode{5, 5}, "OFPFMFC_BAD_TIMEOUT"},
      {ErrorCode{5, 7}, "OFPFMFC_BAD_FLAGS"},
      {ErrorCode{5, 8}, "OFPFMFC_CANT_SYNC"},
      {ErrorCode{5, 9}, "OFPFMFC_BAD_PRIORITY"},
      {ErrorCode{5, 10}, "OFPFMFC_IS_SYNC"},
      {ErrorCode{6, 2}, "OFPGMFC_WEIGHT_UNSUPPORTED"},
      {ErrorCode{6, 3}, "OFPGMFC_OUT_OF_GROUPS"},
      {ErrorCode{6, 4}, "OFPGMFC_OUT_OF_BUCKETS"},
      {ErrorCode{6, 5}, "OFPGMFC_CHAINING_UNSUPPORTED"},
      {ErrorCode{6, 6}, "OFPGMFC_WATCH_UNSUPPORTED"},
      {ErrorCode{6, 7}, "OFPGMFC_LOOP"},
      {ErrorCode{6, 8}, "OFPGMFC_UNKNOWN_GROUP"},
      {ErrorCode{6, 9}, "OFPGMFC_CHAINED_GROUP"},
      {ErrorCode{6, 13}, "OFPGMFC_BAD_WATCH"},
      {ErrorCode{6, 14}, "OFPGMFC_EPERM"},
      {ErrorCode{12, 0}, "OFPMMFC_UNKNOWN"},
      {ErrorCode{12, 1}, "OFPMMFC_METER_EXISTS"},
      {ErrorCode{12, 3}, "OFPMMFC_UNKNOWN_METER"},
      {ErrorCode{12, 6}, "OFPMMFC_BAD_RATE"},
      {ErrorCode{12, 7}, "OFPMMFC_BAD_BURST"},
      {ErrorCode{12, 9}, "OFPMMFC_BAD_BAND_VALUE"},
      {ErrorCode{12, 10}, "OFPMMFC_OUT_OF_METERS"},
      {ErrorCode{12, 11}, "OFPMMFC_OUT_OF_BANDS"},
      {ErrorCode{17, 0}, "OFPBFC_UNKNOWN"},
      {ErrorCode{17, 1}, "OFPBFC_EPERM"},
      {ErrorCode{17, 2}, "OFPBFC_BAD_ID"},
      {ErrorCode{17, 3}, "OFPBFC_BUNDLE_EXIST"},
      {ErrorCode{17, 4}, "OFPBFC_BUNDLE_CLOSED"},
      {ErrorCode{17, 5}, "OFPBFC_OUT_OF_BUNDLES"},
      {ErrorCode{17, 11}, "OFPBFC_MSG_CONFLICT"},
      {ErrorCode{17, 12}, "OFPBFC_MSG_TOO_MANY"},
      {ErrorCode{17, 14}, "OFPBFC_TIMEOUT"},
      {ErrorCode{17, 15}, "OFPBFC_BUNDLE_IN_PROGRESS"},
      {ErrorCode{1, 2}, "OFPBRC_BAD_STAT"},
      {ErrorCode{1, 5}, "OFPBRC_EPERM"},
      {ErrorCode{1, 7}, "OFPBRC_BUFFER_EMPTY"},
      {ErrorCode{1, 9}, "OFPBRC_BAD_TABLE_ID"},
      {ErrorCode{1, 10}, "OFPBRC_IS_SLAVE"},
      {ErrorCode{1, 12}, "OFPBRC_BAD_PACKET"},
      {ErrorCode{1, 13}, "OFPBRC_MULTIPART_BUFFER_OVERFLOW"},
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
