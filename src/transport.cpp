#include "libvtap/transport.hpp"

namespace vtap {

openflow::InstallReport SwitchConnection::install(const SwitchPlan& want) {
  const SwitchPlan have = read_state();
  openflow::InstallReport report;
  report.change = openflow::diff(have, want);
  if (report.change.empty()) return report;
  try {
    report.bundle = apply(report.change);
  } catch (const TransportError&) {
    // Undo what went in before the refusal: meters added first and committed chunks.
    if (is_open()) {
      try {
        const openflow::ChangeSet undo = openflow::diff(read_state(), have);
        if (!undo.empty()) apply(undo);
      } catch (const Error&) {
        // The original refusal is the error worth reporting; a reconnect reconciles.
      }
    }
    throw;
  }
  return report;
}

}  // namespace vtap
