#pragma once
/// @file
/// Make-before-break: the steps that move a switch from one plan to another so that no copy
/// ever reaches a switch that cannot yet recover or forward it, and no production packet is
/// dropped. Applied to every switch step by step (all switches' first step, then all
/// second steps, then all third):
///
///  1. add what carries copies (transit, recovery and copy-table rules, new groups, meters);
///     existing taps keep running unchanged;
///  2. switch the rewriting rules (tap and composed flows, and group changes) to the new plan;
///  3. remove what no rewriting rule feeds any more.
///
/// Removal is the same walk: the tap goes in step 2, its recovery rule only in step 3.
/// (Service sends a change that touches one switch only as one bundle, the last step.)

#include <array>

#include "libvtap/translate/translator.hpp"

namespace vtap {

/// True for rewriting rules (RuleKind::tap, RuleKind::composed), by their cookie.
bool is_rewriting_rule(const FlowRule& rule) noexcept;

/// The three intermediate states from `from` to `to`; the last equals `to`. Pure.
std::array<SwitchPlan, 3> make_before_break(const SwitchPlan& from, const SwitchPlan& to);

}  // namespace vtap
