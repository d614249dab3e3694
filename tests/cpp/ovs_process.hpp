#pragma once
// A private ovsdb-server + ovs-vswitchd (dummy datapath) for C++ tests, stopped on every
// exit path by its pidfiles. Skips the test when Open vSwitch is not installed (fails it in CI).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "prerequisite.hpp"

namespace vtap::testing {

class OvsProcess {
 public:
  OvsProcess() {
    char tmpl[] = "/tmp/vtap-ovs-XXXXXX";
    dir_ = mkdtemp(tmpl);
    env_ = "OVS_RUNDIR=" + dir_ + " OVS_LOGDIR=" + dir_ + " OVS_DBDIR=" + dir_ + " OVS_SYSCONFDIR=" + dir_ +
           " PATH=$PATH:/usr/sbin ";
    ok_ = run("ovsdb-tool create " + dir_ + "/conf.db /usr/share/openvswitch/vswitch.ovsschema") &&
          run("ovsdb-server --remote=punix:" + dir_ + "/db.sock --pidfile=" + dir_ + "/ovsdb.pid --detach --no-chdir --log-file=" +
              dir_ + "/ovsdb.log " + dir_ + "/conf.db") &&
          vsctl("--no-wait init") &&
          run("ovs-vswitchd unix:" + dir_ + "/db.sock --pidfile=" + dir_ + "/vswitchd.pid --detach --no-chdir --log-file=" +
              dir_ + "/vswitchd.log --enable-dummy=override --disable-system --disable-system-route");
  }
  ~OvsProcess() {
    for (const char* name : {"vswitchd", "ovsdb"}) {
      const pid_t pid = pid_of(name);
      if (pid <= 0) continue;
      ::kill(pid, SIGCONT);
      ::kill(pid, SIGTERM);
      // The daemons are not our children: poll until the pid is gone (at most 5 s).
      for (int i = 0; i < 500 && alive(pid); ++i) ::usleep(10'000);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  OvsProcess(const OvsProcess&) = delete;
  OvsProcess& operator=(const OvsProcess&) = delete;

  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }
  bool run(const std::string& command) const { return std::system((env_ + command + " >/dev/null 2>&1").c_str()) == 0; }
  bool vsctl(const std::string& args) const { return run("ovs-vsctl --timeout=20 --db=unix:" + dir_ + "/db.sock " + args); }
  bool add_bridge(const std::string& name, unsigned dpid) const {
    char id[17];
    std::snprintf(id, sizeof id, "%016x", dpid);
    return vsctl("add-br " + name + " -- set bridge " + name + " datapath_type=dummy fail_mode=secure " +
                 "protocols=OpenFlow13,OpenFlow14,OpenFlow15 other-config:datapath-id=" + id);
  }
  /// kill -9 ovs-vswitchd and start it again on the same database: bridges come back empty
  /// of flows and groups, as after a crash.
  /// Returns what went wrong, or an empty string.
  std::string crash_and_restart_vswitchd() const {
    const pid_t pid = pid_of("vswitchd");
    if (pid <= 0 || ::kill(pid, SIGKILL) != 0) return "no ovs-vswitchd to kill (pid " + std::to_string(pid) + ")";
    for (int i = 0; i < 500 && alive(pid); ++i) ::usleep(10'000);
    // A killed multi-threaded daemon's pidfile lock goes only when its last thread has
    // exited, which may be after its main thread shows as gone: retry while it says so.
    const std::string log = dir_ + "/restart.out";
    for (int attempt = 0;; ++attempt) {
      if (std::system((env_ + "ovs-vswitchd unix:" + dir_ + "/db.sock --pidfile=" + dir_ +
                       "/vswitchd.pid --detach --no-chdir --log-file=" + dir_ +
                       "/vswitchd.log --enable-dummy=override --disable-system --disable-system-route >" + log + " 2>&1")
                          .c_str()) == 0)
        break;
      std::ifstream in(log);
      const std::string out(std::istreambuf_iterator<char>(in), {});
      if (attempt == 100 || out.find("already running") == std::string::npos)
        return "ovs-vswitchd did not start: " + out;
      ::usleep(20'000);
    }
    // ovs-vsctl returns once ovs-vswitchd applied the change: bridges and sockets are back.
    if (!vsctl("set Open_vSwitch . external_ids:vtap-restarts=" + std::to_string(++restarts_)))
      return "ovs-vsctl did not see ovs-vswitchd come back";
    return {};
  }
  std::string mgmt(const std::string& bridge) const { return "unix:" + dir_ + "/" + bridge + ".mgmt"; }
  // Running, and not a zombie waiting for an init that reaps slowly.
  static bool alive(pid_t pid) {
    if (::kill(pid, 0) != 0) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
  }
  pid_t pid_of(const char* name) const {
    std::ifstream in(dir_ + "/" + name + ".pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

 private:
  std::string dir_, env_;
  bool ok_ = false;
  mutable int restarts_ = 0;
};

/// A fixture that starts a private Open vSwitch for every test (skipped when it is not
/// installed, failed in CI). Derived fixtures call BasicOvsTest::SetUp() first and return if
/// IsSkipped() || HasFatalFailure();
/// parameterised ones derive from BasicOvsTest<::testing::TestWithParam<P>>.
template <class Base = ::testing::Test>
class BasicOvsTest : public Base {
 protected:
  void SetUp() override {
    VTAP_REQUIRE(std::system("command -v ovs-vswitchd >/dev/null 2>&1 || test -x /usr/sbin/ovs-vswitchd") == 0,
                 "Open vSwitch is not installed");
    ovs_ = std::make_unique<OvsProcess>();
    ASSERT_TRUE(ovs_->ok()) << "could not start Open vSwitch in " << ovs_->dir();
  }
  std::unique_ptr<OvsProcess> ovs_;
};
using OvsTest = BasicOvsTest<>;

}  // namespace vtap::testing
