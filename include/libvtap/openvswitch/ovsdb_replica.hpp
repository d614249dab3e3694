#pragma once
/// @file
/// A live replica of one OVSDB database, usually a Raft cluster's, and transactions on it.
/// Built on libopenvswitch's ovsdb-cs, the client layer of ovsdb-idl and ovn-controller: it
/// takes a remotes list, talks only to the cluster's leader, follows a new leader after an
/// election and resumes the monitor where it left off (monitor_cond_since). Available with
/// libopenvswitch (target libvtap::openvswitch).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "libvtap/model/error.hpp"
#include "libvtap/openvswitch/ovsdb_update.hpp"

namespace vtap {

/// A transaction the database refused, or whose outcome is unknown.
class OvsdbError : public Error {
 public:
  OvsdbError(std::string code, const std::string& message, bool outcome_unknown = false)
      : Error(message), code_(std::move(code)), outcome_unknown_(outcome_unknown) {}
  /// The RFC 7047 error ("constraint violation", "timed out"...), or "" for a lost connection.
  const std::string& code() const noexcept { return code_; }
  /// True when the connection was lost (or the wait timed out) before the reply: the
  /// transaction may or may not have committed.
  bool outcome_unknown() const noexcept { return outcome_unknown_; }

 private:
  std::string code_;
  bool outcome_unknown_;
};

/// A replica of `database` kept by a thread of its own. Thread-safe.
class OvsdbReplica {
 public:
  /// `remotes`: comma-separated OVSDB remotes (`tcp:A:6641,tcp:B:6641,...`). Connects in the
  /// background; wait_until() tells when the replica holds something.
  OvsdbReplica(std::string database, std::string remotes);
  ~OvsdbReplica();
  OvsdbReplica(const OvsdbReplica&) = delete;
  OvsdbReplica& operator=(const OvsdbReplica&) = delete;

  /// The replica now (never null; empty until the first update).
  std::shared_ptr<const OvsdbSnapshot> snapshot() const;
  /// Waits until `ready` holds for the replica (checked now and after every update) and
  /// returns that snapshot, or null when `timeout` passes first.
  std::shared_ptr<const OvsdbSnapshot> wait_until(const std::function<bool(const OvsdbSnapshot&)>& ready,
                                                  std::chrono::milliseconds timeout) const;
  /// True once the replica holds the database's contents (after the first monitor reply).
  bool synced() const;

  /// Runs `operations` (RFC 7047 operations, without the database name) as one transaction
  /// on the leader and returns its result array. Throws OvsdbError when an operation fails
  /// (code() is its error), or with outcome_unknown() when the connection is lost or
  /// `timeout` passes before the reply.
  nlohmann::json transact(const nlohmann::json& operations, std::chrono::milliseconds timeout);

  /// Calls `handler` (on the replica's thread, after the snapshot changed) after every update.
  void on_update(std::function<void()> handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtap
