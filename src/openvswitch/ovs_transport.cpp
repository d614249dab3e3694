// The libopenvswitch transport: blocking SwitchConnections over OVS vconns; messages
// encoded and decoded by OVS (ovs_codec.hpp).

#include "libvtap/openvswitch/transport.hpp"
#include "libvtap/transport/target.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>

#include "ovs_bundle.hpp"
#include "ovs_c.hpp"
#include "ovs_codec.hpp"
#include "ovs_lib.h"

extern "C" {
#include "openvswitch/poll-loop.h"
}

namespace vtap {
namespace {

using openflow::Version;
using ovs::Buffer;
using Clock = std::chrono::steady_clock;

struct VconnClose {
  void operator()(vconn* v) const noexcept { vconn_close(v); }
};
using Vconn = std::unique_ptr<vconn, VconnClose>;

std::error_code system_error(int error) {
  return error == EOF ? openflow::make_error_code(openflow::SessionError::closed)
                      : std::error_code(error, std::system_category());
}

// The SSL files libopenvswitch holds for the whole process, set by the first ssl: target.
std::mutex ssl_mutex;
std::optional<std::array<std::string, 3>> ssl_files;

void configure_ssl(const std::string& target, const openflow::SessionOptions& o) {
  const std::array<std::string, 3> files{o.ssl_private_key, o.ssl_certificate, o.ssl_ca_certificate};
  std::lock_guard lock(ssl_mutex);
  if (ssl_files) {
    if (*ssl_files != files)
      throw Error(target + ": libopenvswitch holds one SSL key, certificate and CA certificate per process, "
                           "already set to others ('" + (*ssl_files)[0] + "', '" + (*ssl_files)[1] + "', '" +
                  (*ssl_files)[2] + "')");
    return;
  }
  vtap_ovs_set_ssl(files[0].c_str(), files[1].c_str(), files[2].c_str());
  ssl_files = files;
}

class OvsConnection final : public SwitchConnection {
 public:
  OvsConnection(Vconn v, std::string target, const openflow::SessionOptions& options)
      : vconn_(std::move(v)), target_(std::move(target)), options_(options) {
    version_ = static_cast<Version>(vconn_get_version(vconn_.get()));
    const auto replies = request(ovs::encode_features_request(version_), "reading features");
    try {
      datapath_id_ = ovs::decode_datapath_id(*replies.front());
    } catch (const Error& e) {
      throw TransportError(openflow::make_error_code(openflow::SessionError::protocol), target_ + ": " + e.what());
    }
  }

  const std::string& target() const noexcept override { return target_; }
  std::uint64_t datapath_id() const noexcept override { return datapath_id_; }
  Version version() const noexcept override { return version_; }
  bool is_open() const noexcept override { return vconn_ && vconn_get_status(vconn_.get()) == 0; }
  void close() noexcept override {
    ovs::SigpipeGuard guard;
    vconn_.reset();
  }

  std::vector<FlowRule> read_flows(std::uint64_t cookie, std::uint64_t cookie_mask) override {
    std::vector<FlowRule> out;
    for (const auto& part : request(ovs::encode_flow_stats_request(version_, cookie, cookie_mask), "reading flows"))
      for (auto& s : decode(part, "flow stats", [&](const ofpbuf& b) { return ovs::decode_flow_stats(b, version_); }))
        out.push_back(std::move(s.rule));
    return out;
  }

  std::vector<GroupEntry> read_groups() override {
    std::vector<GroupEntry> out;
    for (const auto& part : request(ovs::encode_group_desc_request(version_), "reading groups"))
      for (auto& g : decode(part, "groups", [&](const ofpbuf& b) { return ovs::decode_group_desc(b, version_); }))
        out.push_back(std::move(g));
    return out;
  }

  std::vector<MeterEntry> read_meters() override {
    std::vector<MeterEntry> out;
    for (const auto& part : request(ovs::encode_meter_config_request(version_), "reading meters"))
      for (auto& m : decode(part, "meters", [](const ofpbuf& b) { return ovs::decode_meter_config(b); }))
        out.push_back(std::move(m));
    return out;
  }

  openflow::BundleResult apply(const openflow::ChangeSet& change) override {
    openflow::BundleResult result;
    // Meters first (OVS bundles cannot carry them), confirmed by a barrier.
    for (const auto& m : change.meters_first) send(encode(m));
    barrier("adding meters");
    bundles(change, result);
    for (const auto& m : change.meters_last) send(encode(m));
    barrier("deleting meters");
    return result;
  }

  SwitchStats stats() override {
    SwitchStats out;
    std::set<std::uint32_t> groups;
    for (const auto& part : request(ovs::encode_flow_stats_request(version_, cookie_magic, cookie_magic_mask),
                                    "reading flow stats"))
      for (auto& s : decode(part, "flow stats", [&](const ofpbuf& b) { return ovs::decode_flow_stats(b, version_); })) {
        for (const Action& a : s.rule.actions)
          if (const auto* g = std::get_if<GroupAction>(&a)) groups.insert(g->group_id);
        out.flows.push_back(std::move(s));
      }
    for (const auto& part : request(ovs::encode_group_stats_request(version_), "reading group stats"))
      for (auto& g : decode(part, "group stats", [](const ofpbuf& b) { return ovs::decode_group_stats(b); }))
        if (groups.contains(g.group_id)) out.groups.push_back(std::move(g));
    std::sort(out.groups.begin(), out.groups.end(), [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
    return out;
  }

 private:
  vconn* live() {
    if (!vconn_) throw TransportError(openflow::make_error_code(openflow::SessionError::closed), target_ + ": closed");
    return vconn_.get();
  }

  Buffer encode(const openflow::Message& m) const {
    try {
      return ovs::encode(m, version_);
    } catch (const TransportError&) {
      throw;
    } catch (const Error& e) {
      throw Error(target_ + ": " + e.what());
    }
  }

  template <class F>
  auto decode(const Buffer& part, const char* what, F f) -> decltype(f(*part)) {
    try {
      return f(*part);
    } catch (const Error& e) {
      throw TransportError(openflow::make_error_code(openflow::SessionError::protocol),
                           target_ + ": reading " + what + ": " + e.what());
    }
  }

  void send(Buffer b) {
    ovs::SigpipeGuard guard;
    const int error = vconn_send_block(live(), b.get());
    if (error) fail(error, "sending");
    b.release();  // vconn_send_block took it.
  }

  [[noreturn]] void fail(int error, const char* what) {
    const auto ec = system_error(error);
    vconn_.reset();
    throw TransportError(ec, target_ + ": " + what + ": " + openflow::describe(ec));
  }

  // The next message, answering echo requests on the way; throws after request_timeout.
  Buffer receive(Clock::time_point deadline, const char* what) {
    ovs::SigpipeGuard guard;
    for (;;) {
      vconn* v = live();
      vconn_run(v);
      ofpbuf* raw = nullptr;
      const int error = vconn_recv(v, &raw);
      if (!error) {
        Buffer b(raw);
        if (ovs::kind_of(*b) == ovs::Kind::echo_request) {
          send(ovs::make_echo_reply(*b));
          continue;
        }
        return b;
      }
      if (error != EAGAIN) fail(error, what);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        const auto ec = openflow::make_error_code(openflow::SessionError::timed_out);
        throw TransportError(ec, target_ + ": " + what + ": " + openflow::describe(ec));
      }
      vconn_run_wait(v);
      vconn_recv_wait(v);
      poll_timer_wait(left);
      poll_block();
    }
  }

  Clock::time_point deadline() const { return Clock::now() + options_.request_timeout; }

  [[noreturn]] void refused(const ofpbuf& error_message, const char* what, std::optional<std::size_t> index = {},
                            const openflow::ChangeSet* change = nullptr) {
    const openflow::ErrorMessage error = ovs::decode_error(error_message);
    const auto ec = openflow::make_error_code(error.code);
    std::string text = target_ + ": " + what + ": " + openflow::describe(ec);
    if (change) text += openflow::refusal(*change, index);
    throw TransportError(ec, text, index, error);
  }

  // Sends `request` and gathers its replies (every part of a multipart reply).
  std::vector<Buffer> request(Buffer request, const char* what) {
    const std::uint32_t xid = ovs::xid_of(*request);
    send(std::move(request));
    const auto until = deadline();
    std::vector<Buffer> replies;
    for (;;) {
      Buffer b = receive(until, what);
      if (ovs::xid_of(*b) != xid) continue;  // A stray reply to something earlier.
      if (ovs::kind_of(*b) == ovs::Kind::error) refused(*b, what);
      const bool more = ovs::more_follows(*b);
      replies.push_back(std::move(b));
      if (!more) return replies;
    }
  }

  // Sends a barrier; throws for the first error the switch reported before its reply.
  void barrier(const char* what) {
    Buffer request = ovs::encode_barrier_request(version_);
    const std::uint32_t xid = ovs::xid_of(*request);
    send(std::move(request));
    const auto until = deadline();
    Buffer first_error;
    for (;;) {
      Buffer b = receive(until, what);
      if (ovs::xid_of(*b) == xid) break;
      if (!first_error && ovs::kind_of(*b) == ovs::Kind::error) first_error = std::move(b);
    }
    if (first_error) refused(*first_error, what);
  }

  // change.bundle in bundles of bundle_chunk, pipelined (ovs_bundle.hpp).
  void bundles(const openflow::ChangeSet& change, openflow::BundleResult& result) {
    ovs::SigpipeGuard guard;
    ovs::BundleOutcome outcome =
        ovs::send_bundles(live(), version_, change.bundle, options_.bundle_chunk, options_.request_timeout,
                          [this](const openflow::Message& m) { return encode(m); });
    result.messages = outcome.result.messages;
    result.bundles = outcome.result.bundles;
    if (outcome.io_error) fail(outcome.io_error, "bundle");
    if (outcome.timed_out) {
      // Bundles may still be open on the switch: this connection is done with.
      vconn_.reset();
      const auto ec = openflow::make_error_code(openflow::SessionError::timed_out);
      throw TransportError(ec, target_ + ": bundle: " + openflow::describe(ec));
    }
    if (outcome.encode_error) std::rethrow_exception(outcome.encode_error);
    if (outcome.error) {
      if (outcome.failed_index) {
        result.failed_index = outcome.failed_index;
        result.error = ovs::decode_error(*outcome.error);
      }
      refused(*outcome.error, "bundle", outcome.failed_index, &change);
    }
  }

  Vconn vconn_;
  std::string target_;
  openflow::SessionOptions options_;
  Version version_ = Version::of15;
  std::uint64_t datapath_id_ = 0;
};

class OvsTransport final : public Transport {
 public:
  std::string_view name() const noexcept override { return "openvswitch"; }

  std::unique_ptr<SwitchConnection> connect(std::string_view target,
                                            const openflow::SessionOptions& options) override {
    const auto parsed = openflow::Target::parse(target);
    const std::string name = parsed.to_string();
    if (options.versions.empty()) throw Error(name + ": SessionOptions.versions is empty");
    ovs::init_once();
    if (parsed.kind == openflow::Target::Kind::ssl) configure_ssl(name, options);
    std::uint32_t allowed = 0;
    for (Version v : options.versions) allowed |= 1u << static_cast<unsigned>(v);
    vconn* raw = nullptr;
    ovs::SigpipeGuard guard;
    const int error = vconn_open_block(name.c_str(), allowed, vtap_ovs_default_dscp(),
                                       static_cast<long long>(options.request_timeout.count()), &raw);
    if (error) {
      const auto ec = error == EPROTO ? openflow::make_error_code(openflow::SessionError::version_mismatch)
                                      : system_error(error);
      throw TransportError(ec, name + ": cannot connect: " + openflow::describe(ec));
    }
    return std::make_unique<OvsConnection>(Vconn(raw), name, options);
  }
};

}  // namespace

std::shared_ptr<Transport> make_openvswitch_transport() { return std::make_shared<OvsTransport>(); }

}  // namespace vtap
